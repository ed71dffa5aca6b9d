//! Fuzzing the element writer (issue "Containment", item 10): element props come from hostile
//! connectors. Sequences of inserts and updates with random props — valid keys and their case
//! variants, unknown keys, wrong value types, huge numbers, deep nesting, long strings, ids of the
//! briefcase and random ones, random `code`, `placement` and `geom` — must never panic, and end
//! in `Ok` or a typed input error (never a SQLite failure); a refused write changes nothing, and
//! the file stays consistent (`foreign_key_check` empty, `integrity_check` ok, before and after
//! the commit). Run by proptest inside plain `cargo test` with a bounded case count
//! (`PROPTEST_CASES=N` runs more).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

use super::id64::format as hex;
use super::{Briefcase, RootSubject, WriteError};
use itwin_geometry::test_support as geom;

/// Placeholders resolved once the briefcase exists: `@id:N` is the N-th existing element id
/// (modulo their number) as a hex string, `@idn:N` the same as a JSON number.
fn id_value() -> impl Strategy<Value = Json> {
    prop_oneof![
        6 => any::<u8>().prop_map(|n| json!(format!("@id:{n}"))),
        1 => any::<u8>().prop_map(|n| json!(format!("@idn:{n}"))),
        1 => prop::sample::select(vec!["0x1", "0x10", "0xe", "0", "", "0x", "-1", "0xffffffffffffffff", "0x1g", "1"])
            .prop_map(|s| json!(s)),
        1 => any::<u64>().prop_map(|n| json!(format!("0x{n:x}"))),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => geom::number(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _:.-]{0,12}",
        1 => Just(String::new()),
        1 => (1usize..20_000).prop_map(|n| "x".repeat(n)),
        1 => any::<String>(),
        1 => Just("\u{0}\u{feff}é🙂".to_owned()),
    ]
}

/// Any JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        geom::number(),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        text().prop_map(Json::String),
        id_value(),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

/// A value nested `depth` levels deep (arrays or objects). Props reach the writer parsed by
/// serde_json, which refuses more than 128 levels.
fn deep() -> impl Strategy<Value = Json> {
    (1usize..127, any::<bool>()).prop_map(|(depth, arrays)| {
        let mut value = json!(1);
        for _ in 0..depth {
            value = if arrays { json!([value]) } else { json!({ "id": value }) };
        }
        value
    })
}

fn wild() -> impl Strategy<Value = Json> {
    prop_oneof![8 => any_json(), 1 => deep()]
}

fn navigation() -> impl Strategy<Value = Json> {
    let rel = prop::sample::select(vec![
        "BisCore:SubjectOwnsSubjects",
        "BisCore.PhysicalElementAssemblesElements",
        "BisCore:ElementOwnsChildElements",
        "biscore:subjectownssubjects",
        "BisCore:ModelContainsElements",
        "Nope:Nothing",
        "",
    ]);
    prop_oneof![
        4 => id_value(),
        4 => (id_value(), rel).prop_map(|(id, rel)| json!({ "id": id, "relClassName": rel })),
        1 => id_value().prop_map(|id| json!({ "id": id })),
        1 => id_value().prop_map(|id| json!({ "ID": id, "extra": [1] })),
        1 => wild(),
    ]
}

fn code() -> impl Strategy<Value = Json> {
    let spec = prop_oneof![
        4 => prop::sample::select(vec![
            "bis:Subject", "bis:SpatialCategory", "bis:InformationPartitionElement", "bis:NullCodeSpec", "Nope:Spec",
            "bis:subject", "0x1",
        ])
        .prop_map(|s| json!(s)),
        2 => id_value(),
    ];
    let value = prop_oneof![4 => text().prop_map(Json::String), 1 => wild()];
    let full = (spec, id_value(), value)
        .prop_map(|(spec, scope, value)| json!({ "spec": spec, "scope": scope, "value": value }));
    prop_oneof![
        8 => full,
        1 => (any::<prop::sample::Index>(), code_parts()).prop_map(|(i, mut c)| {
            // One part left out.
            let keys: Vec<String> = c.keys().cloned().collect();
            c.remove(i.get(&keys));
            Json::Object(c)
        }),
        1 => wild(),
    ]
}

fn code_parts() -> impl Strategy<Value = Map<String, Json>> {
    (id_value(), id_value(), text()).prop_map(|(spec, scope, value)| {
        json!({ "spec": spec, "scope": scope, "value": value }).as_object().unwrap().clone()
    })
}

fn placement() -> impl Strategy<Value = Json> {
    let angles = (geom::number(), geom::number(), geom::number())
        .prop_map(|(y, p, r)| json!({ "yaw": y, "pitch": p, "roll": r }));
    let bbox = (geom::point(), geom::point()).prop_map(|(low, high)| json!({ "low": low, "high": high }));
    prop_oneof![
        6 => (geom::point(), prop::option::of(angles), prop::option::of(bbox)).prop_map(|(origin, angles, bbox)| {
            let mut p = json!({ "origin": origin });
            if let Some(a) = angles { p["angles"] = a; }
            if let Some(b) = bbox { p["bbox"] = b; }
            p
        }),
        1 => Just(Json::Null),
        1 => wild(),
    ]
}

fn geometry() -> impl Strategy<Value = Json> {
    prop_oneof![6 => geom::stream(), 1 => Just(json!([])), 1 => wild()]
}

/// A key and a value for it: known keys (in several spellings) with values of their kind or
/// not, reserved keys, unknown keys.
fn entry() -> impl Strategy<Value = (String, Json)> {
    fn spellings(names: &[&'static str]) -> impl Strategy<Value = String> {
        prop::sample::select(names.to_vec()).prop_map(str::to_owned)
    }
    prop_oneof![
        3 => (spellings(&["model", "Model", "MODEL"]), prop_oneof![4 => id_value(), 1 => navigation()]),
        3 => (spellings(&["parent", "Parent", "PARENT"]), navigation()),
        3 => (spellings(&["category", "Category", "CATEGORY"]), prop_oneof![4 => id_value(), 1 => navigation()]),
        3 => (Just("code".to_owned()), code()),
        2 => (Just("placement".to_owned()), placement()),
        2 => (Just("geom".to_owned()), geometry()),
        2 => (spellings(&["userLabel", "UserLabel", "description", "Description", "federationGuid"]), prop_oneof![text().prop_map(Json::String), wild()]),
        1 => (spellings(&["jsonProperties", "JsonProperties"]), wild()),
        1 => (spellings(&["isPrivate", "IsPrivate", "rank", "recipe", "typeDefinition", "TypeDefinition", "physicalMaterial"]), wild()),
        1 => (spellings(&["CodeValue", "codeSpec", "CodeScope", "lastMod", "inSpatialIndex", "GeometryStream", "Origin", "bBoxLow", "Yaw", "bbox", "id", "ECInstanceId", "ECClassId"]), wild()),
        1 => ("[a-zA-Z]{1,10}", wild()),
    ]
}

fn class() -> impl Strategy<Value = Json> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "Generic:PhysicalObject", "BisCore:SpatialCategory", "BisCore:Subject", "BisCore:PhysicalPartition",
            "BisCore:DefinitionPartition", "BisCore:GeometryPart", "BisCore:RepositoryLink", "Generic:Group",
        ])
        .prop_map(|c| json!(c)),
        2 => prop::sample::select(vec![
            "generic:physicalobject", "BisCore.Subject", "BISCORE:SPATIALCATEGORY", "BisCore:Element",
            "BisCore:PhysicalModel", "BisCore:ElementRefersToElements", "Nope:Thing", "BisCore", ":", "",
        ])
        .prop_map(|c| json!(c)),
        1 => wild(),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Json),
    /// Updates the element picked by the index (of the existing ids) or a random id.
    Update(Option<prop::sample::Index>, Json),
}

fn props() -> impl Strategy<Value = Vec<(String, Json)>> {
    prop::collection::vec(entry(), 0..8)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (class(), props()).prop_map(|(class, entries)| {
            let mut obj: Map<String, Json> = entries.into_iter().collect();
            obj.insert("classFullName".into(), class);
            Op::Insert(Json::Object(obj))
        }),
        1 => props().prop_map(|entries| Op::Insert(Json::Object(entries.into_iter().collect()))),
        3 => (prop::option::weighted(0.9, any::<prop::sample::Index>()), props(), prop::option::weighted(0.2, class()))
            .prop_map(|(target, entries, class)| {
                let mut obj: Map<String, Json> = entries.into_iter().collect();
                if let Some(class) = class {
                    obj.insert("classFullName".into(), class);
                }
                Op::Update(target, Json::Object(obj))
            }),
        1 => wild().prop_map(Op::Insert),
    ]
}

/// A briefcase in an open transaction holding a bit of everything the props may point at.
struct Scene {
    _dir: tempfile::TempDir,
    bim: Briefcase,
    ids: Vec<i64>,
}

fn scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    let mut bim = Briefcase::create(&dir.path().join("fuzz.bim"), &RootSubject::named("fuzz")).unwrap();
    bim.begin().unwrap();
    let subject = bim
        .insert_element(&json!({
            "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": "bis:Subject", "scope": "0x1", "value": "S" },
        }))
        .unwrap();
    let partition = |bim: &mut Briefcase, class: &str, name: &str| {
        bim.insert_element(&json!({
            "classFullName": class, "model": "0x1", "parent": { "id": hex(subject) },
            "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": name },
        }))
        .unwrap()
    };
    let physical = partition(&mut bim, "BisCore:PhysicalPartition", "P");
    let model = bim
        .insert_model(&json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(physical) } }))
        .unwrap();
    let definitions = partition(&mut bim, "BisCore:DefinitionPartition", "D");
    let definitions = bim
        .insert_model(
            &json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": hex(definitions) } }),
        )
        .unwrap();
    let category = bim
        .insert_element(&json!({
            "classFullName": "BisCore:SpatialCategory", "model": hex(definitions),
            "code": { "spec": "bis:SpatialCategory", "scope": hex(definitions), "value": "C" },
        }))
        .unwrap();
    bim.insert_element(&json!({
        "classFullName": "BisCore:GeometryPart", "model": hex(definitions),
        "code": { "spec": "bis:GeometryPart", "scope": hex(definitions), "value": "part" },
        "geom": [{ "sphere": { "center": [0, 0, 0], "radius": 1 } }],
    }))
    .unwrap();
    let object = bim
        .insert_element(&json!({
            "classFullName": "Generic:PhysicalObject", "model": hex(model), "category": hex(category),
            "placement": { "origin": [1, 2, 3], "angles": {} },
            "geom": [{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 1, "height": 1 } }],
        }))
        .unwrap();
    bim.insert_element(&json!({
        "classFullName": "Generic:PhysicalObject", "model": hex(model), "category": hex(category),
        "parent": { "id": hex(object), "relClassName": "BisCore:PhysicalElementAssemblesElements" },
    }))
    .unwrap();
    let ids = all_ids(&bim);
    Scene { _dir: dir, bim, ids }
}

fn all_ids(bim: &Briefcase) -> Vec<i64> {
    let mut statement = bim.connection().prepare("SELECT Id FROM bis_Element ORDER BY Id").unwrap();
    let ids = statement.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    ids
}

/// Replaces the `@id:N` / `@idn:N` placeholders with ids of the briefcase.
fn resolve(value: &mut Json, ids: &[i64]) {
    match value {
        Json::String(s) => {
            let pick = |n: &str| ids[n.parse::<usize>().unwrap() % ids.len()];
            if let Some(n) = s.strip_prefix("@id:") {
                *value = json!(hex(pick(n)));
            } else if let Some(n) = s.strip_prefix("@idn:") {
                *value = json!(pick(n));
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|v| resolve(v, ids)),
        Json::Object(map) => map.values_mut().for_each(|v| resolve(v, ids)),
        _ => {}
    }
}

/// A digest of every row of the `bis_` tables (elements, their class tables, models, links).
pub(crate) fn digest(bim: &Briefcase, tables_like: &str) -> u64 {
    let conn = bim.connection();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?1 ORDER BY name")
        .unwrap()
        .query_map([tables_like], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut hasher = DefaultHasher::new();
    for table in tables {
        table.hash(&mut hasher);
        let mut statement = conn.prepare(&format!("SELECT * FROM [{table}] ORDER BY rowid")).unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                format!("{:?}", row.get_ref(i).unwrap()).hash(&mut hasher);
            }
        }
    }
    hasher.finish()
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut s = scene();
    for (n, op) in ops.into_iter().enumerate() {
        let before = digest(&s.bim, "bis_%");
        let (what, result) = match op {
            Op::Insert(mut props) => {
                resolve(&mut props, &s.ids);
                let result = s.bim.insert_element(&props);
                if let Ok(id) = result {
                    s.ids.push(id);
                }
                (props, result.map(|_| ()))
            }
            Op::Update(target, mut props) => {
                resolve(&mut props, &s.ids);
                if let (Some(target), Json::Object(obj)) = (target, &mut props) {
                    obj.insert("id".into(), json!(hex(*target.get(&s.ids))));
                }
                let result = s.bim.update_element(&props);
                (props, result)
            }
        };
        let shown: String = what.to_string().chars().take(2000).collect();
        match result {
            Ok(()) => {}
            Err(WriteError::Sqlite(e)) => {
                return Err(TestCaseError::fail(format!("op {n}: {shown}\nfailed in SQLite, not as bad input: {e}")))
            }
            Err(_) => prop_assert_eq!(digest(&s.bim, "bis_%"), before, "op {}: {}\nrefused but changed rows", n, shown),
        }
    }
    crate::test_support::assert_consistent(&s.bim);
    s.ids = all_ids(&s.bim);
    s.bim.commit().map_err(|e| TestCaseError::fail(format!("commit after the writes failed: {e}")))?;
    crate::test_support::assert_consistent(&s.bim);
    Ok(())
}

#[test]
fn fuzz_element_props_into_the_writer() {
    geom::check(64, || prop::collection::vec(op(), 1..12), run);
}

/// Found by the fuzzer: a wrongly typed value whose text is long and not ASCII must give an
/// error, not a panic while the message is shortened.
#[test]
fn a_long_non_ascii_value_of_the_wrong_type_is_refused_without_panic() {
    let mut s = scene();
    let value = "é".repeat(100);
    let props = json!({ "classFullName": { "a": value }, "model": "0x1" });
    assert!(s.bim.insert_element(&props).is_err());
    let props =
        json!({ "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" }, "userLabel": [value] });
    assert!(s.bim.insert_element(&props).is_err());
}

/// Found by the codec fuzzer: the encoder takes a sphere of radius 1e308 and writes a blob its own
/// decoder refuses ("DgnSphere has no frame"). The writer refuses geometry whose box no site has,
/// for parts as for elements, so no such stream is stored.
#[test]
fn geometry_too_large_to_read_back_is_refused_for_parts_and_elements() {
    let mut s = scene();
    let (definitions, model, category): (i64, i64, i64) = s
        .bim
        .connection()
        .query_row(
            "SELECT p.ModelId, e.ModelId, o.CategoryId FROM bis_Element p, bis_GeometricElement3d o \
             JOIN bis_Element e ON e.Id = o.ElementId WHERE p.CodeValue = 'part' AND e.ParentId IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // 1e308 overflows the range itself; 1e20 gives a finite box beyond any site.
    for (radius, says) in [(1e308, "not finite"), (1e20, "coordinate")] {
        let huge = json!([{ "sphere": { "center": [0, 0, 0], "radius": radius } }]);
        let part = json!({
            "classFullName": "BisCore:GeometryPart", "model": hex(definitions),
            "code": { "spec": "bis:GeometryPart", "scope": hex(definitions), "value": "huge" }, "geom": huge,
        });
        let object = json!({ "classFullName": "Generic:PhysicalObject", "model": hex(model), "category": hex(category), "geom": huge });
        for props in [part, object] {
            match s.bim.insert_element(&props) {
                Err(WriteError::Invalid(message)) => assert!(message.contains(says), "{radius}: {message}"),
                other => panic!("{radius}: expected the geometry to be refused, got {other:?}"),
            }
        }
    }
}
