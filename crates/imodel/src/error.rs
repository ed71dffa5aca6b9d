//! Errors of the briefcase writer. Callers (the synchronizer, and through it guests) match on
//! [`WriteError`] to tell bad input from host failures; every message is one line that names the
//! element, property or code involved.

use std::path::PathBuf;

/// A refused write. Nothing of the refused operation was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("unknown class `{class}`: it is not in the iModel's schemas")]
    UnknownClass { class: String },
    #[error("class `{class}` is abstract: use one of its concrete subclasses")]
    AbstractClass { class: String },
    #[error("class `{class}` is not {expected}")]
    WrongKindOfClass { class: String, expected: &'static str },
    #[error("class `{class}` has no property `{property}`")]
    UnknownProperty { class: String, property: String },
    #[error("property `{property}` of `{class}` is read-only: {why}")]
    ReadOnlyProperty { class: String, property: String, why: &'static str },
    #[error("property `{property}`: expected {expected}, found {found}")]
    WrongType { property: String, expected: &'static str, found: String },
    #[error("property `{property}` is required")]
    MissingProperty { property: String },
    #[error("{what} {id} does not exist")]
    NotFound { what: String, id: String },
    #[error("{what} {id} is a `{found}`, expected a `{expected}`")]
    WrongClass { what: String, id: String, found: String, expected: String },
    #[error("a `{class}` cannot be placed in model {model} (a `{model_class}`): {rule}")]
    WrongModel { class: String, model: String, model_class: String, rule: &'static str },
    #[error("duplicate code: value {value:?} already exists for code spec `{spec}` in scope {scope}")]
    DuplicateCode { value: String, spec: String, scope: String },
    #[error("duplicate federationGuid {guid}: another element already has it")]
    DuplicateFederationGuid { guid: String },
    #[error("{0}")]
    Invalid(String),
    /// A caller's [`super::WriteCheck`] refused the write as outside what it may touch.
    #[error("{0}")]
    OutOfScope(String),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl WriteError {
    pub(crate) fn wrong_type(property: &str, expected: &'static str, found: &serde_json::Value) -> Self {
        let mut found = found.to_string();
        if found.len() > 80 {
            // At a char boundary: the value may be any text a connector sent.
            let mut end = 77;
            while !found.is_char_boundary(end) {
                end -= 1;
            }
            found.truncate(end);
            found.push_str("...");
        }
        WriteError::WrongType { property: property.to_owned(), expected, found }
    }
}

/// Why a file could not be opened or created as a briefcase.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path} is not an iModel: {why}")]
    NotAnIModel { path: PathBuf, why: String },
    #[error("{path} has {profile} profile version {found}, this writer supports {supported}")]
    UnsupportedProfile { path: PathBuf, profile: &'static str, found: String, supported: String },
    #[error("{path} is held by another writer (the file is locked); close the other program first")]
    Locked { path: PathBuf },
    #[error("{path} already exists; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: SQLite: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
}
