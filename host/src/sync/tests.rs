//! The framework behaviours (connector-framework reference §1.4–1.7), one test each, on the
//! synchronizer directly; and the framework bugs it fixes.

use serde_json::{json, Value};

use super::*;
use crate::imodel::id64::format as hex;
use crate::imodel::{Briefcase, RootSubject};

struct Fixture {
    _dir: tempfile::TempDir,
    bim: Briefcase,
    sync: Synchronizer,
    model: i64,
    category: i64,
}

/// A briefcase with a job subject, a physical model and a category, in an open transaction.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut bim = Briefcase::create(&dir.path().join("sync.bim"), &RootSubject::named("sync")).unwrap();
    bim.begin().unwrap();
    let subject = bim
        .insert_element(&json!({
            "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": "bis:Subject", "scope": "0x1", "value": "Test:job" },
        }))
        .unwrap();
    let mut sync = Synchronizer::new("Test", "1.0");
    sync.set_job_subject(subject);
    let partition = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:PhysicalPartition", "model": "0x1", "parent": { "id": hex(subject) },
                "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": "P" },
            }),
        )
        .unwrap();
    let model = sync
        .insert_model(
            &mut bim,
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(partition) } }),
        )
        .unwrap();
    let defs = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:DefinitionPartition", "model": "0x1", "parent": { "id": hex(subject) },
                "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": "D" },
            }),
        )
        .unwrap();
    let defs = sync
        .insert_model(
            &mut bim,
            &json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": hex(defs) } }),
        )
        .unwrap();
    let category = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:SpatialCategory", "model": hex(defs),
                "code": { "spec": "bis:SpatialCategory", "scope": hex(defs), "value": "C" },
            }),
        )
        .unwrap();
    Fixture { _dir: dir, bim, sync, model, category }
}

impl Fixture {
    fn object(&self, label: &str) -> Value {
        json!({ "classFullName": "Generic:PhysicalObject", "model": hex(self.model), "category": hex(self.category), "userLabel": label })
    }

    fn item(id: &str, version: Option<&str>, checksum: Option<&str>) -> SourceItem {
        SourceItem {
            id: id.into(),
            version: version.map(Into::into),
            checksum: checksum.map(Into::into),
            ..Default::default()
        }
    }

    fn write(&mut self, item: &SourceItem, props: &Value) -> i64 {
        self.sync.update_imodel_atomically(&mut self.bim, item, props).unwrap()
    }

    fn state(&mut self, item: &SourceItem) -> ItemState {
        self.sync.detect_changes(&mut self.bim, item).unwrap().state
    }

    fn label(&mut self, id: i64) -> Option<String> {
        self.bim.element_props(id).unwrap().and_then(|p| p["userLabel"].as_str().map(str::to_owned))
    }

    fn exists(&mut self, id: i64) -> bool {
        self.bim.element_props(id).unwrap().is_some()
    }
}

const CHECKSUM: &str = "01111010011000010110001101101000";

#[test]
fn untracked_items_are_new_with_no_element() {
    let mut f = fixture();
    let r = f.sync.detect_changes(&mut f.bim, &Fixture::item("x", Some("1"), None)).unwrap();
    assert_eq!(r, ChangeResult { state: ItemState::New, element_id: None });
}

#[test]
fn version_and_checksum_rules_follow_the_framework() {
    let mut f = fixture();
    let stored = Fixture::item("x", Some("1.0.0"), Some(CHECKSUM));
    let props = f.object("x");
    let id = f.write(&stored, &props);
    // Same version: unchanged, whatever the checksum.
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.0"), Some("different"))), ItemState::Unchanged);
    // New version, same checksum: unchanged.
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.1"), Some(CHECKSUM))), ItemState::Unchanged);
    // New version and checksum: changed.
    assert_eq!(
        f.state(&Fixture::item("x", Some("1.0.1"), Some("01111010011000010110001101101001"))),
        ItemState::Changed
    );
    // No version, other checksum: changed.
    assert_eq!(f.state(&Fixture::item("x", None, Some("01111010011000010110001101101001"))), ItemState::Changed);
    // New version, no checksum: compared with the stored checksum: changed.
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.1"), None)), ItemState::Changed);
    // Another kind or scope is another item.
    let other_kind = SourceItem { kind: Some("Other".into()), ..Fixture::item("x", Some("1.0.0"), None) };
    assert_eq!(f.state(&other_kind), ItemState::New);
    let found = f.sync.detect_changes(&mut f.bim, &stored).unwrap();
    assert_eq!(found.element_id, Some(id), "a tracked item names its element");
}

#[test]
fn a_changed_item_is_updated_in_place_and_an_unchanged_one_only_seen() {
    let mut f = fixture();
    let v1 = Fixture::item("x", Some("1"), None);
    let props = f.object("first");
    let id = f.write(&v1, &props);
    let props = f.object("second");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), None), &props), id, "same element id");
    assert_eq!(f.label(id).as_deref(), Some("second"));
    let aspect = &f.bim.external_source_aspects_of(id).unwrap()[0];
    assert_eq!(aspect.version.as_deref(), Some("2"));
    // Unchanged: nothing written.
    let props = f.object("third");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), None), &props), id);
    assert_eq!(f.label(id).as_deref(), Some("second"));
}

#[test]
fn an_update_cannot_change_the_class() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    let mut other = props.clone();
    other["classFullName"] = json!("Generic:PhysicalObject".replace("PhysicalObject", "Group"));
    other["model"] = json!(hex(f.model));
    let err = f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("x", Some("2"), None), &other).unwrap_err();
    assert!(matches!(err, SyncError::WrongClass(_)), "{err}");
    assert!(f.exists(id));
}

#[test]
fn items_need_an_id_and_a_job_subject() {
    let mut f = fixture();
    let props = f.object("x");
    // The framework crashes on an empty id; it is refused here.
    let err = f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("", None, None), &props).unwrap_err();
    assert!(matches!(err, SyncError::InvalidProps(_)), "{err}");
    let mut early = Synchronizer::new("Test", "1");
    let err = early.detect_changes(&mut f.bim, &Fixture::item("x", None, None)).unwrap_err();
    assert!(matches!(err, SyncError::OutOfScope(m) if m.contains("job subject")));
}

#[test]
fn children_are_matched_by_child_id_and_unlisted_children_deleted() {
    let mut f = fixture();
    let mut parent = f.object("pump");
    parent["children"] = json!([f.object("motor"), f.object("base")]);
    parent["children"][0]["childId"] = json!("motor");
    parent["children"][1]["childId"] = json!("base");
    let id = f.write(&Fixture::item("pump", Some("1"), None), &parent);
    let children = |f: &mut Fixture| -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> = f
            .bim
            .element_tree()
            .unwrap()
            .into_iter()
            .filter(|r| r.parent == Some(id))
            .map(|r| (r.id, f.label(r.id).unwrap_or_default()))
            .collect();
        out.sort();
        out
    };
    let v1 = children(&mut f);
    assert_eq!(v1.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), ["motor", "base"]);
    // Each child has its own aspect (scope = parent), not a copy of the parent's key.
    assert_eq!(f.bim.find_external_source_aspects(f.sync.job_subject(), "Element", "pump").unwrap().len(), 1);
    // v2: base removed, a new coupling, the motor renamed — it keeps its id.
    let mut parent = f.object("pump");
    parent["children"] = json!([f.object("motor v2"), f.object("coupling")]);
    parent["children"][0]["childId"] = json!("motor");
    parent["children"][1]["childId"] = json!("coupling");
    assert_eq!(f.write(&Fixture::item("pump", Some("2"), None), &parent), id);
    let v2 = children(&mut f);
    assert_eq!(v2.len(), 2);
    assert!(v2.contains(&(v1[0].0, "motor v2".to_owned())), "{v2:?}");
    assert!(!f.exists(v1[1].0), "the unlisted child is deleted");
    // A failing child leaves nothing of the item written.
    let mut bad = f.object("valve");
    bad["children"] = json!([ { "classFullName": "Generic:PhysicalObject", "model": "0xfffff" } ]);
    assert!(f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("valve", Some("1"), None), &bad).is_err());
    assert_eq!(f.state(&Fixture::item("valve", Some("1"), None)), ItemState::New);
}

#[test]
fn documents_are_recorded_once_and_their_version_lands_at_the_end() {
    let mut f = fixture();
    let doc = SourceDocument { docid: "Site.JSON".into(), last_modified: Some("r1".into()), ..Default::default() };
    let first = f.sync.record_document(&mut f.bim, &doc).unwrap();
    assert_eq!(first.state, ItemState::New);
    // Same docid again (any case): the same record, nothing more written.
    let again = SourceDocument { docid: "site.json".into(), ..doc.clone() };
    assert_eq!(f.sync.record_document(&mut f.bim, &again).unwrap(), first);
    // The version is stored only by finish_documents (the job's successful end).
    let aspect = f.bim.find_external_source_aspects(1, DOCUMENT_KIND, "Site.JSON").unwrap().remove(0);
    assert_eq!(aspect.version, None);
    f.sync.finish_documents(&mut f.bim).unwrap();
    let aspect = f.bim.find_external_source_aspects(1, DOCUMENT_KIND, "Site.JSON").unwrap().remove(0);
    assert_eq!(aspect.version.as_deref(), Some("r1"));
    let source = f.bim.element_props(first.external_source).unwrap().unwrap();
    assert_eq!(source["repository"]["id"], hex(first.repository_link));
    // A later job with the same version finds it unchanged.
    let mut next = Synchronizer::new("Test", "1.0");
    next.set_job_subject(f.sync.job_subject());
    assert_eq!(next.record_document(&mut f.bim, &doc).unwrap().state, ItemState::Unchanged);
}

#[test]
fn a_link_that_was_not_recorded_as_a_document_is_an_error() {
    let mut f = fixture();
    let spec = f.bim.code_spec_by_name("bis:LinkElement").unwrap().unwrap();
    f.bim.insert_element(&json!({ "classFullName": "BisCore:RepositoryLink", "model": "0x1", "code": { "spec": hex(spec), "scope": "0x1", "value": "d" } })).unwrap();
    let err =
        f.sync.record_document(&mut f.bim, &SourceDocument { docid: "d".into(), ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("not recorded as a document"), "{err}");
}

#[test]
fn channel_deletion_removes_unseen_tracked_elements_only() {
    let mut f = fixture();
    let a = f.object("a");
    let b = f.object("b");
    let a_id = f.write(&Fixture::item("a", Some("1"), None), &a);
    let b_id = f.write(&Fixture::item("b", Some("1"), None), &b);
    let props = f.object("untracked");
    let untracked = f.sync.insert_element(&mut f.bim, &props).unwrap();
    let mut next = Synchronizer::new("Test", "1.0");
    next.set_job_subject(f.sync.job_subject());
    next.on_element_seen(a_id);
    assert_eq!(next.delete_unseen(&mut f.bim, DeletionMode::Channel).unwrap(), 1);
    assert!(f.exists(a_id) && !f.exists(b_id), "seen stays, unseen tracked goes");
    assert!(f.exists(untracked) && f.exists(f.model) && f.exists(f.category), "untracked elements and partitions stay");
    // Nothing is deleted in mode none (snapshots, connectors that opt out).
    let mut none = Synchronizer::new("Test", "1.0");
    none.set_job_subject(f.sync.job_subject());
    assert_eq!(none.delete_unseen(&mut f.bim, DeletionMode::None).unwrap(), 0);
    assert!(f.exists(a_id));
}

#[test]
fn an_unchanged_document_protects_only_its_own_elements() {
    let mut f = fixture();
    // Two documents; items of each carry their document's ExternalSource as `source`.
    let doc_a = SourceDocument { docid: "a.json".into(), last_modified: Some("1".into()), ..Default::default() };
    let doc_b = SourceDocument { docid: "b.json".into(), last_modified: Some("1".into()), ..Default::default() };
    let rec_a = f.sync.record_document(&mut f.bim, &doc_a).unwrap();
    let rec_b = f.sync.record_document(&mut f.bim, &doc_b).unwrap();
    let from = |f: &mut Fixture, label: &str, source: i64| -> i64 {
        let props = f.object(label);
        let id = f.sync.insert_element(&mut f.bim, &props).unwrap();
        f.bim
            .insert_aspect(&json!({
                "classFullName": "BisCore:ExternalSourceAspect", "element": { "id": hex(id) },
                "scope": { "id": hex(f.sync.job_subject()) }, "source": { "id": hex(source) },
                "identifier": label, "kind": "Element",
            }))
            .unwrap();
        id
    };
    let in_a = from(&mut f, "from a", rec_a.external_source);
    let in_b = from(&mut f, "from b", rec_b.external_source);
    f.sync.finish_documents(&mut f.bim).unwrap();
    // Next run: a is unchanged (and its connector skips it), b changed and no longer has its element.
    let mut next = Synchronizer::new("Test", "1.0");
    next.set_job_subject(f.sync.job_subject());
    assert_eq!(next.record_document(&mut f.bim, &doc_a).unwrap().state, ItemState::Unchanged);
    let doc_b2 = SourceDocument { last_modified: Some("2".into()), ..doc_b };
    assert_eq!(next.record_document(&mut f.bim, &doc_b2).unwrap().state, ItemState::Changed);
    next.delete_unseen(&mut f.bim, DeletionMode::Channel).unwrap();
    // The framework would delete nothing at all here; the unchanged document's element stays
    // and the changed document's unseen element goes.
    assert!(f.exists(in_a));
    assert!(!f.exists(in_b));
}

#[test]
fn file_deletion_follows_changed_documents_scopes() {
    let mut f = fixture();
    let doc = SourceDocument { docid: "f.json".into(), last_modified: Some("1".into()), ..Default::default() };
    let rec = f.sync.record_document(&mut f.bim, &doc).unwrap();
    let scoped = |link: i64, id: &str| SourceItem { scope: Some(hex(link)), ..Fixture::item(id, Some("1"), None) };
    let a = f.object("a");
    let b = f.object("b");
    let a_id = f.write(&scoped(rec.repository_link, "a"), &a);
    let b_id = f.write(&scoped(rec.repository_link, "b"), &b);
    f.sync.finish_documents(&mut f.bim).unwrap();
    // A new document never triggers deletion; a changed one does.
    let mut next = Synchronizer::new("Test", "1.0");
    next.set_job_subject(f.sync.job_subject());
    let changed = SourceDocument { last_modified: Some("2".into()), ..doc };
    assert_eq!(next.record_document(&mut f.bim, &changed).unwrap().state, ItemState::Changed);
    next.on_element_seen(a_id);
    next.delete_unseen(&mut f.bim, DeletionMode::File).unwrap();
    assert!(f.exists(a_id) && !f.exists(b_id));
}

#[test]
fn writes_outside_the_job_subject_are_refused() {
    let mut f = fixture();
    let root_child = json!({ "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" }, "code": { "spec": "bis:Subject", "scope": "0x1", "value": "intruder" } });
    assert!(matches!(f.sync.insert_element(&mut f.bim, &root_child), Err(SyncError::OutOfScope(_))));
    assert!(matches!(
        f.sync.update_element(&mut f.bim, &json!({ "id": "0x1", "userLabel": "x" })),
        Err(SyncError::OutOfScope(_))
    ));
    assert!(matches!(f.sync.delete_element(&mut f.bim, f.sync.job_subject()), Err(SyncError::OutOfScope(_))));
    // Another job's elements are out of scope too.
    let other = f
        .bim
        .insert_element(&json!({ "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" }, "code": { "spec": "bis:Subject", "scope": "0x1", "value": "Other:job" } }))
        .unwrap();
    assert!(matches!(f.sync.delete_element(&mut f.bim, other), Err(SyncError::OutOfScope(_))));
    let scoped_elsewhere = SourceItem { scope: Some(hex(other)), ..Fixture::item("x", None, None) };
    assert!(matches!(f.sync.detect_changes(&mut f.bim, &scoped_elsewhere), Err(SyncError::OutOfScope(_))));
}

#[test]
fn batch_detection_answers_like_single_detection() {
    let mut f = fixture();
    for i in 0..100 {
        let props = f.object(&format!("o{i}"));
        f.write(&Fixture::item(&format!("o{i}"), Some("1"), None), &props);
    }
    // Half unchanged, a quarter changed, a quarter new: enough to take the bulk path.
    let items: Vec<SourceItem> =
        (0..150).map(|i| Fixture::item(&format!("o{i}"), Some(if i % 4 == 1 { "2" } else { "1" }), None)).collect();
    let batch = f.sync.detect_changes_batch(&mut f.bim, &items).unwrap();
    let single: Vec<ChangeResult> = items.iter().map(|i| f.sync.detect_changes(&mut f.bim, i).unwrap()).collect();
    assert_eq!(batch, single);
    assert_eq!(batch.iter().filter(|r| r.state == ItemState::New).count(), 50);
    assert_eq!(batch.iter().filter(|r| r.state == ItemState::Changed).count(), 25);
}

#[test]
fn with_one_recorded_document_aspects_get_its_external_source() {
    let mut f = fixture();
    let doc = f
        .sync
        .record_document(&mut f.bim, &SourceDocument { docid: "only.json".into(), ..Default::default() })
        .unwrap();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    let aspect = f.bim.external_source_aspects_of(id).unwrap().remove(0);
    assert_eq!(aspect.source, Some(doc.external_source));
    // With two documents there is no single default source.
    f.sync.record_document(&mut f.bim, &SourceDocument { docid: "second.json".into(), ..Default::default() }).unwrap();
    let props = f.object("y");
    let id = f.write(&Fixture::item("y", Some("1"), None), &props);
    assert_eq!(f.bim.external_source_aspects_of(id).unwrap().remove(0).source, None);
}
