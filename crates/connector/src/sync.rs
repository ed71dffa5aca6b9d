//! The synchronizer, typed: every write of a connector goes through here. Calls take the SDK's
//! builders (anything `Serialize`) and return [`SyncError`] for the host's refusals. The batch
//! calls are cut to the host's limits, so a connector hands over as many items as it has.

use serde::Serialize;
use serde_json::Value;

use crate::bindings::itwin::connector::host;
use crate::bindings::itwin::connector::synchronizer as wit;
use crate::props::{Code, Model, Partition, PartitionKind, PARTITION_SPEC};
use crate::{
    Appearance, ChangeResult, CodeScope, Context, DocumentRecord, Error, LogLevel, SourceDocument, SourceItem,
    SyncError,
};

/// Items per batch call (the host takes at most 10,000).
pub const BATCH_ITEMS: usize = 10_000;
/// Text per batch call (the host takes at most 64 MiB; half leaves room for ids and versions).
pub const BATCH_BYTES: usize = 32 << 20;
/// Ids per `on-elements-seen` call (the host's limit).
pub const SEEN_IDS: usize = 100_000;

fn json<T: Serialize + ?Sized>(props: &T) -> String {
    serde_json::to_string(props).expect("props serialise to JSON")
}

/// The job subject of this run (`"0"` before `initialize-job`).
pub fn job_subject() -> String {
    wit::job_subject()
}

/// Records the source document; see the WIT's `record-document`.
pub fn record_document(document: &SourceDocument) -> Result<DocumentRecord, SyncError> {
    Ok(wit::record_document(document)?)
}

/// Change detection for one item.
pub fn detect(item: &SourceItem) -> Result<ChangeResult, SyncError> {
    Ok(wit::detect_changes(item)?)
}

/// Change detection for any number of items, in batches the host takes; one result per item.
pub fn detect_all(items: &[SourceItem]) -> Result<Vec<ChangeResult>, SyncError> {
    let mut results = Vec::with_capacity(items.len());
    for range in batches(items, BATCH_ITEMS, BATCH_BYTES, item_bytes) {
        results.extend(wit::detect_changes_batch(&items[range])?);
    }
    Ok(results)
}

/// Writes the element for `item` (inserted, or updated in place); returns its id.
pub fn update<P: Serialize + ?Sized>(item: &SourceItem, element: &P) -> Result<String, SyncError> {
    Ok(wit::update_imodel(item, &json(element))?)
}

/// [`update`] for many items, in batches the host takes; the ids in order. Every batch is sent
/// whole; the first refusal is returned naming its item (and how many others were refused).
pub fn update_all<P: Serialize>(items: &[(SourceItem, P)]) -> Result<Vec<String>, Error> {
    let texts: Vec<(SourceItem, String)> = items.iter().map(|(item, props)| (item.clone(), json(props))).collect();
    let mut ids = Vec::with_capacity(items.len());
    for range in batches(&texts, BATCH_ITEMS, BATCH_BYTES, |(item, props)| item_bytes(item) + props.len()) {
        let batch = &texts[range];
        let mut refused =
            batch.iter().zip(wit::update_imodel_batch(batch)).filter_map(|((item, _), result)| match result {
                Ok(id) => {
                    ids.push(id);
                    None
                }
                Err(e) => Some((item.id.clone(), SyncError::from(e))),
            });
        if let Some((id, error)) = refused.next() {
            let others = refused.count();
            let more = if others > 0 { format!(" (and {others} more items refused)") } else { String::new() };
            return Err(Error::new(format_args!("item {id}: {error}{more}")));
        }
    }
    Ok(ids)
}

/// Marks an element (and its tracked item) present in the source this run.
pub fn seen(id: &str) {
    wit::on_element_seen(id)
}

/// [`seen`] for many elements, in calls of at most 100,000 ids.
pub fn seen_all(ids: &[String]) {
    for chunk in ids.chunks(SEEN_IDS) {
        wit::on_elements_seen(chunk);
    }
}

/// Inserts an untracked element (partition, category…); returns its id.
pub fn insert_element<P: Serialize + ?Sized>(props: &P) -> Result<String, SyncError> {
    Ok(wit::insert_element(&json(props))?)
}

/// Updates the properties present in `props` (which carry the element's `id`).
pub fn update_element<P: Serialize + ?Sized>(props: &P) -> Result<(), SyncError> {
    Ok(wit::update_element(&json(props))?)
}

/// Deletes an element with its children and sub-models.
pub fn delete_element(id: &str) -> Result<(), SyncError> {
    Ok(wit::delete_element(id)?)
}

/// Inserts the model of a partition; returns its id (the partition's).
pub fn insert_model<P: Serialize + ?Sized>(props: &P) -> Result<String, SyncError> {
    Ok(wit::insert_model(&json(props))?)
}

/// Inserts a link-table relationship.
pub fn insert_relationship<P: Serialize + ?Sized>(props: &P) -> Result<String, SyncError> {
    Ok(wit::insert_relationship(&json(props))?)
}

/// The relationships of exactly `class` from `source`: (relationship id, target id).
pub fn find_relationships(class: &str, source: &str) -> Result<Vec<(String, String)>, SyncError> {
    Ok(wit::find_relationships(class, source)?)
}

/// Deletes a link-table relationship whose source is in the job.
pub fn delete_relationship(class: &str, id: &str) -> Result<(), SyncError> {
    Ok(wit::delete_relationship(class, id)?)
}

/// The element with this code, if any.
pub fn find_element(code: &Code) -> Result<Option<String>, SyncError> {
    Ok(wit::find_element_by_code(&code.spec, &code.scope, &code.value)?)
}

/// An element's props, parsed.
pub fn element_props(id: &str) -> Result<Option<Value>, Error> {
    match wit::element_props(id).map_err(SyncError::from)? {
        Some(text) => Ok(Some(serde_json::from_str(&text)?)),
        None => Ok(None),
    }
}

/// The code spec `name` (the connector's own, `<name>:…`), created with `scope` if needed.
pub fn ensure_code_spec(name: &str, scope: CodeScope) -> Result<String, SyncError> {
    Ok(wit::ensure_code_spec(name, scope)?)
}

/// Declares the unit of the lengths sent from now on, in metres per source unit.
pub fn set_source_units(metres_per_unit: f64) -> Result<(), SyncError> {
    Ok(wit::set_source_units(metres_per_unit)?)
}

/// Inserts a partition of `kind` named `name` under the job subject, and its model; returns the
/// model's id (the partition's).
pub fn insert_partition(kind: PartitionKind, name: &str) -> Result<String, Error> {
    let job = job_subject();
    let partition = insert_element(&Partition::new(kind, &job, name)).context(format_args!("partition {name}"))?;
    insert_model(&Model::new(kind, &partition)).context(format_args!("model {name}"))
}

/// The model of the job's partition `name`, as `initialize-job` created it on the job's first run.
pub fn find_model(name: &str) -> Result<String, Error> {
    let job = job_subject();
    find_element(&Code::new(PARTITION_SPEC, job.clone(), name))
        .context(format_args!("partition {name}"))?
        .ok_or_else(|| Error::new(format_args!("partition {name} is missing under job subject {job}")))
}

/// Sets what `appearance` gives on a category's default SubCategory (category id + 1), keeping
/// the rest of its appearance.
pub fn set_sub_category_appearance(category: &str, appearance: &Appearance) -> Result<(), Error> {
    let sub_category = next_id(category).ok_or_else(|| Error::new(format_args!("bad category id {category}")))?;
    let props = element_props(&sub_category)?
        .ok_or_else(|| Error::new(format_args!("default SubCategory {sub_category} is missing")))?;
    let mut merged = props.get("appearance").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Value::Object(given) = serde_json::to_value(appearance)? {
        merged.extend(given);
    }
    let class = props.get("classFullName").cloned().unwrap_or_else(|| "BisCore:SubCategory".into());
    let update = serde_json::json!({ "id": sub_category, "classFullName": class, "appearance": merged });
    Ok(update_element(&update)?)
}

/// `0x1a` → `0x1b`.
pub fn next_id(id: &str) -> Option<String> {
    let n = u64::from_str_radix(id.strip_prefix("0x")?, 16).ok()?;
    Some(format!("{:#x}", n.checked_add(1)?))
}

/// The job's `connectorArgs` (`{}` when none were given).
pub fn connector_args() -> Value {
    serde_json::from_str(&host::connector_args()).unwrap_or_else(|_| Value::Object(Default::default()))
}

/// Progress of the current phase: `done` of `total` (unknown: `None`).
pub fn progress(done: usize, total: Option<usize>) {
    host::progress(done as u64, total.map(|t| t as u64));
}

/// Writes to the job's log.
pub fn log(level: LogLevel, message: impl AsRef<str>) {
    host::log(level, message.as_ref());
}

/// The text an item adds to a batch call.
fn item_bytes(item: &SourceItem) -> usize {
    let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    item.id.len() + optional(&item.kind) + optional(&item.scope) + optional(&item.version) + optional(&item.checksum)
}

/// Cuts `items` into ranges of at most `max_items` and, unless one item alone is larger,
/// `max_bytes` by `size`.
pub(crate) fn batches<T>(
    items: &[T],
    max_items: usize,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && (i - start == max_items || bytes + n > max_bytes) {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < items.len() {
        ranges.push(start..items.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_to_items_and_bytes() {
        let items: Vec<usize> = vec![10; 25];
        assert_eq!(batches(&items, 10, 1000, |n| *n), vec![0..10, 10..20, 20..25]);
        assert_eq!(batches(&items, 100, 45, |n| *n), vec![0..4, 4..8, 8..12, 12..16, 16..20, 20..24, 24..25]);
        // One item over the byte limit still goes, alone.
        assert_eq!(batches(&[5, 100, 5], 10, 50, |n| *n), vec![0..1, 1..2, 2..3]);
        assert!(batches(&Vec::<usize>::new(), 10, 10, |n| *n).is_empty());
    }

    #[test]
    fn ids_count_up() {
        assert_eq!(next_id("0x1a").as_deref(), Some("0x1b"));
        assert_eq!(next_id("26"), None);
    }
}
