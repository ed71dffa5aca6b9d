//! The wire shapes of the JSON forms of the batch calls (WIT 0.1.2: `detect-changes-json`,
//! `update-imodel-json`, `on-elements-seen-json`, `host.checksums-json`).
//!
//! They exist for guests whose bindings pass strings slowly (componentize-js lowers each string
//! in interpreted JavaScript and keeps it until the export returns): one UTF-8 JSON text in, one
//! out. Parsed here into the same types the typed calls use, so both forms are judged alike.
//! Elements stay raw text until their turn, so a batch never holds more than one parsed element,
//! and an array is refused at its first element over the limit, so a text of many tiny elements
//! never makes the host hold more than the limit's worth.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::caps::{MAX_BATCH_ITEMS, MAX_CHECKSUM_BYTES, MAX_ID_LIST};
use itwin_sync as sync;

/// A source item as the JSON forms spell it (absent or null fields: none).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    id: String,
    kind: Option<String>,
    version: Option<String>,
    checksum: Option<String>,
    scope: Option<String>,
}

impl From<Item> for sync::SourceItem {
    fn from(i: Item) -> Self {
        sync::SourceItem { id: i.id, kind: i.kind, scope: i.scope, version: i.version, checksum: i.checksum }
    }
}

/// One write of `update-imodel-json`: the element's props still as text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Write<'a> {
    item: Item,
    #[serde(borrow)]
    element: &'a RawValue,
}

/// Why a JSON form's array was refused.
enum ArrayError {
    /// More elements than the call takes.
    TooMany,
    Json(serde_json::Error),
}

/// `text` as a JSON array of at most `limit` elements of `T`.
fn array_at_most<'de, T: Deserialize<'de>>(text: &'de [u8], limit: usize) -> Result<Vec<T>, ArrayError> {
    let too_many = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let parsed = AtMost { limit, too_many: &too_many, element: PhantomData }
        .deserialize(&mut deserializer)
        .and_then(|elements| deserializer.end().map(|()| elements));
    parsed.map_err(|e| if too_many.get() { ArrayError::TooMany } else { ArrayError::Json(e) })
}

/// Reads an array, stopping at its first element over `limit` (and noting why).
struct AtMost<'a, T> {
    limit: usize,
    too_many: &'a Cell<bool>,
    element: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for AtMost<'_, T> {
    type Value = Vec<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for AtMost<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut elements = Vec::new();
        while let Some(element) = seq.next_element()? {
            if elements.len() == self.limit {
                self.too_many.set(true);
                return Err(de::Error::custom("too many elements"));
            }
            elements.push(element);
        }
        Ok(elements)
    }
}

/// `text` as the array of at most `limit` `of` that `call` takes, or why not (the typed calls'
/// words).
fn parse_array<'de, T: Deserialize<'de>>(
    call: &str,
    of: &str,
    text: &'de [u8],
    limit: usize,
) -> Result<Vec<T>, String> {
    array_at_most(text, limit).map_err(|e| match e {
        ArrayError::TooMany => format!("{call} of more than {limit} {of}: over the limit of {limit} per call"),
        ArrayError::Json(e) => format!("{call}: not a JSON array of {of}: {e}"),
    })
}

/// [`parse_array`] for the synchronizer's calls: refused as `invalid-props`.
fn parse_batch<'de, T: Deserialize<'de>>(
    call: &str,
    of: &str,
    text: &'de [u8],
    limit: usize,
) -> Result<Vec<T>, sync::SyncError> {
    parse_array(call, of, text, limit).map_err(sync::SyncError::InvalidProps)
}

/// The items of a `detect-changes-json` call.
pub(crate) fn detect_items(text: &[u8]) -> Result<Vec<sync::SourceItem>, sync::SyncError> {
    let items: Vec<Item> = parse_batch("detect-changes-json", "source items", text, MAX_BATCH_ITEMS)?;
    Ok(items.into_iter().map(Into::into).collect())
}

/// The writes of an `update-imodel-json` call: each item with its element's props text.
pub(crate) fn writes(text: &[u8]) -> Result<Vec<(sync::SourceItem, &str)>, sync::SyncError> {
    let writes: Vec<Write<'_>> =
        parse_batch("update-imodel-json", "{\"item\", \"element\"} writes", text, MAX_BATCH_ITEMS)?;
    Ok(writes.into_iter().map(|w| (w.item.into(), w.element.get())).collect())
}

/// The ids of an `on-elements-seen-json` call.
pub(crate) fn ids(text: &[u8]) -> Result<Vec<String>, sync::SyncError> {
    parse_batch("on-elements-seen-json", "ids", text, MAX_ID_LIST)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    element_id: Option<String>,
}

/// The answer of `detect-changes-json`.
pub(crate) fn changes(results: impl IntoIterator<Item = sync::ChangeResult>) -> String {
    let changes: Vec<Change> = results
        .into_iter()
        .map(|c| Change {
            state: match c.state {
                sync::ItemState::Unchanged => "unchanged",
                sync::ItemState::New => "new",
                sync::ItemState::Changed => "changed",
            },
            element_id: c.element_id.map(itwin_imodel::id64::format),
        })
        .collect();
    serde_json::to_string(&changes).expect("changes serialise")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Written {
    Id(String),
    Error { kind: &'static str, message: String },
}

/// One result of `update-imodel-json`: the element's id, or why it was not written (`kind` is
/// the WIT's `sync-error` case).
pub(crate) fn written(result: Result<i64, sync::SyncError>) -> serde_json::Value {
    let written = match result {
        Ok(id) => Written::Id(itwin_imodel::id64::format(id)),
        Err(e) => {
            let (kind, message) = e.into_case();
            Written::Error { kind, message }
        }
    };
    serde_json::to_value(written).expect("results serialise")
}

/// The answer of `host.checksums-json`: the checksum of each value, as every SDK computes it
/// (SHA-256 of RFC 8785 canonical JSON, `itwin_checksum`).
pub(crate) fn checksums(values: &[u8]) -> Result<String, String> {
    if values.len() > MAX_CHECKSUM_BYTES {
        return Err(format!(
            "checksums-json of {} bytes: over the limit of {} MiB per call",
            values.len(),
            MAX_CHECKSUM_BYTES >> 20
        ));
    }
    let values: Vec<&RawValue> = parse_array("checksums-json", "values", values, MAX_BATCH_ITEMS)?;
    // One value parsed at a time: host memory holds one, not the whole call's.
    let mut checksums = Vec::with_capacity(values.len());
    for raw in values {
        let value: serde_json::Value =
            serde_json::from_str(raw.get()).map_err(|e| format!("checksums-json: not JSON: {e}"))?;
        checksums.push(itwin_checksum::checksum(&value));
    }
    Ok(serde_json::to_string(&checksums).expect("strings serialise"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_and_writes_parse_as_the_typed_calls_take_them() {
        let items = detect_items(br#"[{"id": "A-1", "kind": "Asset", "version": "1", "checksum": null}, {"id": "B"}]"#)
            .unwrap();
        assert_eq!(
            (items[0].id.as_str(), items[0].kind.as_deref(), items[0].checksum.as_deref()),
            ("A-1", Some("Asset"), None)
        );
        assert_eq!((items[1].id.as_str(), items[1].version.as_deref()), ("B", None));
        let writes = writes(br#"[{"item": {"id": "A-1"}, "element": {"userLabel": "a", "children": []}}]"#).unwrap();
        assert_eq!((writes[0].0.id.as_str(), writes[0].1), ("A-1", r#"{"userLabel": "a", "children": []}"#));
        assert_eq!(ids(br#"["0x1", "0x2"]"#).unwrap(), ["0x1", "0x2"]);
    }

    #[test]
    fn text_that_is_not_the_shape_is_invalid_props() {
        for bad in [&b"{}"[..], b"[{\"id\": 1}]", b"[{\"id\": \"a\", \"ident\": \"typo\"}]", b"\xff", b"[1"] {
            match detect_items(bad) {
                Err(sync::SyncError::InvalidProps(m)) => {
                    assert!(m.starts_with("detect-changes-json: not a JSON array"), "{m}")
                }
                other => panic!("{:?}: {:?}", String::from_utf8_lossy(bad), other.map(|v| v.len())),
            }
        }
        assert!(matches!(writes(br#"[{"item": {"id": "a"}}]"#), Err(sync::SyncError::InvalidProps(_))));
        assert!(matches!(ids(br#"[1]"#), Err(sync::SyncError::InvalidProps(_))));
        assert!(matches!(ids(br#"["0x1"] ["0x2"]"#), Err(sync::SyncError::InvalidProps(_))));
    }

    #[test]
    fn an_array_over_the_limit_is_refused_at_its_first_element_too_many() {
        let ids_text = |n: usize| serde_json::to_string(&vec![""; n]).unwrap();
        assert_eq!(ids(ids_text(MAX_ID_LIST).as_bytes()).unwrap().len(), MAX_ID_LIST);
        match ids(ids_text(MAX_ID_LIST + 1).as_bytes()) {
            Err(sync::SyncError::InvalidProps(m)) => {
                assert_eq!(m, "on-elements-seen-json of more than 100000 ids: over the limit of 100000 per call")
            }
            other => panic!("{other:?}"),
        }
        let items = serde_json::to_string(&vec![serde_json::json!({"id": ""}); MAX_BATCH_ITEMS + 1]).unwrap();
        assert!(
            matches!(detect_items(items.as_bytes()), Err(sync::SyncError::InvalidProps(m)) if m.contains("over the limit of 10000"))
        );
        let values = serde_json::to_string(&vec![0; MAX_BATCH_ITEMS + 1]).unwrap();
        assert!(checksums(values.as_bytes()).unwrap_err().contains("over the limit of 10000 per call"));
    }

    #[test]
    fn answers_spell_the_wits_names() {
        let found = sync::ChangeResult { state: sync::ItemState::Unchanged, element_id: Some(0x1a) };
        let new = sync::ChangeResult { state: sync::ItemState::New, element_id: None };
        assert_eq!(changes([found, new]), r#"[{"state":"unchanged","elementId":"0x1a"},{"state":"new"}]"#);
        assert_eq!(written(Ok(0x20)).to_string(), r#"{"id":"0x20"}"#);
        assert_eq!(
            written(Err(sync::SyncError::OutOfScope("no".into()))).to_string(),
            r#"{"error":{"kind":"out-of-scope","message":"no"}}"#
        );
    }

    #[test]
    fn checksums_are_the_sdks_and_bounded() {
        // docs/sdk.md's vectors, spelled as JavaScript's JSON.stringify spells them.
        let answer = checksums(br#"[{}, {"b":1,"a":[1.5,"x",true,null],"c":90,"\u00e9":"\u00fc\n\u001f\"\\"}, [0.30000000000000004,1e+21,1e-7,0,123456789012,100000000000000000000,0.000001,2.5e-8,-12.75]]"#)
            .unwrap();
        assert_eq!(
            answer,
            r#"["44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","bba879fdb8817c8f5b7c53632cc5d26aac7f95d9f0abbc60235abaf5237b5ba5","5515bf0340d62eebc5f4473506a7e6c5af60ec0871c7bee7c960919e7c7bb7b3"]"#
        );
        assert!(checksums(b"{}").unwrap_err().contains("not a JSON array"));
        let big = format!("[\"{}\"]", "x".repeat(MAX_CHECKSUM_BYTES));
        assert!(checksums(big.as_bytes()).unwrap_err().contains("over the limit of 16 MiB"));
    }
}
