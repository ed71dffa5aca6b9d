//! Change files: a JSON-lines list of briefcase writes, applied all or nothing.
//!
//! Each line is one object with an `op` and its `props` (wire-format JSON):
//!
//! ```text
//! {"op": "codeSpec", "name": "Site:Tag", "scope": "model"}
//! {"op": "insert", "as": "pumps", "props": {"classFullName": "BisCore:SpatialCategory", …}}
//! {"op": "insert", "props": {"classFullName": "Generic:PhysicalObject", "category": "$pumps", …}}
//! {"op": "insertModel" | "insertAspect" | "insertRelationship" | "update" | "updateAspect", "props": {…}}
//! {"op": "delete", "id": "0x1a"}
//! ```
//!
//! `as` names the id of what a line inserted; later lines refer to it as `"$name"` anywhere a
//! string may stand (ids, `code.scope`, …). Blank lines and lines starting with `//` are skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use serde_json::Value;

use crate::id64::format as hex;
use crate::{Briefcase, CodeScopeType, WriteError};

/// Why a change file was not applied. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A line could not be applied (its number counts from 1).
    #[error("line {line}: {cause}")]
    Line {
        /// The line's number.
        line: usize,
        /// What is wrong with it.
        cause: LineError,
    },
    /// Starting, committing or rolling back the transaction failed.
    #[error(transparent)]
    Transaction(#[from] WriteError),
}

/// What is wrong with one line of a change file.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The input could not be read.
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    /// The line is not JSON.
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The line is not a change this format has (missing keys, unknown op or name).
    #[error("{0}")]
    Invalid(String),
    /// The writer refused the change.
    #[error(transparent)]
    Write(#[from] WriteError),
}

type Result<T, E = LineError> = std::result::Result<T, E>;

/// Returns [`LineError::Invalid`] from the function.
macro_rules! invalid {
    ($($arg:tt)*) => { LineError::Invalid(format!($($arg)*)) };
}

/// What a change file did, per operation and class.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    /// (operation, class) → count.
    pub counts: BTreeMap<(String, String), usize>,
    /// Ids of the `as` names.
    pub names: BTreeMap<String, String>,
}

impl Summary {
    /// How many lines did `op`, over all classes.
    pub fn total(&self, op: &str) -> usize {
        self.counts.iter().filter(|((o, _), _)| o == op).map(|(_, n)| n).sum()
    }
}

/// Applies every line of `input` to `bim` in one transaction: all lines land, or none does.
/// `progress` is called after each line with the number of lines done.
///
/// # Errors
/// [`ChangeError::Line`] names the first line that could not be read, parsed or applied (the
/// transaction is rolled back); [`ChangeError::Transaction`] when the transaction itself fails.
pub fn apply(
    bim: &mut Briefcase,
    input: impl BufRead,
    mut progress: impl FnMut(usize),
) -> Result<Summary, ChangeError> {
    let mut summary = Summary::default();
    let mut names: HashMap<String, String> = HashMap::new();
    bim.begin()?;
    let result = (|| -> Result<(), ChangeError> {
        for (index, line) in input.lines().enumerate() {
            let number = index + 1;
            let at = |cause: LineError| ChangeError::Line { line: number, cause };
            let line = line.map_err(|e| at(e.into()))?;
            let text = line.trim();
            if text.is_empty() || text.starts_with("//") {
                continue;
            }
            let mut change: Value = serde_json::from_str(text).map_err(|e| at(e.into()))?;
            substitute_names(&mut change, &names).map_err(at)?;
            let (op, class, id) = apply_one(bim, &change).map_err(at)?;
            if let (Some(name), Some(id)) = (change.get("as").and_then(Value::as_str), id) {
                names.insert(name.to_owned(), hex(id));
                summary.names.insert(name.to_owned(), hex(id));
            }
            *summary.counts.entry((op, class)).or_default() += 1;
            progress(number);
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            bim.commit()?;
            Ok(summary)
        }
        Err(e) => {
            bim.rollback()?;
            Err(e)
        }
    }
}

/// Applies one change; returns (operation, class, id of what it inserted).
fn apply_one(bim: &mut Briefcase, change: &Value) -> Result<(String, String, Option<i64>)> {
    let op = change.get("op").and_then(Value::as_str).ok_or_else(|| invalid!("missing \"op\""))?;
    let props = change.get("props");
    let class = props.and_then(|p| p.get("classFullName")).and_then(Value::as_str).unwrap_or("").to_owned();
    let need_props = || props.ok_or_else(|| invalid!("`{op}` needs \"props\""));
    let id = match op {
        "insert" => Some(bim.insert_element(need_props()?)?),
        "insertModel" => Some(bim.insert_model(need_props()?)?),
        "insertAspect" => Some(bim.insert_aspect(need_props()?)?),
        "insertRelationship" => Some(bim.insert_relationship(need_props()?)?),
        "update" => {
            bim.update_element(need_props()?)?;
            None
        }
        "updateAspect" => {
            bim.update_aspect(need_props()?)?;
            None
        }
        "delete" => {
            let id = change.get("id").ok_or_else(|| invalid!("`delete` needs \"id\""))?;
            bim.delete_element(crate::id64::from_json(id, "id")?)?;
            None
        }
        "codeSpec" => {
            let name = change.get("name").and_then(Value::as_str).ok_or_else(|| invalid!("`codeSpec` needs \"name\""))?;
            let scope_text = change.get("scope").and_then(Value::as_str).unwrap_or("model");
            let scope = CodeScopeType::parse(scope_text)
                .ok_or_else(|| invalid!("unknown code scope {scope_text:?}: use repository, model, parent-element or related-element"))?;
            return Ok((op.to_owned(), name.to_owned(), Some(bim.find_or_insert_code_spec(name, scope)?)));
        }
        other => return Err(invalid!("unknown op {other:?}: use insert, insertModel, insertAspect, insertRelationship, update, updateAspect, delete or codeSpec")),
    };
    Ok((op.to_owned(), class, id))
}

/// Replaces every string `"$name"` with the id inserted `as` that name.
fn substitute_names(value: &mut Value, names: &HashMap<String, String>) -> Result<()> {
    match value {
        Value::String(s) if s.starts_with('$') => {
            let name = &s[1..];
            *s = names
                .get(name)
                .cloned()
                .ok_or_else(|| invalid!("\"${name}\" names nothing inserted on an earlier line"))?;
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| substitute_names(v, names))?,
        Value::Object(map) => {
            map.iter_mut().filter(|(k, _)| *k != "as").try_for_each(|(_, v)| substitute_names(v, names))?
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_replaced_and_unknown_names_refused() {
        let names = HashMap::from([("cat".to_owned(), "0x17".to_owned())]);
        let mut v = json!({ "category": "$cat", "list": ["$cat", "plain"], "as": "$keep" });
        substitute_names(&mut v, &names).unwrap();
        assert_eq!(v, json!({ "category": "0x17", "list": ["0x17", "plain"], "as": "$keep" }));
        assert!(substitute_names(&mut json!({ "x": "$nope" }), &names).is_err());
    }
}
