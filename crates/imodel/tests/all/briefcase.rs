//! End-to-end tests of the briefcase writer. Compatibility is judged by the official iTwin.js
//! backend (tests/compat, Node): it opens, queries and keeps editing the files we write.

use std::path::Path;

use crate::fixture::{self, Fixture};
use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, OpenError, RootSubject, WriteError};
use itwin_test_support::compat;
use itwin_test_support::snapshot;
use serde_json::{json, Value};

fn new_briefcase(dir: &Path, name: &str) -> (Briefcase, std::path::PathBuf) {
    let path = dir.join(name);
    let bim = Briefcase::create(&path, &RootSubject::named("Written by itwin-host")).unwrap();
    (bim, path)
}

#[test]
fn itwinjs_opens_reads_and_keeps_editing_what_we_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, path) = new_briefcase(dir.path(), "written.bim");
    let f: Fixture = fixture::write(&mut bim).unwrap();
    bim.close().unwrap();
    let report = compat::check_with_itwinjs(&path, &f.expected);
    assert!(report.contains("0 failed"), "{report}");
    // Every placed element was compared with the range iTwin.js computes for it.
    assert_eq!(report.matches("ok spatial index").count(), 4, "{report}");
}

#[test]
fn a_private_file_journals_in_memory_and_closes_in_wal_mode_for_itwinjs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.bim");
    let mut bim = Briefcase::create_private(&path, &RootSubject::named("Written aside")).unwrap();
    let mode: String = bim.connection().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "memory");
    let f: Fixture = fixture::write(&mut bim).unwrap();
    // No WAL was written on the way.
    assert!(!dir.path().join("private.bim-wal").exists());
    bim.close().unwrap();
    // The file is in WAL mode again, as the seed and every iTwin.js briefcase are.
    let header = std::fs::read(&path).unwrap();
    assert_eq!((header[18], header[19]), (2, 2), "write/read versions of a WAL database");
    let report = compat::check_with_itwinjs(&path, &f.expected);
    assert!(report.contains("0 failed"), "{report}");
}

#[test]
fn our_read_back_agrees_with_itwinjs_get_element_props() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, path) = new_briefcase(dir.path(), "readback.bim");
    fixture::write(&mut bim).unwrap();
    let ids: Vec<i64> = bim
        .connection()
        .prepare("SELECT Id FROM bis_Element ORDER BY Id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut elements = Vec::new();
    for id in ids {
        let mut props = bim.element_props(id).unwrap().expect("listed element");
        // The seed's own elements carry values made by iTwin.js (random FederationGuids); ours
        // are compared on every key the reader produced.
        props.as_object_mut().unwrap().remove("id");
        elements.push(json!({ "id": hex(id), "props": props }));
    }
    assert!(elements.len() >= 18, "the fixture wrote {} elements", elements.len());
    bim.close().unwrap();
    let report = compat::check_with_itwinjs(&path, &json!({ "elements": elements }));
    assert!(report.contains("0 failed"), "{report}");
}

#[test]
fn deleting_removes_children_sub_models_aspects_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, path) = new_briefcase(dir.path(), "deleted.bim");
    let f = fixture::write(&mut bim).unwrap();
    let id_of = |class: &str, label: &str| -> i64 {
        let e = f.expected["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["props"]["classFullName"] == class
                    && (e["props"]["userLabel"] == label || e["props"]["code"]["value"] == label)
            })
            .unwrap_or_else(|| panic!("no {class} {label}"));
        itwin_imodel::id64::parse(e["id"].as_str().unwrap(), "id").unwrap()
    };
    let assembly = id_of("Generic:PhysicalObject", "Pump 0");
    let groups_partition = id_of("BisCore:GroupInformationPartition", "Groups");
    // The assembly parent takes its child; the partition takes its model, the group in it and
    // the group's ElementGroupsMembers rows.
    assert_eq!(bim.delete_element(assembly).unwrap(), 2);
    assert_eq!(bim.delete_element(groups_partition).unwrap(), 2);
    assert!(matches!(bim.delete_element(assembly), Err(WriteError::NotFound { .. })));
    bim.close().unwrap();

    let gone = [hex(assembly), hex(assembly + 3), hex(groups_partition), hex(f.category + 16)];
    let mut expected = f.expected.clone();
    expected["elements"].as_array_mut().unwrap().retain(|e| {
        !gone.contains(&e["id"].as_str().unwrap().to_owned()) && e["props"]["classFullName"] != "Generic:Group"
    });
    expected["aspects"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["identifier"] != "asset-0" && a["identifier"] != "asset-3");
    expected["relationships"].as_array_mut().unwrap().retain(|r| r["classFullName"] != "BisCore.ElementGroupsMembers");
    expected["models"].as_array_mut().unwrap().retain(|m| m["classFullName"] != "Generic:GroupModel");
    for (class, n) in [
        ("Generic.PhysicalObject", 2),
        ("Generic.Group", 0),
        ("BisCore.GroupInformationPartition", 0),
        ("BisCore.ExternalSourceAspect", 2),
        ("BisCore.ElementGroupsMembers", 0),
    ] {
        expected["counts"][class] = json!(n);
    }
    expected["counts"]["Generic.GroupModel"] = json!(0);
    // P-002 stays: the checker's duplicate-code probe copies its code.
    expected["edit"]["updateElement"] = json!(hex(assembly + 2));
    expected["edit"]["deleteElement"] = json!(hex(assembly + 1));
    let report = compat::check_with_itwinjs(&path, &expected);
    assert!(report.contains("0 failed"), "{report}");
}

/// Each bad input is refused with its own error, and leaves the file exactly as it was.
#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, path) = new_briefcase(dir.path(), "bad.bim");
    let f = fixture::write(&mut bim).unwrap();
    bim.close().unwrap();
    let before = snapshot::content(&path);
    let mut bim = Briefcase::open(&path).unwrap();
    let model = hex(f.physical_model);
    let category = hex(f.category);
    let definitions = f.expected["edit"]["definitionModel"].as_str().unwrap().to_owned();
    let good =
        json!({ "classFullName": "Generic:PhysicalObject", "model": model, "category": category, "userLabel": "good" });
    let with = |extra: Value| {
        let mut p = good.clone();
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    let tag_spec = f.expected["duplicateCode"]["code"]["spec"].clone();
    type Case = (&'static str, Value, fn(&WriteError) -> bool);
    let cases: Vec<Case> = vec![
        ("unknown class", with(json!({ "classFullName": "Generic:NoSuchThing" })), |e| {
            matches!(e, WriteError::UnknownClass { .. })
        }),
        (
            "property not in class",
            with(json!({ "flowRate": 3 })),
            |e| matches!(e, WriteError::UnknownProperty { property, .. } if property == "flowRate"),
        ),
        (
            "wrong value type",
            with(json!({ "userLabel": 42 })),
            |e| matches!(e, WriteError::WrongType { property, .. } if property == "userLabel"),
        ),
        (
            "navigation id that does not exist",
            with(json!({ "category": "0xfffff" })),
            |e| matches!(e, WriteError::NotFound { id, .. } if id == "0xfffff"),
        ),
        ("category that is not a category", with(json!({ "category": model.clone() })), |e| {
            matches!(e, WriteError::WrongClass { .. })
        }),
        ("PhysicalObject in a DefinitionModel", with(json!({ "model": definitions })), |e| {
            matches!(e, WriteError::WrongModel { .. })
        }),
        (
            "duplicate code",
            with(json!({ "code": { "spec": tag_spec, "scope": model.clone(), "value": "p-002" } })),
            |e| matches!(e, WriteError::DuplicateCode { value, .. } if value == "p-002"),
        ),
        (
            "malformed federationGuid",
            with(json!({ "federationGuid": "not-a-guid" })),
            |e| matches!(e, WriteError::WrongType { property, .. } if property == "federationGuid"),
        ),
        ("abstract class", with(json!({ "classFullName": "BisCore:PhysicalElement" })), |e| {
            matches!(e, WriteError::AbstractClass { .. })
        }),
        ("missing model", json!({ "classFullName": "Generic:PhysicalObject", "category": category }), |e| {
            matches!(e, WriteError::MissingProperty { .. })
        }),
        ("read-only property", with(json!({ "lastMod": "2020-01-01T00:00:00Z" })), |e| {
            matches!(e, WriteError::ReadOnlyProperty { .. })
        }),
        ("NaN-like coordinate", with(json!({ "placement": { "origin": [0, "x", 0] } })), |e| {
            matches!(e, WriteError::WrongType { .. })
        }),
    ];
    for (what, props, expected) in &cases {
        // Alone: the write is its own transaction.
        let err = bim.insert_element(props).expect_err(what);
        assert!(expected(&err), "{what}: unexpected error {err}");
        assert!(!err.to_string().contains('\n'), "{what}: error is not one line: {err}");
        // Inside a group: the failed write leaves no trace, the group goes on.
        bim.begin().unwrap();
        let first = bim.insert_element(&good).unwrap();
        assert!(bim.insert_element(props).is_err(), "{what}");
        let second = bim.insert_element(&good).unwrap();
        assert!(bim.element_props(first).unwrap().is_some() && bim.element_props(second).unwrap().is_some());
        bim.rollback().unwrap();
    }
    // A whole group that fails is rolled back.
    let result: Result<(), WriteError> = bim.transaction(|b| {
        b.insert_element(&good)?;
        b.insert_element(&with(json!({ "code": { "spec": tag_spec, "scope": model, "value": "P-001" } })))?;
        Ok(())
    });
    assert!(matches!(result, Err(WriteError::DuplicateCode { .. })));
    bim.close().unwrap();
    assert!(snapshot::content(&path) == before, "a refused write changed the file");
}

#[test]
fn open_refuses_what_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.bim");
    std::fs::write(&text, "just some text, not a database").unwrap();
    let err = Briefcase::open(&text).err().unwrap();
    assert!(matches!(err, OpenError::NotAnIModel { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite database"), "{err}");

    let plain = dir.path().join("plain.db");
    rusqlite::Connection::open(&plain).unwrap().execute_batch("CREATE TABLE t(x)").unwrap();
    let err = Briefcase::open(&plain).err().unwrap();
    assert!(err.to_string().contains("without the iModel property table"), "{err}");

    let (bim, newer) = new_briefcase(dir.path(), "newer.bim");
    bim.close().unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute("UPDATE be_Prop SET StrData = '{\"major\":4,\"minor\":1,\"sub1\":0,\"sub2\":0}' WHERE Namespace = 'ec_Db' AND Name = 'SchemaVersion'", [])
        .unwrap();
    let err = Briefcase::open(&newer).err().unwrap();
    assert!(matches!(err, OpenError::UnsupportedProfile { profile: "ECDb", .. }), "{err}");
    assert!(err.to_string().contains("4.1.0.0"), "{err}");

    let (held, path) = new_briefcase(dir.path(), "held.bim");
    let err = Briefcase::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("held by another writer"), "{err}");
    held.close().unwrap();
    // Another program's write transaction holds it too.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("BEGIN IMMEDIATE; UPDATE be_Local SET Val = Val WHERE Name = 'bis_elementidsequence';")
        .unwrap();
    let err = Briefcase::open(&path).err().unwrap();
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    Briefcase::open(&path).unwrap().close().unwrap();

    let err = Briefcase::create(&path, &RootSubject::named("again")).err().unwrap();
    assert!(matches!(err, OpenError::AlreadyExists { .. }), "{err}");
}

#[test]
fn a_new_file_has_its_own_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.bim");
    let root = RootSubject { name: "Plant 7".into(), description: "the seventh plant".into() };
    let mut bim = Briefcase::create(&path, &root).unwrap();
    let props = bim.element_props(1).unwrap().unwrap();
    assert_eq!(props["code"]["value"], "Plant 7");
    assert_eq!(props["description"], "the seventh plant");
    let guid: Vec<u8> = bim
        .connection()
        .query_row("SELECT Data FROM be_Prop WHERE Namespace='be_Db' AND Name='DbGuid'", [], |r| r.get(0))
        .unwrap();
    let seed = rusqlite::Connection::open_with_flags(
        {
            let p = dir.path().join("seed.bim");
            std::fs::write(&p, itwin_imodel::SEED_IMODEL).unwrap();
            p
        },
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let seed_guid: Vec<u8> =
        seed.query_row("SELECT Data FROM be_Prop WHERE Namespace='be_Db' AND Name='DbGuid'", [], |r| r.get(0)).unwrap();
    assert_eq!(guid.len(), 16);
    assert_ne!(guid, seed_guid);
    bim.close().unwrap();
}

/// The reverse direction: iTwin.js makes and fills a file; we add and change rows in it; iTwin.js
/// still reads all of it, passes its integrity checks and keeps editing.
#[test]
fn we_keep_editing_a_file_itwinjs_made_and_filled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("filled.bim");
    let expected_path = dir.path().join("filled.json");
    compat::node("make-filled.js", &[&path, &expected_path]);
    let mut expected: Value = serde_json::from_slice(&std::fs::read(&expected_path).unwrap()).unwrap();
    let ids = expected["ids"].clone();
    let id = |v: &Value| itwin_imodel::id64::parse(v.as_str().unwrap(), "id").unwrap();

    let mut bim = Briefcase::open(&path).unwrap();
    let subject_spec = bim.code_spec_by_name("bis:Subject").unwrap().unwrap();
    let subcategory_spec = bim.code_spec_by_name("bis:SubCategory").unwrap().unwrap();
    let mut added = Vec::new();
    bim.begin().unwrap();
    let subject = json!({
        "classFullName": "BisCore:Subject", "model": "0x1",
        "code": { "spec": hex(subject_spec), "scope": ids["jobSubject"], "value": "Added by itwin-host" },
        "parent": { "id": ids["jobSubject"], "relClassName": "BisCore:SubjectOwnsSubjects" }, "description": "a sub-job",
    });
    added.push((bim.insert_element(&subject).unwrap(), subject));
    let subcategory = json!({
        "classFullName": "BisCore:SubCategory", "model": ids["definitionModel"],
        "code": { "spec": hex(subcategory_spec), "scope": ids["category"], "value": "Added" },
        "parent": { "id": ids["category"], "relClassName": "BisCore:CategoryOwnsSubCategories" },
        "appearance": { "color": 65280, "weight": 4 },
    });
    added.push((bim.insert_element(&subcategory).unwrap(), subcategory));
    let object = json!({
        "classFullName": "Generic:PhysicalObject", "model": ids["physicalModel"], "category": ids["category"],
        "code": { "spec": ids["codeSpec"], "scope": ids["physicalModel"], "value": "ADDED-1" },
        "userLabel": "added by itwin-host",
        "placement": { "origin": [5.0, 6.0, 7.0], "angles": { "yaw": 45.0 } },
        "parent": { "id": ids["objects"][1], "relClassName": "BisCore:PhysicalElementAssemblesElements" },
        "jsonProperties": { "UserProps": { "by": "itwin-host" } },
    });
    let object_id = bim.insert_element(&object).unwrap();
    added.push((object_id, object));
    bim.insert_aspect(&json!({
        "classFullName": "BisCore:ExternalSourceAspect", "element": { "id": hex(object_id) },
        "scope": { "id": ids["externalSource"] }, "source": { "id": ids["externalSource"] },
        "identifier": "added-1", "kind": "Element", "version": "2", "checksum": "x",
    }))
    .unwrap();
    // Change an element iTwin.js wrote, and one of its aspects.
    let changed = id(&ids["objects"][2]);
    bim.update_element(&json!({ "id": hex(changed), "userLabel": "relabelled by itwin-host", "placement": { "origin": [1.0, 2.0, 3.0], "angles": { "roll": 10.0 } } })).unwrap();
    let aspect = &bim.external_source_aspects_of(changed).unwrap()[0];
    bim.update_aspect(&json!({ "id": hex(aspect.id), "version": "2", "checksum": "changed" })).unwrap();
    let changed_identifier = aspect.identifier.clone();
    bim.commit().unwrap();
    bim.close().unwrap();

    for (element, props) in added {
        expected["elements"].as_array_mut().unwrap().push(json!({ "id": hex(element), "props": props }));
    }
    for e in expected["elements"].as_array_mut().unwrap() {
        if e["id"] == hex(changed) {
            e["props"]["userLabel"] = json!("relabelled by itwin-host");
            e["props"]["placement"] = json!({ "origin": [1.0, 2.0, 3.0], "angles": { "roll": 10.0 } });
        }
    }
    for a in expected["aspects"].as_array_mut().unwrap() {
        if a["identifier"] == changed_identifier {
            a["version"] = json!("2");
            a["checksum"] = json!("changed");
        }
    }
    expected["aspects"].as_array_mut().unwrap().push(json!({ "elementId": hex(object_id), "scope": ids["externalSource"], "kind": "Element", "identifier": "added-1", "version": "2", "checksum": "x" }));
    for (class, delta) in [
        ("BisCore.Subject", 1),
        ("BisCore.SubCategory", 1),
        ("Generic.PhysicalObject", 1),
        ("BisCore.ExternalSourceAspect", 1),
    ] {
        expected["counts"][class] = json!(expected["counts"][class].as_i64().unwrap() + delta);
    }
    // The checker's own edit deletes this element; keep our additions out of its way.
    assert_ne!(expected["edit"]["deleteElement"], ids["objects"][1]);
    let report = compat::check_with_itwinjs(&path, &expected);
    assert!(report.contains("0 failed"), "{report}");
}

/// The embedded seed is what `scripts/make-seed.sh` makes: same schema, same rows, apart from
/// what makes each file unique (DbGuid, dates, random FederationGuids).
#[test]
fn embedded_seed_matches_what_the_seed_script_makes() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh-seed.bim");
    compat::node("make-seed.js", &[&fresh]);
    let embedded = dir.path().join("embedded-seed.bim");
    std::fs::write(&embedded, itwin_imodel::SEED_IMODEL).unwrap();
    let describe = |path: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let mut out: Vec<String> = conn
            .prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for query in [
            "SELECT Name || ' ' || VersionDigit1 || '.' || VersionDigit2 || '.' || VersionDigit3 FROM ec_Schema ORDER BY Name",
            "SELECT Namespace || '/' || Name || '=' || coalesce(StrData, '') FROM be_Prop WHERE Name NOT IN ('DbGuid', 'CreationDate') ORDER BY 1",
            "SELECT Name || '=' || quote(Val) FROM be_Local ORDER BY 1",
            "SELECT Id || ' ' || ECClassId || ' ' || ModelId || ' ' || coalesce(CodeValue, '') FROM bis_Element WHERE Id != 1 ORDER BY Id",
            "SELECT Id || ' ' || Name || ' ' || coalesce(JsonProperties, '') FROM bis_CodeSpec ORDER BY Id",
            "SELECT 'classes ' || count(*) FROM ec_Class",
            "SELECT 'property maps ' || count(*) FROM ec_PropertyMap",
        ] {
            out.extend(conn.prepare(query).unwrap().query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap));
        }
        out
    };
    assert_eq!(
        describe(&embedded),
        describe(&fresh),
        "crates/imodel/seed/empty.bim is stale: run scripts/make-seed.sh"
    );
}

/// Change detection's queries: find aspects by scope/kind/identifier, update and delete them;
/// find and delete link-table relationships; models whose geometry changed get a new GeometryGuid.
#[test]
fn aspects_and_relationships_are_found_updated_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bim, path) = new_briefcase(dir.path(), "aspects.bim");
    let f = fixture::write(&mut bim).unwrap();
    let guid_of = |bim: &Briefcase| -> Vec<u8> {
        bim.connection().query_row("SELECT ps1 FROM bis_Model WHERE Id = ?1", [f.physical_model], |r| r.get(0)).unwrap()
    };
    let first_guid = guid_of(&bim);
    assert_eq!(first_guid.len(), 16, "a model with new geometry gets a GeometryGuid");

    let found = bim.find_external_source_aspects(f.external_source, "Element", "asset-2").unwrap();
    assert_eq!(found.len(), 1);
    let asset2 = found[0].clone();
    assert_eq!((asset2.version.as_deref(), asset2.checksum.as_deref()), (Some("1"), Some("sum-2")));
    assert!(bim.find_external_source_aspects(f.external_source, "Element", "asset-9").unwrap().is_empty());
    assert!(bim.find_external_source_aspects(f.external_source, "Document", "asset-2").unwrap().is_empty());

    bim.begin().unwrap();
    bim.update_aspect(&json!({ "id": hex(asset2.id), "version": "2", "checksum": "new" })).unwrap();
    let asset1 = bim.find_external_source_aspects(f.external_source, "Element", "asset-1").unwrap()[0].clone();
    bim.delete_aspect(asset1.id).unwrap();
    let group = f.expected["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["classFullName"] == "BisCore.ElementGroupsMembers")
        .unwrap()
        .clone();
    let (source, target) = (id64(&group["sourceId"]), id64(&group["targetId"]));
    let rels = bim.find_relationships("BisCore:ElementGroupsMembers", source, target).unwrap();
    assert_eq!(rels.len(), 1);
    let again = bim.insert_relationship(&json!({ "classFullName": "BisCore:ElementGroupsMembers", "sourceId": hex(source), "targetId": hex(target), "memberPriority": group["memberPriority"] }));
    assert!(matches!(&again, Err(WriteError::Invalid(m)) if m.contains("already exists")), "{again:?}");
    bim.delete_relationship("BisCore:ElementGroupsMembers", rels[0]).unwrap();
    assert!(bim.find_relationships("BisCore:ElementGroupsMembers", source, target).unwrap().is_empty());
    let moved = asset2.element_id;
    bim.update_element(&json!({ "id": hex(moved), "placement": { "origin": [1.0, 1.0, 1.0] } })).unwrap();
    bim.commit().unwrap();
    assert_ne!(guid_of(&bim), first_guid, "changed geometry gets a new GeometryGuid");
    let aspect = bim.aspect_props(asset2.id).unwrap().unwrap();
    assert_eq!((aspect["version"].as_str(), aspect["checksum"].as_str()), (Some("2"), Some("new")));
    bim.close().unwrap();

    let mut expected = f.expected.clone();
    expected["counts"]["BisCore.ExternalSourceAspect"] = json!(3);
    expected["counts"]["BisCore.ElementGroupsMembers"] = json!(1);
    expected["aspects"].as_array_mut().unwrap().retain(|a| a["identifier"] != "asset-1");
    for a in expected["aspects"].as_array_mut().unwrap() {
        if a["identifier"] == "asset-2" {
            a["version"] = json!("2");
            a["checksum"] = json!("new");
        }
    }
    expected["relationships"].as_array_mut().unwrap().retain(|r| r != &group);
    for e in expected["elements"].as_array_mut().unwrap() {
        if e["id"] == hex(moved) {
            e["props"]["placement"] = json!({ "origin": [1.0, 1.0, 1.0], "angles": {} });
        }
    }
    let report = compat::check_with_itwinjs(&path, &expected);
    assert!(report.contains("0 failed"), "{report}");
}

fn id64(v: &Value) -> i64 {
    itwin_imodel::id64::parse(v.as_str().unwrap(), "id").unwrap()
}

/// iTwin.js holding the file open for writing (StandaloneDb) keeps our writer out, with a clear
/// error; once it closes, we open the file.
#[test]
fn a_file_itwinjs_has_open_for_writing_is_refused() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let (bim, path) = new_briefcase(dir.path(), "held-by-itwinjs.bim");
    bim.close().unwrap();
    let mut holder = Command::new("node")
        .arg(compat::compat_dir().join("hold-open.js"))
        .arg(&path)
        .current_dir(compat::compat_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "holding");
    let err = Briefcase::open(&path).err().expect("the file is held");
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    Briefcase::open(&path).unwrap().close().unwrap();
}
