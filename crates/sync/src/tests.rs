//! The framework behaviours (connector-framework reference §1.4–1.7), one test each, on the
//! synchronizer directly; and the framework bugs it fixes. DEVELOPERS.md ("Framework behaviours
//! and their tests") maps each behaviour to its test; deviations say what the framework does.

use serde_json::{json, Value};

use super::test_support::{fixture, Fixture};
use super::*;
use itwin_imodel::id64::format as hex;

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

    /// Starts the job's next run: a fresh synchronizer (nothing seen or recorded) on the same
    /// job subject and briefcase.
    fn next_run(&mut self) {
        let mut next = Synchronizer::new("Test", "1.0");
        next.set_job_subject(self.sync.job_subject());
        self.sync = next;
    }

    fn delete_unseen(&mut self, mode: DeletionMode) -> usize {
        self.sync.delete_unseen(&mut self.bim, mode).unwrap()
    }

    fn record(&mut self, docid: &str, version: &str) -> DocumentRecord {
        let doc = SourceDocument { docid: docid.into(), last_modified: Some(version.into()), ..Default::default() };
        self.sync.record_document(&mut self.bim, &doc).unwrap()
    }

    /// An item in `scope` (an element id) instead of the job subject.
    fn scoped(scope: i64, id: &str, version: &str) -> SourceItem {
        SourceItem { scope: Some(hex(scope)), ..Fixture::item(id, Some(version), None) }
    }

    /// An element tracked by an aspect written straight into the briefcase, as an earlier run
    /// (or another tool) would have left it: this run's synchronizer has not seen it.
    fn tracked_elsewhere(&mut self, props: &Value, identifier: &str, scope: i64, source: Option<i64>) -> i64 {
        let id = self.bim.insert_element(props).unwrap();
        self.bim
            .insert_aspect(&json!({
                "classFullName": "BisCore:ExternalSourceAspect", "element": { "id": hex(id) },
                "scope": { "id": hex(scope) }, "source": source.map(|s| json!({ "id": hex(s) })),
                "identifier": identifier, "kind": DEFAULT_KIND,
            }))
            .unwrap();
        id
    }

    /// The children of `parent` as (id, userLabel), in id order.
    fn children_of(&mut self, parent: i64) -> Vec<(i64, String)> {
        let mut ids: Vec<i64> =
            self.bim.element_tree().unwrap().into_iter().filter(|r| r.parent == Some(parent)).map(|r| r.id).collect();
        ids.sort();
        ids.into_iter().map(|id| (id, self.label(id).unwrap_or_default())).collect()
    }

    /// A parent object with children, each `(childId, label)`; a `None` childId leaves the key out.
    fn with_children(&self, label: &str, children: &[(Option<&str>, &str)]) -> Value {
        let mut parent = self.object(label);
        parent["children"] = children
            .iter()
            .map(|(child_id, label)| {
                let mut child = self.object(label);
                if let Some(child_id) = child_id {
                    child["childId"] = json!(child_id);
                }
                child
            })
            .collect();
        parent
    }

    /// Props of a partition under subject `parent` (`class` e.g. `PhysicalPartition`).
    fn partition(parent: i64, class: &str, name: &str) -> Value {
        json!({
            "classFullName": format!("BisCore:{class}"), "model": "0x1", "parent": { "id": hex(parent) },
            "code": { "spec": "bis:InformationPartitionElement", "scope": hex(parent), "value": name },
        })
    }

    /// Inserts the model (`class`, e.g. `PhysicalModel`) of a partition.
    fn insert_model(&mut self, partition: i64, class: &str) {
        let props = json!({ "classFullName": format!("BisCore:{class}"), "modeledElement": { "id": hex(partition) } });
        self.sync.insert_model(&mut self.bim, &props).unwrap();
    }

    /// A partition under the job subject tracked as an item (as the framework's fruits fixture
    /// tracks its partition), with its model; returns the partition (= model) id.
    fn tracked_partition(&mut self, item: &str, class: &str, model_class: &str) -> i64 {
        let props = Fixture::partition(self.sync.job_subject(), class, item);
        let partition = self.write(&Fixture::item(item, Some("1"), None), &props);
        self.insert_model(partition, model_class);
        partition
    }

    /// SpatialCategory props in definition model `model`.
    fn category_props(model: i64, name: &str) -> Value {
        json!({
            "classFullName": "BisCore:SpatialCategory", "model": hex(model),
            "code": { "spec": "bis:SpatialCategory", "scope": hex(model), "value": name },
        })
    }

    /// An object of category `category` in the fixture's physical model.
    fn object_in(&self, category: i64, label: &str) -> Value {
        let mut props = self.object(label);
        props["category"] = json!(hex(category));
        props
    }
}

const CHECKSUM: &str = "01111010011000010110001101101000";

// ---- §1.4 detectChanges ----------------------------------------------------------------------

#[test]
fn untracked_items_are_new_with_no_element() {
    let mut f = fixture();
    let r = f.sync.detect_changes(&mut f.bim, &Fixture::item("x", Some("1"), None)).unwrap();
    assert_eq!(r, ChangeResult { state: ItemState::New, element_id: None });
}

/// The framework defaults `kind` to ""; ours is "Element" (the WIT `source-item` documents it).
/// A connector that wants the framework's aspects passes `kind: ""` itself.
#[test]
fn an_item_without_scope_or_kind_is_tracked_under_the_job_subject_with_kind_element_not_empty() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    let aspect = f.bim.external_source_aspects_of(id).unwrap().remove(0);
    assert_eq!(
        (aspect.scope, aspect.kind.as_str(), aspect.identifier.as_str()),
        (f.sync.job_subject(), "Element", "x")
    );
    let empty_kind = SourceItem { kind: Some(String::new()), ..Fixture::item("y", Some("1"), None) };
    let props = f.object("y");
    let id = f.write(&empty_kind, &props);
    assert_eq!(f.bim.external_source_aspects_of(id).unwrap()[0].kind, "");
}

#[test]
fn version_and_checksum_rules_follow_the_framework() {
    let mut f = fixture();
    let stored = Fixture::item("x", Some("1.0.0"), Some(CHECKSUM));
    let props = f.object("x");
    let id = f.write(&stored, &props);
    // Same version: unchanged, whatever the checksum (the framework does not even call it).
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.0"), Some("different"))), ItemState::Unchanged);
    // New version, same checksum: unchanged.
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.1"), Some(CHECKSUM))), ItemState::Unchanged);
    // New version and checksum: changed.
    assert_eq!(
        f.state(&Fixture::item("x", Some("1.0.1"), Some("01111010011000010110001101101001"))),
        ItemState::Changed
    );
    // Checksum only: it decides.
    assert_eq!(f.state(&Fixture::item("x", None, Some("01111010011000010110001101101001"))), ItemState::Changed);
    assert_eq!(f.state(&Fixture::item("x", None, Some(CHECKSUM))), ItemState::Unchanged);
    // New version, no checksum: compared with the stored checksum: changed.
    assert_eq!(f.state(&Fixture::item("x", Some("1.0.1"), None)), ItemState::Changed);
    // Another kind or scope is another item.
    let other_kind = SourceItem { kind: Some("Other".into()), ..Fixture::item("x", Some("1.0.0"), None) };
    assert_eq!(f.state(&other_kind), ItemState::New);
    let found = f.sync.detect_changes(&mut f.bim, &stored).unwrap();
    assert_eq!(found.element_id, Some(id), "a tracked item names its element");
}

/// `findAllBySource` may return several aspects with one key (itwinjs-core #4629); the framework
/// uses the first. So do single and batch detection, and the update.
#[test]
fn when_several_aspects_share_a_key_the_first_one_is_used() {
    let mut f = fixture();
    let props = f.object("first");
    let first = f.write(&Fixture::item("x", Some("1"), None), &props);
    let props = f.object("second");
    let job = f.sync.job_subject();
    let second = f.tracked_elsewhere(&props, "x", job, None);
    assert_eq!(f.bim.find_external_source_aspects(job, DEFAULT_KIND, "x").unwrap().len(), 2);
    let found = f.sync.detect_changes(&mut f.bim, &Fixture::item("x", Some("1"), None)).unwrap();
    assert_eq!(found, ChangeResult { state: ItemState::Unchanged, element_id: Some(first) });
    // Enough items of one scope and kind for the bulk lookup.
    let items: Vec<SourceItem> =
        (0..70).map(|i| Fixture::item(if i == 0 { "x" } else { "filler" }, Some("1"), None)).collect();
    assert_eq!(f.sync.detect_changes_batch(&mut f.bim, &items).unwrap()[0].element_id, Some(first));
    let props = f.object("first v2");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), None), &props), first);
    assert_eq!(f.label(first).as_deref(), Some("first v2"));
    assert_eq!(f.label(second).as_deref(), Some("second"), "the other element is not touched");
}

/// The connector must mark unchanged items seen (or pass them to `update-imodel`).
#[test]
fn detect_changes_does_not_mark_the_element_seen() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    f.next_run();
    assert_eq!(f.state(&Fixture::item("x", Some("1"), None)), ItemState::Unchanged);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(!f.exists(id));
}

/// The framework crashes on an empty id (it indexes an undefined result); it is refused here.
#[test]
fn items_need_an_id_and_a_job_subject() {
    let mut f = fixture();
    let props = f.object("x");
    let err = f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("", None, None), &props).unwrap_err();
    assert!(matches!(err, SyncError::InvalidProps(_)), "{err}");
    let mut early = Synchronizer::new("Test", "1");
    let err = early.detect_changes(&mut f.bim, &Fixture::item("x", None, None)).unwrap_err();
    assert!(matches!(err, SyncError::OutOfScope(m) if m.contains("job subject")));
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

// ---- §1.5 updateIModel -----------------------------------------------------------------------

/// Insert or update follows the aspect (the framework: aspect presence, not `itemState`; ours
/// takes no state at all). The aspect gets the new version and checksum.
#[test]
fn a_changed_item_is_updated_in_place_and_an_unchanged_one_only_seen() {
    let mut f = fixture();
    let v1 = Fixture::item("x", Some("1"), None);
    let props = f.object("first");
    let id = f.write(&v1, &props);
    let props = f.object("second");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), Some("c2")), &props), id, "same element id");
    assert_eq!(f.label(id).as_deref(), Some("second"));
    let aspect = &f.bim.external_source_aspects_of(id).unwrap()[0];
    assert_eq!((aspect.version.as_deref(), aspect.checksum.as_deref()), (Some("2"), Some("c2")));
    // Unchanged: nothing written.
    let props = f.object("third");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), None), &props), id);
    assert_eq!(f.label(id).as_deref(), Some("second"));
}

/// The framework's Unchanged update needs `elementProps.id` (else "missing id"); ours finds
/// the element by the aspect, so props without an id are fine, and the element is marked seen.
#[test]
fn an_unchanged_item_needs_no_element_id_and_is_marked_seen() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    f.next_run();
    assert!(props.get("id").is_none());
    assert_eq!(f.write(&Fixture::item("x", Some("1"), None), &props), id);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 0);
    assert!(f.exists(id));
}

/// The framework updates `elementProps.id` as the connector gives it and fails (BadArg) when
/// that element is missing. Ours updates the element the aspect names, and an aspect goes with
/// its element, so an update cannot miss: a stale id in the props is overridden, an item whose
/// element was deleted is new again, and `update-element` of a missing element is NotFound.
#[test]
fn an_update_never_targets_a_missing_element() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    let mut stale = f.object("x v2");
    stale["id"] = json!("0xfffff");
    assert_eq!(f.write(&Fixture::item("x", Some("2"), None), &stale), id);
    assert_eq!(f.label(id).as_deref(), Some("x v2"));
    f.sync.delete_element(&mut f.bim, id).unwrap();
    assert_eq!(f.state(&Fixture::item("x", Some("2"), None)), ItemState::New);
    let again = f.write(&Fixture::item("x", Some("2"), None), &props);
    assert_ne!(again, id);
    let err = f.sync.update_element(&mut f.bim, &json!({ "id": hex(id), "userLabel": "gone" })).unwrap_err();
    assert!(matches!(err, SyncError::NotFound(_)), "{err}");
}

#[test]
fn an_update_cannot_change_the_class() {
    let mut f = fixture();
    let props = f.object("x");
    let id = f.write(&Fixture::item("x", Some("1"), None), &props);
    let mut other = props.clone();
    other["classFullName"] = json!("Generic:Group");
    let err = f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("x", Some("2"), None), &other).unwrap_err();
    assert!(matches!(err, SyncError::WrongClass(_)), "{err}");
    assert!(f.exists(id));
    assert_eq!(f.label(id).as_deref(), Some("x"));
}

// ---- §1.6 children -----------------------------------------------------------------------------

/// Deviation: the framework copies the parent's aspect onto each child and matches children by
/// the ids the connector puts in their props; unmatched children are left unseen for deletion
/// detection. Ours: each child has its own aspect (scope = parent, identifier = `childId`), and
/// the update deletes the children it no longer lists (trimming tests "deletes child that is not
/// visited", "deletes all children of an element").
#[test]
fn children_are_matched_by_child_id_and_unlisted_children_deleted() {
    let mut f = fixture();
    let parent = f.with_children("pump", &[(Some("motor"), "motor"), (Some("base"), "base")]);
    let id = f.write(&Fixture::item("pump", Some("1"), None), &parent);
    let v1 = f.children_of(id);
    assert_eq!(v1.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), ["motor", "base"]);
    // Each child has its own aspect (scope = parent), not a copy of the parent's key.
    assert_eq!(f.bim.find_external_source_aspects(f.sync.job_subject(), "Element", "pump").unwrap().len(), 1);
    assert_eq!(f.bim.find_external_source_aspects(id, "Element", "motor").unwrap()[0].element_id, v1[0].0);
    // v2: base removed, a new coupling, the motor renamed — it keeps its id.
    let parent = f.with_children("pump", &[(Some("motor"), "motor v2"), (Some("coupling"), "coupling")]);
    assert_eq!(f.write(&Fixture::item("pump", Some("2"), None), &parent), id);
    let v2 = f.children_of(id);
    assert_eq!(v2.len(), 2);
    assert!(v2.contains(&(v1[0].0, "motor v2".to_owned())), "{v2:?}");
    assert!(!f.exists(v1[1].0), "the unlisted child is deleted by the update itself");
    // v3: no children at all: every child goes.
    let parent = f.with_children("pump", &[]);
    f.write(&Fixture::item("pump", Some("3"), None), &parent);
    assert!(f.children_of(id).is_empty());
    // A failing child leaves nothing of the item written.
    let mut bad = f.object("valve");
    bad["children"] = json!([ { "classFullName": "Generic:PhysicalObject", "model": "0xfffff" } ]);
    assert!(f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("valve", Some("1"), None), &bad).is_err());
    assert_eq!(f.state(&Fixture::item("valve", Some("1"), None)), ItemState::New);
}

/// The framework, when children lack ids, hands the existing children out in list order; ours
/// keys a child without `childId` by its position.
#[test]
fn children_without_child_id_are_matched_by_position() {
    let mut f = fixture();
    let parent = f.with_children("berries", &[(None, "strawberry"), (None, "raspberry")]);
    let id = f.write(&Fixture::item("berries", Some("1"), None), &parent);
    let v1 = f.children_of(id);
    let parent = f.with_children("berries", &[(None, "boysenberry"), (None, "raspberry")]);
    f.write(&Fixture::item("berries", Some("2"), None), &parent);
    let v2 = f.children_of(id);
    assert_eq!(v2, [(v1[0].0, "boysenberry".to_owned()), (v1[1].0, "raspberry".to_owned())]);
    let parent = f.with_children("berries", &[(None, "boysenberry")]);
    f.write(&Fixture::item("berries", Some("3"), None), &parent);
    assert_eq!(f.children_of(id), [(v1[0].0, "boysenberry".to_owned())]);
}

/// The framework throws InvalidId for a New child that has an id; ours refuses any new element
/// with an id, child or not, and writes nothing of the item.
#[test]
fn a_new_child_with_an_id_is_refused() {
    let mut f = fixture();
    let mut parent = f.with_children("pump", &[(Some("motor"), "motor")]);
    parent["children"][0]["id"] = json!("0x123");
    let err =
        f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("pump", Some("1"), None), &parent).unwrap_err();
    assert!(matches!(&err, SyncError::InvalidProps(m) if m.contains("`id`")), "{err}");
    assert_eq!(f.state(&Fixture::item("pump", Some("1"), None)), ItemState::New);
    let mut top = f.object("x");
    top["id"] = json!("0x123");
    let err = f.sync.update_imodel_atomically(&mut f.bim, &Fixture::item("x", Some("1"), None), &top).unwrap_err();
    assert!(matches!(err, SyncError::InvalidProps(_)), "{err}");
}

/// Framework bug #125 (fixed in 2.2.2): with new and changed children in one update, the new
/// ones were skipped. Here a new child first in the list, a changed one and a kept one.
#[test]
fn new_and_changed_children_in_one_update_are_all_written() {
    let mut f = fixture();
    let parent = f.with_children("berries", &[(Some("s"), "strawberry"), (Some("r"), "raspberry")]);
    let id = f.write(&Fixture::item("berries", Some("1"), None), &parent);
    let v1 = f.children_of(id);
    let parent =
        f.with_children("berries", &[(Some("b"), "blueberry"), (Some("s"), "boysenberry"), (Some("r"), "raspberry")]);
    f.write(&Fixture::item("berries", Some("2"), None), &parent);
    let v2 = f.children_of(id);
    assert_eq!(v2.len(), 3, "{v2:?}");
    assert!(v2.contains(&(v1[0].0, "boysenberry".to_owned())), "{v2:?}");
    assert!(v2.contains(&(v1[1].0, "raspberry".to_owned())), "{v2:?}");
    assert!(v2.iter().any(|(id, label)| label == "blueberry" && !v1.iter().any(|(old, _)| old == id)), "{v2:?}");
}

/// Deviation: the framework marks only an unchanged parent seen, so its deletion detection
/// would remove the parent's children; ours keeps them (they belong to the parent's update), in
/// both deletion modes, whether the parent went through `update-imodel` or `on-element-seen`.
#[test]
fn children_of_an_unchanged_parent_are_kept_by_both_deletion_modes() {
    for mode in [DeletionMode::Channel, DeletionMode::File] {
        let mut f = fixture();
        let link = f.record("f.json", "1").repository_link;
        let parent = f.with_children("pump", &[(Some("motor"), "motor")]);
        let through_update = f.write(&Fixture::scoped(link, "pump", "1"), &parent);
        let parent = f.with_children("fan", &[(Some("blade"), "blade")]);
        let through_seen = f.write(&Fixture::scoped(link, "fan", "1"), &parent);
        let children: Vec<i64> =
            [through_update, through_seen].iter().flat_map(|&p| f.children_of(p)).map(|(id, _)| id).collect();
        f.sync.finish_documents(&mut f.bim).unwrap();
        f.next_run();
        assert_eq!(f.record("f.json", "2").state, ItemState::Changed);
        let parent = f.with_children("pump", &[(Some("motor"), "motor")]);
        f.write(&Fixture::scoped(link, "pump", "1"), &parent);
        let found = f.sync.detect_changes(&mut f.bim, &Fixture::scoped(link, "fan", "1")).unwrap();
        f.sync.on_element_seen(found.element_id.unwrap());
        assert_eq!(f.delete_unseen(mode), 0, "{mode:?}");
        assert!(children.iter().all(|&c| f.exists(c)), "{mode:?}");
    }
}

// ---- §1.7 deletion -----------------------------------------------------------------------------

/// Snapshots never delete (the runner maps them to `none`, as it does a connector that opts
/// out, the framework's `shouldDeleteElements() == false`).
#[test]
fn deletion_mode_none_deletes_nothing() {
    let mut f = fixture();
    let props = f.object("a");
    let a = f.write(&Fixture::item("a", Some("1"), None), &props);
    f.next_run();
    assert_eq!(f.delete_unseen(DeletionMode::None), 0);
    assert!(f.exists(a));
}

/// The filter of the framework's channel deletion: the job subject and seen elements stay,
/// unseen elements with an aspect go, untracked ones (partitions, categories, anything
/// `insert-element` wrote) stay and are walked into — here into the partition's model.
#[test]
fn channel_deletion_removes_unseen_tracked_elements_only() {
    let mut f = fixture();
    let a = f.object("a");
    let b = f.object("b");
    let a_id = f.write(&Fixture::item("a", Some("1"), None), &a);
    let b_id = f.write(&Fixture::item("b", Some("1"), None), &b);
    let props = f.object("untracked");
    let untracked = f.sync.insert_element(&mut f.bim, &props).unwrap();
    f.next_run();
    f.sync.on_element_seen(a_id);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(f.exists(a_id) && !f.exists(b_id), "seen stays, unseen tracked goes");
    assert!(f.exists(untracked) && f.exists(f.model) && f.exists(f.category), "untracked elements and partitions stay");
    assert!(f.exists(f.sync.job_subject()));
}

/// `deleteElementSubTrees` walks into elements its filter keeps, seen ones included: a
/// partition tracked and seen does not shield the unseen items in its model.
#[test]
fn channel_deletion_walks_into_seen_elements() {
    let mut f = fixture();
    let site = f.tracked_partition("site", "PhysicalPartition", "PhysicalModel");
    let in_site = |f: &mut Fixture, label: &str| {
        let mut props = f.object(label);
        props["model"] = json!(hex(site));
        f.write(&Fixture::item(label, Some("1"), None), &props)
    };
    let kept = in_site(&mut f, "kept");
    let dropped = in_site(&mut f, "dropped");
    f.next_run();
    let props = Fixture::partition(f.sync.job_subject(), "PhysicalPartition", "site");
    f.write(&Fixture::item("site", Some("1"), None), &props);
    f.sync.on_element_seen(kept);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(f.exists(site) && f.exists(kept) && !f.exists(dropped));
}

/// Trimming test "deletes a model with no children elements": an unseen tracked partition goes
/// with its model and the model's elements.
#[test]
fn channel_deletion_takes_sub_models_of_deleted_elements() {
    let mut f = fixture();
    let site = f.tracked_partition("site", "PhysicalPartition", "PhysicalModel");
    let mut props = f.object("inside");
    props["model"] = json!(hex(site));
    let inside = f.write(&Fixture::item("inside", Some("1"), None), &props);
    f.next_run();
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 2);
    assert!(!f.exists(site) && !f.exists(inside));
    assert!(!f.bim.has_model(site).unwrap());
}

/// Deviation: the framework's channel deletion does nothing at all when any document is
/// unchanged; ours keeps the unchanged document's elements (by the aspects' `source`) and
/// still deletes the unseen elements of changed documents.
#[test]
fn an_unchanged_document_protects_only_its_own_elements() {
    let mut f = fixture();
    // Two documents; items of each carry their document's ExternalSource as `source`.
    let rec_a = f.record("a.json", "1");
    let rec_b = f.record("b.json", "1");
    let job = f.sync.job_subject();
    let props = f.object("from a");
    let in_a = f.tracked_elsewhere(&props, "from a", job, Some(rec_a.external_source));
    let props = f.object("from b");
    let in_b = f.tracked_elsewhere(&props, "from b", job, Some(rec_b.external_source));
    f.sync.finish_documents(&mut f.bim).unwrap();
    // Next run: a is unchanged (and its connector skips it), b changed and no longer has its element.
    f.next_run();
    assert_eq!(f.record("a.json", "1").state, ItemState::Unchanged);
    assert_eq!(f.record("b.json", "2").state, ItemState::Changed);
    f.delete_unseen(DeletionMode::Channel);
    assert!(f.exists(in_a));
    assert!(!f.exists(in_b));
}

/// With several documents `update-imodel` gives aspects no `source` (there is no single
/// default), so an item's document is known only when it is scoped to the document's link.
/// Elements of no known document fall back to the framework's rule: with a document unchanged,
/// they stay.
#[test]
fn with_an_unchanged_document_elements_of_no_known_document_are_kept() {
    let mut f = fixture();
    f.record("a.json", "1");
    let link_b = f.record("b.json", "1").repository_link;
    let props = f.object("a item");
    let a_item = f.write(&Fixture::item("a item", Some("1"), None), &props);
    let props = f.object("b item");
    let b_item = f.write(&Fixture::item("b item", Some("1"), None), &props);
    let props = f.object("b scoped");
    let b_scoped = f.write(&Fixture::scoped(link_b, "b scoped", "1"), &props);
    assert_eq!(f.bim.external_source_aspects_of(a_item).unwrap()[0].source, None);
    f.sync.finish_documents(&mut f.bim).unwrap();
    f.next_run();
    assert_eq!(f.record("a.json", "1").state, ItemState::Unchanged);
    assert_eq!(f.record("b.json", "2").state, ItemState::Changed);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(f.exists(a_item) && f.exists(b_item), "no known document: kept, as the framework would");
    assert!(!f.exists(b_scoped), "scoped to the changed document's link: deleted");
}

/// The framework deletes definitions with `deleteDefinitionElements`, which keeps those still
/// in use; the unused go (a category with its sub-category).
#[test]
fn an_unseen_definition_still_in_use_is_kept() {
    for mode in [DeletionMode::Channel, DeletionMode::File] {
        let mut f = fixture();
        let link = f.record("f.json", "1").repository_link;
        let props = Fixture::category_props(f.definitions, "used");
        let used = f.write(&Fixture::scoped(link, "used", "1"), &props);
        let props = Fixture::category_props(f.definitions, "unused");
        let unused = f.write(&Fixture::scoped(link, "unused", "1"), &props);
        let props = f.object_in(used, "user");
        let user = f.write(&Fixture::scoped(link, "user", "1"), &props);
        f.sync.finish_documents(&mut f.bim).unwrap();
        f.next_run();
        f.record("f.json", "2");
        f.sync.on_element_seen(user);
        assert_eq!(f.delete_unseen(mode), 2, "{mode:?}: the unused category and its sub-category");
        assert!(f.exists(used) && f.exists(used + 1), "{mode:?}: in use, with its sub-category");
        assert!(!f.exists(unused), "{mode:?}");
    }
}

/// A DefinitionPartition (and its model) goes only if its model is empty once the unused
/// definitions are gone (trimming test "deletes a model with no children elements").
#[test]
fn an_unseen_definition_partition_goes_only_when_nothing_in_it_is_used() {
    for used in [false, true] {
        let mut f = fixture();
        let defs = f.tracked_partition("defs", "DefinitionPartition", "DefinitionModel");
        let props = Fixture::category_props(defs, "a");
        let a = f.write(&Fixture::item("a", Some("1"), None), &props);
        let props = Fixture::category_props(defs, "b");
        let b = f.write(&Fixture::item("b", Some("1"), None), &props);
        let props = f.object_in(a, "user");
        let user = f.write(&Fixture::item("user", Some("1"), None), &props);
        f.next_run();
        if used {
            f.sync.on_element_seen(user);
        }
        f.delete_unseen(DeletionMode::Channel);
        assert!(!f.exists(b), "used={used}");
        assert_eq!(f.exists(a), used);
        assert_eq!(f.exists(defs), used);
        assert_eq!(f.bim.has_model(defs).unwrap(), used);
    }
}

/// Subjects are deleted only if childless once everything else under them is processed.
#[test]
fn an_unseen_subject_goes_only_when_nothing_under_it_survives() {
    for used in [false, true] {
        let mut f = fixture();
        let job = hex(f.sync.job_subject());
        let props = json!({
            "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": job },
            "code": { "spec": "bis:Subject", "scope": job, "value": "Child Subject" },
        });
        let subject = f.write(&Fixture::item("child subject", Some("1"), None), &props);
        // Untracked contents, as `insert-element` writes them: they go or stay with the subject.
        let props = Fixture::partition(subject, "DefinitionPartition", "defs");
        let defs = f.sync.insert_element(&mut f.bim, &props).unwrap();
        f.insert_model(defs, "DefinitionModel");
        let category = f.sync.insert_element(&mut f.bim, &Fixture::category_props(defs, "c")).unwrap();
        let props = Fixture::partition(subject, "PhysicalPartition", "physical");
        let physical = f.sync.insert_element(&mut f.bim, &props).unwrap();
        f.insert_model(physical, "PhysicalModel");
        let props = f.object_in(category, "user");
        let user = f.write(&Fixture::item("user", Some("1"), None), &props);
        f.next_run();
        if used {
            f.sync.on_element_seen(user);
        }
        f.delete_unseen(DeletionMode::Channel);
        assert!(!f.exists(physical), "used={used}: the rest of the subject's tree goes");
        for kept in [subject, defs, category] {
            assert_eq!(f.exists(kept), used, "used={used}: {}", hex(kept));
        }
    }
}

/// Trimming test "deletes elements with link-table relationship": the relationships of a
/// deleted element go with it, the grouping element stays.
#[test]
fn relationships_to_deleted_elements_vanish_and_the_group_survives() {
    let mut f = fixture();
    let props = f.object("berry");
    let berry = f.write(&Fixture::item("berry", Some("1"), None), &props);
    let props = f.object("raspberry");
    let raspberry = f.write(&Fixture::item("raspberry", Some("1"), None), &props);
    let basket = f
        .bim
        .insert_element(
            &json!({ "classFullName": "Generic:Group", "model": "0x1", "userLabel": "a basket of berries" }),
        )
        .unwrap();
    for member in [berry, raspberry] {
        f.bim
            .insert_relationship(&json!({ "classFullName": "BisCore:ElementGroupsMembers", "sourceId": hex(basket), "targetId": hex(member) }))
            .unwrap();
    }
    f.next_run();
    f.sync.on_element_seen(berry);
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(f.exists(basket) && !f.exists(raspberry));
    let members: Vec<i64> = f
        .bim
        .relationships_from("BisCore:ElementGroupsMembers", basket)
        .unwrap()
        .into_iter()
        .map(|(_, target)| target)
        .collect();
    assert_eq!(members, [berry]);
}

/// File-based deletion starts from changed documents' links and recurses through every found
/// element as a scope; what goes takes its aspects along (the framework deletes the unseen
/// aspects of what it deletes), so the item is new again.
#[test]
fn file_deletion_follows_changed_documents_scopes() {
    let mut f = fixture();
    let link = f.record("f.json", "1").repository_link;
    let a = f.object("a");
    let b = f.object("b");
    let a_id = f.write(&Fixture::scoped(link, "a", "1"), &a);
    let b_id = f.write(&Fixture::scoped(link, "b", "1"), &b);
    // Items scoped to other items (not their children): found through the recursion.
    let c = f.object("c");
    let c_id = f.write(&Fixture::scoped(a_id, "c", "1"), &c);
    let d = f.object("d");
    let d_id = f.write(&Fixture::scoped(a_id, "d", "1"), &d);
    f.sync.finish_documents(&mut f.bim).unwrap();
    f.next_run();
    assert_eq!(f.record("f.json", "2").state, ItemState::Changed);
    f.sync.on_element_seen(a_id);
    f.sync.on_element_seen(c_id);
    assert_eq!(f.delete_unseen(DeletionMode::File), 2);
    assert!(f.exists(a_id) && f.exists(c_id));
    assert!(!f.exists(b_id) && !f.exists(d_id));
    assert_eq!(f.state(&Fixture::scoped(link, "b", "1")), ItemState::New, "its aspect went with it");
}

/// File-based deletion handles only documents found Changed: a New document never triggers
/// it, nor does an Unchanged one.
#[test]
fn file_deletion_ignores_new_and_unchanged_documents() {
    let mut f = fixture();
    let link = f.record("old.json", "1").repository_link;
    let props = f.object("old");
    let old = f.write(&Fixture::scoped(link, "old", "1"), &props);
    f.sync.finish_documents(&mut f.bim).unwrap();
    f.next_run();
    assert_eq!(f.record("old.json", "1").state, ItemState::Unchanged);
    let new = f.record("new.json", "1");
    assert_eq!(new.state, ItemState::New);
    // Something unseen in the new document's scope (only a direct write can put it there).
    let props = f.object("stray");
    let stray = f.tracked_elsewhere(&props, "stray", new.repository_link, None);
    assert_eq!(f.delete_unseen(DeletionMode::File), 0);
    assert!(f.exists(old) && f.exists(stray));
}

/// Why the framework turns `fileBased` + `scopeToPartition` into channel-based deletion: items
/// scoped to a partition are not reachable from a document's link. We have no such flag: a
/// connector that scopes items that way declares `channel`.
#[test]
fn items_scoped_to_a_partition_need_channel_deletion() {
    let mut f = fixture();
    f.record("f.json", "1");
    let a = f.object("a");
    let b = f.object("b");
    let a_id = f.write(&Fixture::scoped(f.model, "a", "1"), &a);
    let b_id = f.write(&Fixture::scoped(f.model, "b", "1"), &b);
    f.sync.finish_documents(&mut f.bim).unwrap();
    f.next_run();
    f.record("f.json", "2");
    f.sync.on_element_seen(a_id);
    assert_eq!(f.delete_unseen(DeletionMode::File), 0, "file-based does not find them");
    assert_eq!(f.delete_unseen(DeletionMode::Channel), 1);
    assert!(f.exists(a_id) && !f.exists(b_id));
}

// ---- §1.3 documents, and the job's scope -------------------------------------------------------

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
    f.next_run();
    assert_eq!(f.sync.record_document(&mut f.bim, &doc).unwrap().state, ItemState::Unchanged);
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

// ---------------------------------------------------------------------------------------------
// Units and the global origin (the connector guide's "Units and Coordinate systems"): the
// synchronizer converts what a connector sends into metres relative to the global origin, and
// what it reads back the other way.

/// The stored placement origin of an element, as the reader returns it.
fn stored_origin(f: &mut Fixture, id: i64) -> Value {
    f.bim.element_props(id).unwrap().unwrap()["placement"]["origin"].clone()
}

fn xyz(value: &Value) -> [f64; 3] {
    match value {
        Value::Array(a) => [0, 1, 2].map(|i| a.get(i).and_then(Value::as_f64).unwrap_or(0.0)),
        other => ["x", "y", "z"].map(|k| other[k].as_f64().unwrap_or(0.0)),
    }
}

#[test]
fn a_connector_declaring_millimetres_places_1000_mm_at_1_m() {
    let mut f = fixture();
    f.sync.set_source_units(0.001).unwrap();
    let mut props = f.object("pump");
    props["placement"] = json!({ "origin": [1000, 2000, 0], "angles": { "yaw": 90 } });
    props["geom"] =
        json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 500, "baseY": 250, "height": 100, "capped": true } }]);
    let id = f.write(&Fixture::item("pump", Some("1"), None), &props);

    assert_eq!(xyz(&stored_origin(&mut f, id)), [1.0, 2.0, 0.0]);
    let stored = f.bim.element_props(id).unwrap().unwrap();
    assert_eq!(xyz(&stored["placement"]["bbox"]["high"]), [0.5, 0.25, 0.1]);
    assert_eq!(stored["placement"]["angles"]["yaw"].as_f64(), Some(90.0));
    // The connector reads back what it wrote, in its own unit.
    let read = f.sync.element_props(&mut f.bim, &hex(id)).unwrap().unwrap();
    assert_eq!(xyz(&read["placement"]["origin"]), [1000.0, 2000.0, 0.0]);
    assert_eq!(xyz(&read["placement"]["bbox"]["high"]), [500.0, 250.0, 100.0]);

    // Updates convert too, also when they come through update-element.
    f.sync.update_element(&mut f.bim, &json!({ "id": hex(id), "placement": { "origin": [3000, 0, 0] } })).unwrap();
    assert_eq!(xyz(&stored_origin(&mut f, id)), [3.0, 0.0, 0.0]);
}

#[test]
fn the_global_origin_is_subtracted_from_spatial_placements_and_added_back_on_reads() {
    let mut f = fixture();
    f.sync.set_global_origin([1000.0, 2000.0, 0.0]);
    let mut props = f.object("survey point");
    props["placement"] = json!({ "origin": [1500, 2500, 12] });
    let id = f.sync.insert_element(&mut f.bim, &props).unwrap();
    assert_eq!(xyz(&stored_origin(&mut f, id)), [500.0, 500.0, 12.0]);
    let read = f.sync.element_props(&mut f.bim, &hex(id)).unwrap().unwrap();
    assert_eq!(xyz(&read["placement"]["origin"]), [1500.0, 2500.0, 12.0]);
    // Without a placement there is nothing to shift.
    f.sync.update_element(&mut f.bim, &json!({ "id": hex(id), "userLabel": "renamed" })).unwrap();
    assert_eq!(xyz(&stored_origin(&mut f, id)), [500.0, 500.0, 12.0]);
}

#[test]
fn source_units_must_be_a_positive_finite_number_of_metres() {
    let mut f = fixture();
    for bad in [0.0, -0.001, f64::NAN, f64::INFINITY] {
        assert!(matches!(f.sync.set_source_units(bad), Err(SyncError::InvalidProps(_))), "{bad}");
    }
    assert_eq!(f.sync.source_frame(), SourceFrame::default());
}

#[test]
fn an_item_detected_new_is_inserted_once_then_found_tracked() {
    // Detection remembers untracked items so that writing them needs no second lookup; the
    // first write must end that, or a second write in the same run would insert again.
    let mut f = fixture();
    let first = Fixture::item("twice", Some("1"), None);
    assert_eq!(f.state(&first), ItemState::New);
    let id = f.write(&first, &f.object("first"));
    assert_eq!(f.state(&first), ItemState::Unchanged);
    let second = Fixture::item("twice", Some("2"), None);
    assert_eq!(f.write(&second, &f.object("second")), id, "updated in place, not inserted again");
    assert_eq!(f.label(id).as_deref(), Some("second"));
}
