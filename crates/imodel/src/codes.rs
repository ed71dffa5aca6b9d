//! Code specs (`bis_CodeSpec`): find by name, or create with a scope type.

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::Briefcase;

/// What a code's scope is (`CodeScopeSpec.Type` of iTwin.js).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeScopeType {
    /// Unique in the whole iModel (scope: the root subject).
    Repository = 1,
    /// Unique within a model.
    Model = 2,
    /// Unique among an element's children.
    ParentElement = 3,
    /// Unique among elements related to the scope element.
    RelatedElement = 4,
}

impl CodeScopeType {
    /// Parses `repository`, `model`, `parent-element` or `related-element` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "repository" => Self::Repository,
            "model" => Self::Model,
            "parent-element" | "parentelement" => Self::ParentElement,
            "related-element" | "relatedelement" => Self::RelatedElement,
            _ => return None,
        })
    }
}

impl Briefcase {
    /// The id of the code spec named `name` (case-insensitive, as the unique index is).
    pub fn code_spec_by_name(&self, name: &str) -> Result<Option<i64>, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT Id FROM bis_CodeSpec WHERE Name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    /// The name of code spec `id`, if there is one.
    pub fn code_spec_name(&self, id: i64) -> Option<String> {
        self.conn.query_row("SELECT Name FROM bis_CodeSpec WHERE Id = ?1", [id], |r| r.get(0)).ok()
    }

    /// Returns the code spec named `name`, creating it with `scope` if there is none. An existing
    /// spec with another scope type is an error rather than a silent mismatch.
    pub fn find_or_insert_code_spec(&mut self, name: &str, scope: CodeScopeType) -> Result<i64, WriteError> {
        if name.trim().is_empty() {
            return Err(WriteError::Invalid("a code spec needs a name".into()));
        }
        if let Some(id) = self.code_spec_by_name(name)? {
            let json: Option<String> =
                self.conn.query_row("SELECT JsonProperties FROM bis_CodeSpec WHERE Id = ?1", [id], |r| r.get(0))?;
            let existing = json
                .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
                .and_then(|v| v.pointer("/scopeSpec/type").and_then(|t| t.as_i64()));
            if existing.is_some_and(|t| t != scope as i64) {
                return Err(WriteError::Invalid(format!(
                    "code spec `{name}` exists with scope type {}, not {:?}",
                    existing.unwrap_or_default(),
                    scope
                )));
            }
            return Ok(id);
        }
        self.atomically(|b| {
            // Code spec ids are max + 1, as the native library hands them out locally.
            let id: i64 = b.conn.query_row("SELECT coalesce(max(Id), 0) + 1 FROM bis_CodeSpec", [], |r| r.get(0))?;
            let json = serde_json::json!({ "scopeSpec": { "type": scope as i64 } }).to_string();
            b.conn.execute(
                "INSERT INTO bis_CodeSpec (Id, Name, JsonProperties) VALUES (?1, ?2, ?3)",
                rusqlite::params![id, name, json],
            )?;
            Ok(id)
        })
    }
}
