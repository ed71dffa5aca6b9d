//! Insert benchmark of the briefcase writer: N Generic:PhysicalObjects, each with an
//! ExternalSourceAspect, in one transaction — measured in the same run against
//!   (a) hand-written rusqlite inserts of the same rows (the floor), and
//!   (b) iTwin.js core-backend doing the same (`insertElement` + `insertAspect`, one saveChanges).
//!
//! `cargo bench --bench briefcase_insert [-- N]` (default 100000). Needs the Node packages of
//! tests/compat (`npm ci --legacy-peer-deps` there).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, RootSubject};
use rusqlite::params;
use serde_json::json;

struct Setup {
    model: i64,
    category: i64,
    source: i64,
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    println!("inserting {n} Generic:PhysicalObjects with an ExternalSourceAspect each, one transaction\n");

    let ours = run_ours(&dir.path().join("ours.bim"), n);
    let floor = run_floor(&dir.path().join("floor.bim"), n);
    let itwinjs = run_itwinjs(n);

    let rate = |s: f64| n as f64 / s;
    println!("{:<34} {:>12} {:>10}", "", "elements/s", "seconds");
    println!("{:<34} {:>12.0} {:>10.3}", "itwin-host briefcase writer", rate(ours), ours);
    println!("{:<34} {:>12.0} {:>10.3}", "hand-written rusqlite (floor)", rate(floor), floor);
    println!("{:<34} {:>12.0} {:>10.3}", "iTwin.js core-backend 5.7.3", rate(itwinjs), itwinjs);
    println!();
    println!("itwin-host vs iTwin.js: {:.1}x faster (target >= 30x)", itwinjs / ours);
    println!("itwin-host vs floor:    {:.2}x the floor's time (target <= 1.5x)", ours / floor);
}

fn setup(path: &Path) -> (Briefcase, Setup) {
    let mut bim = Briefcase::create(path, &RootSubject::named("bench")).unwrap();
    let setup = bim
        .transaction(|b| {
            let partition_spec = b.code_spec_by_name("bis:InformationPartitionElement")?.unwrap();
            let category_spec = b.code_spec_by_name("bis:SpatialCategory")?.unwrap();
            let partition = b.insert_element(&json!({
                "classFullName": "BisCore:PhysicalPartition", "model": "0x1", "parent": { "id": "0x1" },
                "code": { "spec": hex(partition_spec), "scope": "0x1", "value": "Bench" },
            }))?;
            let model = b.insert_model(
                &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(partition) } }),
            )?;
            let category = b.insert_element(&json!({
                "classFullName": "BisCore:SpatialCategory", "model": "0x10",
                "code": { "spec": hex(category_spec), "scope": "0x10", "value": "Bench" },
            }))?;
            let source = b.insert_element(
                &json!({ "classFullName": "BisCore:ExternalSource", "model": "0x1", "userLabel": "bench source" }),
            )?;
            Ok::<_, itwin_imodel::WriteError>(Setup { model, category, source })
        })
        .unwrap();
    (bim, setup)
}

/// The writer, fed wire-format JSON text as a connector would send it.
fn run_ours(path: &Path, n: usize) -> f64 {
    let (mut bim, s) = setup(path);
    let (model, category, source) = (hex(s.model), hex(s.category), hex(s.source));
    let start = Instant::now();
    bim.begin().unwrap();
    for i in 0..n {
        let element = format!(
            r#"{{"classFullName":"Generic:PhysicalObject","model":"{model}","category":"{category}","code":{{"spec":"0x1","scope":"0x1","value":""}},"userLabel":"obj-{i}","placement":{{"origin":[{},{},0],"angles":{{"yaw":{}}}}}}}"#,
            i % 100,
            (i / 100) % 100,
            i % 360
        );
        let id = bim.insert_element(&serde_json::from_str(&element).unwrap()).unwrap();
        let aspect = format!(
            r#"{{"classFullName":"BisCore:ExternalSourceAspect","element":{{"id":"{}","relClassName":"BisCore:ElementOwnsExternalSourceAspects"}},"scope":{{"id":"{source}","relClassName":"BisCore:ElementScopesExternalSourceIdentifier"}},"source":{{"id":"{source}","relClassName":"BisCore:ElementIsFromSource"}},"identifier":"id-{i}","kind":"Element","version":"1","checksum":"c{i}"}}"#,
            hex(id)
        );
        bim.insert_aspect(&serde_json::from_str(&aspect).unwrap()).unwrap();
    }
    bim.commit().unwrap();
    let seconds = start.elapsed().as_secs_f64();
    bim.close().unwrap();
    seconds
}

/// The same rows with hand-written SQL: class ids looked up once, fixed column lists.
fn run_floor(path: &Path, n: usize) -> f64 {
    let (bim, s) = setup(path);
    bim.close().unwrap();
    let mut conn = rusqlite::Connection::open(path).unwrap();
    // The same connection settings as the writer's (Briefcase::open).
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")
        .unwrap();
    itwin_imodel::sql_functions::register(&conn).unwrap();
    let class = |schema: &str, name: &str| -> i64 {
        conn.query_row(
            "SELECT c.Id FROM ec_Class c JOIN ec_Schema s ON s.Id = c.SchemaId WHERE s.Name = ?1 AND c.Name = ?2",
            [schema, name],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (object, aspect_class, owns) = (
        class("Generic", "PhysicalObject"),
        class("BisCore", "ExternalSourceAspect"),
        class("BisCore", "ElementOwnsExternalSourceAspects"),
    );
    let start = Instant::now();
    let tx = conn.transaction().unwrap();
    let mut element_id: i64 =
        tx.query_row("SELECT Val FROM be_Local WHERE Name = 'bis_elementidsequence'", [], |r| r.get(0)).unwrap();
    let mut instance_id: i64 =
        tx.query_row("SELECT Val FROM be_Local WHERE Name = 'ec_instanceidsequence'", [], |r| r.get(0)).unwrap();
    {
        let mut element = tx
            .prepare(
                "INSERT INTO bis_Element (Id, ECClassId, ModelId, LastMod, CodeSpecId, CodeScopeId, CodeValue, UserLabel, FederationGuid) \
                 VALUES (?1, ?2, ?3, julianday('now'), 1, 1, NULL, ?4, ?5)",
            )
            .unwrap();
        let mut geometric = tx
            .prepare(
                "INSERT INTO bis_GeometricElement3d (ElementId, ECClassId, CategoryId, InSpatialIndex, Origin_X, Origin_Y, Origin_Z, \
                 Yaw, Pitch, Roll, BBoxLow_X, BBoxLow_Y, BBoxLow_Z, BBoxHigh_X, BBoxHigh_Y, BBoxHigh_Z) \
                 VALUES (?1, ?2, ?3, 1, ?4, ?5, 0, ?6, 0, 0, 0, 0, 0, 0, 0, 0)",
            )
            .unwrap();
        let mut aspect = tx
            .prepare(
                "INSERT INTO bis_ElementMultiAspect (Id, ECClassId, ElementId, ElementRelECClassId, ps1, ps2, ps3, ps4, ps5, ps7) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Element', '1', ?7, ?5)",
            )
            .unwrap();
        for i in 0..n {
            element_id += 1;
            instance_id += 1;
            // As the writer makes them: time-ordered.
            let guid = uuid::Uuid::now_v7();
            element
                .execute(params![element_id, object, s.model, format!("obj-{i}"), guid.as_bytes().as_slice()])
                .unwrap();
            geometric
                .execute(params![
                    element_id,
                    object,
                    s.category,
                    (i % 100) as f64,
                    ((i / 100) % 100) as f64,
                    (i % 360) as f64
                ])
                .unwrap();
            aspect
                .execute(params![
                    instance_id,
                    aspect_class,
                    element_id,
                    owns,
                    s.source,
                    format!("id-{i}"),
                    format!("c{i}")
                ])
                .unwrap();
        }
    }
    tx.execute("UPDATE be_Local SET Val = ?1 WHERE Name = 'bis_elementidsequence'", [element_id]).unwrap();
    tx.execute("UPDATE be_Local SET Val = ?1 WHERE Name = 'ec_instanceidsequence'", [instance_id]).unwrap();
    tx.commit().unwrap();
    start.elapsed().as_secs_f64()
}

/// iTwin.js doing the same work (tests/compat/bench-insert.js); returns its timed seconds.
fn run_itwinjs(n: usize) -> f64 {
    let compat: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat");
    assert!(
        compat.join("node_modules/@itwin/core-backend").is_dir(),
        "the iTwin.js anchor needs its packages: run `npm ci --legacy-peer-deps` in tests/compat"
    );
    let out = Command::new("node")
        .arg("bench-insert.js")
        .arg(n.to_string())
        .current_dir(&compat)
        .output()
        .expect("node on PATH");
    assert!(out.status.success(), "bench-insert.js failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout);
    let result: serde_json::Value =
        serde_json::from_str(line.lines().last().unwrap_or_default()).expect("one JSON line");
    result["seconds"].as_f64().expect("seconds")
}
