//! The spatial side of connector jobs end to end, judged by iTwin.js (tests/compat/check-spatial.js):
//! the default view each job gets, source units, the global origin, and components built against
//! an earlier 0.1.x of the WIT.

use std::path::{Path, PathBuf};

use crate::run::{guest, run, Run};
use itwin_test_support::compat;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};

/// The name of the views partition the host keeps under each job subject.
const VIEWS_PARTITION: &str = "itwin-host views";

/// The name of a job's view.
fn view_name(job_subject: &str) -> String {
    format!("{job_subject} view")
}

fn hex(id: i64) -> String {
    format!("{id:#x}")
}

/// Writes a test-connector source file into `dir`.
fn source(dir: &Path, name: &str, body: Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
    path
}

fn run_ok(connector: &str, source: &Path, bim: &Path, extra: &[&str]) -> Run {
    let r = run(&guest(connector), source, bim, extra);
    assert!(r.ok, "{}\n{}", r.stdout, r.stderr);
    r
}

/// Runs check-spatial.js on a copy of `bim` (iTwin.js opens files for writing).
fn check(bim: &Path, expected: &Value) {
    let copy = bim.with_extension("check.bim");
    std::fs::copy(bim, &copy).unwrap();
    let expected_path = bim.with_extension("spatial.json");
    std::fs::write(&expected_path, serde_json::to_vec_pretty(expected).unwrap()).unwrap();
    let report = compat::node("check-spatial.js", &[&copy, &expected_path]);
    assert!(report.contains(" 0 failed"), "{report}");
}

/// Reads ids out of a written file; iTwin.js then judges what is behind them.
struct Ids(Connection);

impl Ids {
    fn open(bim: &Path) -> Ids {
        Ids(Connection::open_with_flags(bim, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap())
    }

    fn by_code(&self, scope: i64, value: &str) -> Option<i64> {
        self.0
            .query_row(
                "SELECT Id FROM bis_Element WHERE CodeScopeId = ?1 AND CodeValue = ?2",
                rusqlite::params![scope, value],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
    }

    fn subject(&self, name: &str) -> i64 {
        self.by_code(1, name).unwrap_or_else(|| panic!("no job subject {name}"))
    }

    /// The test connector's physical model and category under job subject `job`.
    fn model_and_category(&self, job: i64) -> (i64, i64) {
        let model = self.by_code(job, "Test").expect("physical partition");
        let definitions = self.by_code(job, "TestDefs").expect("definition partition");
        (model, self.by_code(definitions, "TestCategory").expect("category"))
    }

    /// The element an item of the test connector was written to.
    fn item(&self, identifier: &str) -> i64 {
        self.0
            .query_row(
                "SELECT a.ElementId FROM bis_ElementMultiAspect a JOIN ec_Class c ON c.Id = a.ECClassId \
                 WHERE c.Name = 'ExternalSourceAspect' AND a.ps2 = ?1",
                [identifier],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("item {identifier}: {e}"))
    }

    fn views_partition(&self, job: i64) -> Option<i64> {
        self.by_code(job, VIEWS_PARTITION)
    }
}

/// A 1 m box (in metres) or its equivalent in another unit.
fn cube(size: f64) -> Value {
    json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": size, "baseY": size, "height": size, "capped": true } }])
}

#[test]
fn each_job_gets_a_default_view_of_its_models_that_reruns_keep_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("views.bim");
    let v1 = json!({ "revision": "1", "items": [
        { "id": "a", "version": "1", "origin": [0, 0, 0], "geom": cube(1.0) },
        { "id": "b", "version": "1", "origin": [10, 5, 2], "geom": cube(2.0) },
    ] });
    let src = source(dir.path(), "site.json", v1);
    let first = run_ok("rust_test_connector", &src, &bim, &[]);
    assert_eq!(first.class("BisCore:SpatialViewDefinition"), (1, 0, 0, 0), "{}", first.stdout);

    let ids = Ids::open(&bim);
    let name = format!("TestConnector:{}", src.display());
    let job = ids.subject(&name);
    let (model, category) = ids.model_and_category(job);
    assert!(ids.views_partition(job).is_some(), "the view lives under the job subject");
    drop(ids);
    let expected = json!({
        "spatialViews": 1,
        "defaultView": { "name": view_name(&name), "models": [hex(model)], "categories": [hex(category)] },
    });
    check(&bim, &expected);

    // The same source again: nothing to write, the view included.
    let again = run_ok("rust_test_connector", &src, &bim, &[]);
    let (inserted, updated, deleted, _) = again.totals();
    assert_eq!((inserted, updated, deleted), (0, 0, 0), "{}", again.stdout);

    // A new revision reaches further: the same view is updated to frame it, never duplicated.
    let v2 = json!({ "revision": "2", "items": [
        { "id": "a", "version": "1", "origin": [0, 0, 0], "geom": cube(1.0) },
        { "id": "b", "version": "1", "origin": [10, 5, 2], "geom": cube(2.0) },
        { "id": "c", "version": "1", "origin": [-40, 80, 0], "geom": cube(1.0) },
    ] });
    let src = source(dir.path(), "site.json", v2);
    let v2_run = run_ok("rust_test_connector", &src, &bim, &[]);
    assert_eq!(v2_run.class("BisCore:SpatialViewDefinition"), (0, 1, 0, 0), "{}", v2_run.stdout);
    check(&bim, &expected);
}

#[test]
fn the_first_job_keeps_the_default_view_until_it_is_unmapped() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("shared.bim");
    let items = |x: f64| json!({ "items": [ { "id": "a", "version": "1", "origin": [x, 0, 0], "geom": cube(1.0) } ] });
    let first = source(dir.path(), "first.json", items(0.0));
    let second = source(dir.path(), "second.json", json!({ "docid": "second-doc", "items": items(100.0)["items"] }));
    run_ok("rust_test_connector", &first, &bim, &[]);
    run_ok("rust_test_connector", &second, &bim, &[]);

    let ids = Ids::open(&bim);
    let (first_name, second_name) =
        (format!("TestConnector:{}", first.display()), format!("TestConnector:{}", second.display()));
    let (first_model, first_category) = ids.model_and_category(ids.subject(&first_name));
    let (second_model, second_category) = ids.model_and_category(ids.subject(&second_name));
    drop(ids);
    let view = |name: &str, model: i64, category: i64| json!({ "name": view_name(name), "models": [hex(model)], "categories": [hex(category)] });
    check(&bim, &json!({ "spatialViews": 2, "defaultView": view(&first_name, first_model, first_category) }));

    // Unmapping the first job takes its view along; the default moves to the one left.
    run_ok("rust_test_connector", &first, &bim, &["--unmap"]);
    check(&bim, &json!({ "spatialViews": 1, "defaultView": view(&second_name, second_model, second_category) }));
    run_ok("rust_test_connector", &second, &bim, &["--unmap"]);
    check(&bim, &json!({ "spatialViews": 0, "defaultView": null }));
}

#[test]
fn a_connector_declaring_millimetres_places_an_element_at_1000_mm_at_1_m() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("mm.bim");
    let src = source(
        dir.path(),
        "mm.json",
        json!({ "units": 0.001, "checkReadBack": true, "items": [
            { "id": "pump", "version": "1", "origin": [1000, 2000, 0], "geom": cube(500.0) },
        ] }),
    );
    run_ok("rust_test_connector", &src, &bim, &[]);
    let pump = Ids::open(&bim).item("pump");
    check(
        &bim,
        &json!({ "placements": [ { "id": hex(pump), "origin": [1, 2, 0], "range": { "low": [1, 2, 0], "high": [1.5, 2.5, 0.5] } } ] }),
    );
}

#[test]
fn units_that_are_not_a_positive_number_fail_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "bad.json", json!({ "units": -1 }));
    let r = run(&guest("rust_test_connector"), &src, &dir.path().join("bad.bim"), &[]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("set-source-units -1: invalid-props"), "{}", r.stderr);
}

#[test]
fn the_global_origin_is_subtracted_from_what_connectors_send_and_added_to_what_they_read() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("origin.bim");
    // A first, empty run makes the iModel; then it gets a global origin (the JSON iTwin.js writes
    // for `globalOrigin = (500000, 4000000, 100)` with an ECEF location, as another tool would set it).
    let src = source(dir.path(), "survey.json", json!({ "revision": "1" }));
    run_ok("rust_test_connector", &src, &bim, &[]);
    let units = r#"{"globalOrigin":[500000.0,4000000.0,100.0],"initialProjectCenter":[0.0,0.0,0.0],"ecefLocation":{"origin":[4000000.0,1000000.0,4500000.0],"orientation":{"yaw":10.0,"pitch":20.0,"roll":30.0}}}"#;
    Connection::open(&bim)
        .unwrap()
        .execute("UPDATE be_Prop SET StrData = ?1 WHERE Namespace = 'dgn_Db' AND Name = 'Units'", [units])
        .unwrap();

    // Source coordinates in millimetres near the origin: the host scales, then subtracts.
    let src = source(
        dir.path(),
        "survey.json",
        json!({ "revision": "2", "units": 0.001, "checkReadBack": true, "items": [
            { "id": "marker", "version": "1", "origin": [500_012_000.0, 4_000_003_000.0, 100_500.0], "geom": cube(1000.0) },
        ] }),
    );
    run_ok("rust_test_connector", &src, &bim, &[]);
    let marker = Ids::open(&bim).item("marker");
    check(
        &bim,
        &json!({
            "globalOrigin": [500000, 4000000, 100],
            "placements": [ { "id": hex(marker), "origin": [12, 3, 0.5], "range": { "low": [12, 3, 0.5], "high": [13, 4, 1.5] } } ],
        }),
    );
}

#[test]
fn components_built_against_wit_0_1_0_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("old.bim");
    let src = source(dir.path(), "old.json", json!({}));
    let r = run_ok("rust_wit010_connector", &src, &bim, &[]);
    assert_eq!(r.class("Generic:PhysicalObject"), (1, 0, 0, 0), "{}", r.stdout);
    let ids = Ids::open(&bim);
    let name = format!("Wit010Connector:{}", src.display());
    let job = ids.subject(&name);
    let model = ids.by_code(job, "Physical").unwrap();
    let category = ids.by_code(ids.by_code(job, "Definitions").unwrap(), "Things").unwrap();
    let thing = ids.item("thing");
    drop(ids);
    check(
        &bim,
        &json!({
            "defaultView": { "name": view_name(&name), "models": [hex(model)], "categories": [hex(category)] },
            "placements": [ { "id": hex(thing), "origin": [1, 2, 3], "range": { "low": [1, 2, 3], "high": [2, 3, 4] } } ],
        }),
    );
}
