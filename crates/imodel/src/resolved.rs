//! What a write resolves to, handed to the caller's check before any row is written.
//!
//! The writer matches keys case-insensitively, expands `code`, and lets a navigation property be
//! given under any spelling. A caller that judges a write (the synchronizer's job scope) must
//! judge what the writer will store, not how the request was spelled: the `*_checked` writes call
//! a [`WriteCheck`] with the [`Resolved`] write after binding and before the first row, and a
//! refusal leaves nothing written.

use super::error::WriteError;
use super::props::{PendingNavigation, Row};
use super::{Briefcase, ClassInfo};

/// A navigation value a write sets: the EC property (as the schema spells it) and its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The navigation property, as the schema spells it.
    pub property: String,
    /// The element it points to.
    pub target: i64,
}

/// The code a write sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCode {
    /// The code spec's id.
    pub spec: i64,
    /// The scope element's id.
    pub scope: i64,
    /// `None` for an empty code (stored as NULL, never unique).
    pub value: Option<String>,
}

/// An element insert or update, as it will be stored.
#[derive(Debug, Clone)]
pub struct ResolvedElement {
    /// The element's id (on insert, the id it is about to get).
    pub id: i64,
    /// The element's class full name.
    pub class: String,
    /// An insert (else an update).
    pub inserting: bool,
    /// The model once written.
    pub model: i64,
    /// The parent once written.
    pub parent: Option<i64>,
    /// Whether this write sets the parent (an insert always does).
    pub sets_parent: bool,
    /// The code this write sets, if it sets one with a value or an explicit scope.
    pub code: Option<ResolvedCode>,
    /// The other navigation values this write sets (category, type definition, …).
    pub references: Vec<Reference>,
}

/// A write as the writer will store it.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// An element insert or update.
    Element(ResolvedElement),
    /// A model insert: its id is its modeled element's.
    Model {
        /// The model's id (= its modeled element's).
        id: i64,
        /// The model's class full name.
        class: String,
        /// Its navigation values other than the modeled element.
        references: Vec<Reference>,
    },
    /// A link-table relationship insert.
    Relationship {
        /// The relationship's class full name.
        class: String,
        /// The source element.
        source: i64,
        /// The target element.
        target: i64,
    },
}

/// A caller's judgement of a resolved write; an error refuses it with nothing written.
pub type WriteCheck<'c> = &'c mut dyn FnMut(&Briefcase, &Resolved) -> Result<(), WriteError>;

/// The navigation values of a binding, less those `skip` names (compared case-insensitively).
pub(super) fn references(navigations: &[PendingNavigation], skip: &[&str]) -> Vec<Reference> {
    navigations
        .iter()
        .filter(|n| !skip.iter().any(|s| n.property.eq_ignore_ascii_case(s)))
        .map(|n| Reference { property: n.property.clone(), target: n.id })
        .collect()
}

/// The last value bound for navigation property `name` (a later key overwrites an earlier one,
/// as the row does). `Some(None)` when it was bound to null.
pub(super) fn bound_navigation(class: &ClassInfo, row: &Row, name: &str) -> Option<Option<i64>> {
    let column = class.property(name).and_then(|p| p.value_column())?;
    if !row.assigned[column.table][column.position] {
        return None;
    }
    Some(match row.get(column) {
        rusqlite::types::Value::Integer(id) => Some(*id),
        _ => None,
    })
}

/// The code set on `row` by this write, if any (an insert without `code` gets the empty code).
pub(super) fn bound_code(class: &ClassInfo, row: &Row) -> Option<ResolvedCode> {
    let spec = bound_navigation(class, row, "codeSpec")??;
    let scope = bound_navigation(class, row, "codeScope")??;
    let value = class.property("codeValue").and_then(|p| p.value_column()).and_then(|c| match row.get(c) {
        rusqlite::types::Value::Text(v) => Some(v.clone()),
        _ => None,
    });
    Some(ResolvedCode { spec, scope, value })
}

/// Runs the caller's check, if any.
pub(super) fn run_check(
    bim: &Briefcase,
    check: &mut Option<WriteCheck<'_>>,
    write: Resolved,
) -> Result<(), WriteError> {
    match check {
        Some(check) => check(bim, &write),
        None => Ok(()),
    }
}
