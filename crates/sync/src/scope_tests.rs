//! Containment: what a hostile connector's requests end as, with a victim job in the same iModel.
//! Every refusal is judged on the write as the writer resolves it (any key spelling, `code`
//! expanded), and the host's walks stay bounded on broken trees.

use serde_json::{json, Value};

use super::test_support::{add_job, fixture, Fixture, Job};
use super::*;
use itwin_imodel::id64::format as hex;
use itwin_imodel::CodeScopeType;

/// The fixture's job (the attacker) and a victim job with one physical object.
struct Scene {
    f: Fixture,
    victim: Job,
    victim_sync: Synchronizer,
    victim_object: i64,
}

fn scene() -> Scene {
    let mut f = fixture();
    let (mut victim_sync, victim) = add_job(&mut f.bim, "Victim", "Victim:site.json");
    let victim_object = victim_sync
        .insert_element(
            &mut f.bim,
            &json!({
                "classFullName": "Generic:PhysicalObject", "model": hex(victim.model), "category": hex(victim.category),
                "code": { "spec": "bis:SpatialCategory", "scope": hex(victim.model), "value": "pump" },
            }),
        )
        .unwrap();
    Scene { f, victim, victim_sync, victim_object }
}

impl Scene {
    fn own_object(&mut self, label: &str) -> i64 {
        let props = json!({ "classFullName": "Generic:PhysicalObject", "model": hex(self.f.model), "category": hex(self.f.category), "userLabel": label });
        self.f.sync.insert_element(&mut self.f.bim, &props).unwrap()
    }

    fn insert(&mut self, props: Value) -> Result<i64, SyncError> {
        self.f.sync.insert_element(&mut self.f.bim, &props)
    }

    fn update(&mut self, props: Value) -> Result<(), SyncError> {
        self.f.sync.update_element(&mut self.f.bim, &props)
    }

    /// The victim's object as stored, to compare before and after an attack.
    fn victim_row(&mut self) -> Value {
        self.f.bim.element_props(self.victim_object).unwrap().unwrap()
    }
}

fn out_of_scope<T: std::fmt::Debug>(result: Result<T, SyncError>) {
    assert!(matches!(result, Err(SyncError::OutOfScope(_))), "expected out-of-scope, got {result:?}");
}

fn invalid<T: std::fmt::Debug>(result: Result<T, SyncError>) {
    assert!(matches!(result, Err(SyncError::InvalidProps(_))), "expected invalid-props, got {result:?}");
}

#[test]
fn a_parent_or_model_outside_the_job_is_refused_whatever_the_key_spelling() {
    let mut s = scene();
    let before = s.victim_row();
    let mine = s.own_object("mine");
    let (victim_object, victim_model) = (hex(s.victim_object), hex(s.victim.model));
    for key in ["parent", "Parent", "PARENT"] {
        out_of_scope(s.update(json!({ "id": hex(mine), key: { "id": victim_object } })));
    }
    // A new element under an element of the job, but in the victim's model, the dictionary or
    // the repository model without a parent in the job.
    let own_parent = s.own_object("parent");
    for (key, model) in [("model", victim_model.as_str()), ("Model", victim_model.as_str()), ("model", "0x10")] {
        let props = json!({ "classFullName": "Generic:PhysicalObject", key: model, "category": hex(s.f.category), "parent": { "id": hex(own_parent) } });
        assert!(s.insert(props).is_err());
    }
    out_of_scope(s.insert(json!({ "classFullName": "BisCore:Subject", "model": "0x1", "code": { "spec": "bis:Subject", "scope": "0x1", "value": "" } })));
    // Moving an element to another model under another spelling is refused like `model`.
    invalid(s.update(json!({ "id": hex(mine), "Model": victim_model })));
    assert_eq!(s.victim_row(), before);
}

#[test]
fn a_parent_cycle_is_refused_and_walks_over_a_cycle_made_elsewhere_end() {
    let mut s = scene();
    let a = s.own_object("a");
    let b = s.own_object("b");
    invalid(s.update(json!({ "id": hex(a), "parent": { "id": hex(a) } })));
    s.update(json!({ "id": hex(b), "parent": { "id": hex(a) } })).unwrap();
    invalid(s.update(json!({ "id": hex(a), "parent": { "id": hex(b) } })));

    // A cycle another writer made (the plain briefcase writer checks no scope): the host's
    // scope walk and its delete end, and the cycle is nobody's.
    s.f.bim.update_element(&json!({ "id": hex(a), "parent": { "id": hex(b) } })).unwrap();
    s.f.sync.forget_scope();
    out_of_scope(s.update(json!({ "id": hex(a), "userLabel": "x" })));
    assert_eq!(s.f.sync.owner(&s.f.bim, b).unwrap(), scope::Owner::Foreign);
    // Each refers to the other, so SQLite's foreign keys refuse the delete: it ends with an error.
    assert!(s.f.bim.delete_element(a).is_err());
    assert_eq!(s.f.sync.delete_unseen(&mut s.f.bim, DeletionMode::Channel).unwrap(), 0);
}

#[test]
fn references_codes_and_relationships_must_stay_in_the_job_or_shared() {
    let mut s = scene();
    let before = s.victim_row();
    // A category of another job; one in the dictionary is shared.
    let props = json!({ "classFullName": "Generic:PhysicalObject", "model": hex(s.f.model), "Category": hex(s.victim.category) });
    out_of_scope(s.insert(props));
    let shared = s
        .f
        .bim
        .insert_element(&json!({ "classFullName": "BisCore:SpatialCategory", "model": "0x10", "code": { "spec": "bis:SpatialCategory", "scope": "0x10", "value": "Shared" } }))
        .unwrap();
    s.insert(json!({ "classFullName": "Generic:PhysicalObject", "model": hex(s.f.model), "category": hex(shared) }))
        .unwrap();
    // Codes: scoped in the job only, or repository-scoped with a code spec of its own.
    let (model, category) = (hex(s.f.model), hex(s.f.category));
    let code = |scope: &str, spec: &str, value: &str| json!({ "classFullName": "Generic:PhysicalObject", "model": model, "category": category, "code": { "spec": spec, "scope": scope, "value": value } });
    out_of_scope(s.insert(code(&hex(s.victim.model), "bis:SpatialCategory", "squat")));
    out_of_scope(s.insert(code("0x1", "bis:LinkElement", "squat")));
    s.f.sync.ensure_code_spec(&mut s.f.bim, "Test:Tag", CodeScopeType::Repository).unwrap();
    s.insert(code("0x1", "Test:Tag", "mine")).unwrap();
    s.insert(code(&hex(s.f.model), "bis:SpatialCategory", "mine")).unwrap();
    // Relationships start in the job and end in it, at shared elements or the job's documents.
    let sub = s
        .insert(json!({ "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": hex(s.f.sync.job_subject()) }, "code": { "spec": "bis:Subject", "scope": hex(s.f.sync.job_subject()), "value": "sub" } }))
        .unwrap();
    let rel = |source: i64, target: i64| json!({ "classFullName": "BisCore:SubjectRefersToSubject", "sourceId": hex(source), "targetId": hex(target) });
    out_of_scope(s.f.sync.insert_relationship(&mut s.f.bim, &rel(sub, s.victim.subject)));
    out_of_scope(s.f.sync.insert_relationship(&mut s.f.bim, &rel(s.victim.subject, sub)));
    let spelled = json!({ "classFullName": "BisCore:SubjectRefersToSubject", "sourceId": hex(sub), "TargetECInstanceId": hex(s.victim.subject) });
    out_of_scope(s.f.sync.insert_relationship(&mut s.f.bim, &spelled));
    s.f.sync.insert_relationship(&mut s.f.bim, &rel(sub, 1)).unwrap();
    assert_eq!(s.victim_row(), before);
}

#[test]
fn code_specs_are_named_by_the_connector_that_owns_them() {
    let mut s = scene();
    out_of_scope(s.f.sync.ensure_code_spec(&mut s.f.bim, "Victim:Tag", CodeScopeType::Model));
    out_of_scope(s.f.sync.ensure_code_spec(&mut s.f.bim, "Tag", CodeScopeType::Model));
    out_of_scope(s.f.sync.ensure_code_spec(&mut s.f.bim, "bis:NotThere", CodeScopeType::Model));
    s.f.sync.ensure_code_spec(&mut s.f.bim, "test:Tag", CodeScopeType::Model).unwrap();
    s.f.sync.ensure_code_spec(&mut s.f.bim, "bis:SpatialCategory", CodeScopeType::Model).unwrap();
    s.victim_sync.ensure_code_spec(&mut s.f.bim, "Victim:Tag", CodeScopeType::Model).unwrap();
}

#[test]
fn reads_answer_only_for_the_job_and_shared_definitions() {
    let mut s = scene();
    let victim_object = hex(s.victim_object);
    out_of_scope(s.f.sync.element_props(&mut s.f.bim, &victim_object));
    out_of_scope(s.f.sync.find_relationships(&mut s.f.bim, "BisCore:ElementRefersToElements", &victim_object));
    let victim_model = hex(s.victim.model);
    assert_eq!(
        s.f.sync.find_element_by_code(&mut s.f.bim, "bis:SpatialCategory", &victim_model, "pump").unwrap(),
        None
    );
    assert!(s
        .victim_sync
        .find_element_by_code(&mut s.f.bim, "bis:SpatialCategory", &victim_model, "pump")
        .unwrap()
        .is_some());
    assert!(s.f.sync.element_props(&mut s.f.bim, "0x10").unwrap().is_some());
    assert!(s.f.sync.element_props(&mut s.f.bim, "0x1").unwrap().is_some());
    assert!(s.f.sync.element_props(&mut s.f.bim, "0xffffff").unwrap().is_none());
}

#[test]
fn a_document_belongs_to_the_job_that_recorded_it_first() {
    let mut s = scene();
    let doc = SourceDocument {
        docid: "site.json".into(),
        last_modified: Some("1".into()),
        url: Some("victim".into()),
        ..Default::default()
    };
    let recorded = s.victim_sync.record_document(&mut s.f.bim, &doc).unwrap();
    s.victim_sync.finish_documents(&mut s.f.bim).unwrap();
    let link_before = s.f.bim.element_props(recorded.repository_link).unwrap();

    // The attacker records the same docid with another url and version. Before its job subject
    // is known (as in open-source-data): a document of another connector's job is refused at
    // once; one of the same connector's other job when the job subject is found.
    let stolen = SourceDocument { url: Some("attacker".into()), last_modified: Some("2".into()), ..doc.clone() };
    out_of_scope(Synchronizer::new("Test", "1.0").record_document(&mut s.f.bim, &stolen));
    let job_json = json!({ "Subject": { "Job": { "Bridge": "Victim" } } });
    s.f.bim.update_element(&json!({ "id": hex(s.victim.subject), "jsonProperties": job_json })).unwrap();
    let mut same_connector = Synchronizer::new("Victim", "1.0");
    same_connector.record_document(&mut s.f.bim, &stolen).unwrap();
    same_connector.set_job_subject(s.f.sync.job_subject());
    out_of_scope(same_connector.bind_documents());
    // After the job subject is known, at once.
    out_of_scope(s.f.sync.record_document(&mut s.f.bim, &stolen));
    assert_eq!(s.f.bim.element_props(recorded.repository_link).unwrap(), link_before);
    // The victim's own next run still sees its document change.
    let mut next = Synchronizer::new("Victim", "1.0");
    next.set_job_subject(s.victim.subject);
    assert_eq!(next.record_document(&mut s.f.bim, &stolen).unwrap().state, ItemState::Changed);
}

#[test]
fn job_subjects_are_the_hosts_bound_to_connector_and_source() {
    let mut f = fixture();
    let job = |name: &'static str, connector: &'static str, source: &'static str| JobIdentity {
        subject_name: name,
        connector,
        connector_version: "1",
        source,
        channel_key: Some(connector),
    };
    let mut sync = Synchronizer::new("A", "1");
    let (subject, created) = sync.ensure_job_subject(&mut f.bim, &job("A:s.json", "A", "s.json")).unwrap();
    assert!(created);
    assert_eq!(f.bim.channel_root_owner(subject).unwrap().as_deref(), Some("A"));
    assert_eq!(sync.ensure_job_subject(&mut f.bim, &job("A:s.json", "A", "s.json")).unwrap(), (subject, false));
    for (name, connector, source, says) in [
        ("A:s.json", "B", "s.json", "belongs to connector"),
        ("A:s.json", "A", "other.json", "was created for source"),
        ("sync", "A", "s.json", "root subject"),
        // The fixture's job subject was not made by the host as a job subject.
        ("Test:job", "Test", "s.json", "not a job subject"),
    ] {
        match sync.ensure_job_subject(&mut f.bim, &job(name, connector, source)) {
            Err(SyncError::OutOfScope(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{name} by {connector}: expected out-of-scope, got {other:?}"),
        }
    }
}

#[test]
fn values_that_cannot_be_stored_are_refused_naming_the_element() {
    let mut f = fixture();
    invalid(f.sync.set_source_units(5e-324));
    invalid(f.sync.set_source_units(1e300));
    f.sync.set_source_units(1000.0).unwrap();
    let mut props = json!({ "classFullName": "Generic:PhysicalObject", "model": hex(f.model), "category": hex(f.category), "code": { "spec": "bis:SpatialCategory", "scope": hex(f.model), "value": "far" } });
    for origin in [json!([1e300, 0, 0]), json!([0, 2e9, 0])] {
        props["placement"] = json!({ "origin": origin, "angles": {} });
        match f.sync.insert_element(&mut f.bim, &props) {
            Err(SyncError::InvalidProps(message)) => {
                assert!(message.contains("\"far\"") && message.contains("coordinate"), "{message}")
            }
            other => panic!("expected invalid-props, got {other:?}"),
        }
    }
    props["placement"] = json!({ "origin": [1e6, 0, 0], "angles": {} });
    f.sync.insert_element(&mut f.bim, &props).unwrap();
}

#[test]
fn marking_ids_of_no_element_seen_keeps_nothing() {
    let mut f = fixture();
    let before = f.sync.seen_elements.len();
    // Scattered ids of no element: a connector cannot grow the host's seen set with them.
    for id in (0..1000).map(|i| 0x7000_0000_0000 + i * 0x1_0000_0000) {
        f.sync.mark_seen(&mut f.bim, id).unwrap();
    }
    assert_eq!(f.sync.seen_elements.len(), before);
    // The root subject exists and was not marked yet.
    assert!(!f.sync.seen_elements.contains(0x1));
    f.sync.mark_seen(&mut f.bim, 0x1).unwrap();
    assert!(f.sync.seen_elements.contains(0x1));
}

#[test]
fn an_unmap_finds_every_document_the_job_owns() {
    let mut s = scene();
    let doc =
        |docid: &str| SourceDocument { docid: docid.into(), last_modified: Some("1".into()), ..Default::default() };
    let mine = s.f.sync.record_document(&mut s.f.bim, &doc("mine.json")).unwrap();
    s.f.sync.finish_documents(&mut s.f.bim).unwrap();
    let theirs = s.victim_sync.record_document(&mut s.f.bim, &doc("theirs.json")).unwrap();
    s.victim_sync.finish_documents(&mut s.f.bim).unwrap();
    // A later run that records nothing still finds its own document, and only that.
    let mut next = Synchronizer::new("Test", "1.0");
    next.set_job_subject(s.f.sync.job_subject());
    assert_eq!(next.owned_document_links(&mut s.f.bim).unwrap(), vec![mine.repository_link]);
    assert_ne!(mine.repository_link, theirs.repository_link);
}

/// Found by the containment fuzzer: an empty code scoped by another job's element was accepted
/// (only codes with a value were judged), so the victim could no longer delete that element.
#[test]
fn an_empty_code_scoped_by_another_jobs_element_is_refused() {
    let mut s = scene();
    let (model, category) = (hex(s.f.model), hex(s.f.category));
    for scope in [hex(s.victim_object), hex(s.victim.model)] {
        let props = json!({ "classFullName": "Generic:PhysicalObject", "model": model, "category": category, "code": { "spec": "bis:SpatialCategory", "scope": scope, "value": "" } });
        out_of_scope(s.insert(props));
        let mine = s.own_object("mine");
        out_of_scope(s.update(
            json!({ "id": hex(mine), "code": { "spec": "bis:SpatialCategory", "scope": scope, "value": null } }),
        ));
    }
    // Still allowed: an empty code scoped in the job or by shared elements.
    s.insert(json!({ "classFullName": "Generic:PhysicalObject", "model": model, "category": category, "code": { "spec": "bis:SpatialCategory", "scope": "0x1", "value": "" } })).unwrap();
    // The victim can still delete its element.
    s.victim_sync.delete_element(&mut s.f.bim, s.victim_object).unwrap();
}
