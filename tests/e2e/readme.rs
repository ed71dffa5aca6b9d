//! The connector README.md shows under "Writing a connector" (built from the README by
//! scripts/build-guests.sh as `readme_markers`) does what the README says, judged by iTwin.js:
//! markers become spheres at the given millimetre positions in metres, a re-run with the same
//! revision changes nothing, and a marker dropped from the source is deleted.

use itwin_test_support::compat;
use serde_json::{json, Value};

use crate::run::{guest, run};

const MARKERS: &str =
    "SELECT UserLabel, Origin.X, Origin.Y, Origin.Z, BBoxHigh.X FROM Generic.PhysicalObject ORDER BY UserLabel";

/// The markers as iTwin.js reads them, after its integrity checks passed.
fn markers_in(bim: &std::path::Path) -> Value {
    let out = compat::node_command("query.js").arg(bim).arg(MARKERS).output().expect("node runs");
    assert!(out.status.success(), "query.js: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("query.js prints JSON")
}

#[test]
fn the_readme_connector_syncs_markers_in_metres() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("markers.json");
    let bim = dir.path().join("markers.bim");
    let connector = guest("readme_markers");
    let write = |revision: &str, markers: Value| {
        std::fs::write(&source, json!({ "revision": revision, "markers": markers }).to_string()).unwrap();
    };
    write(
        "1",
        json!([{ "id": "m1", "label": "Pin 1", "at": [1200, 3400, 0] }, { "id": "m2", "label": "Pin 2", "at": [0, 0, 500] }]),
    );
    let first = run(&connector, &source, &bim, &[]);
    assert!(first.ok, "{}", first.stderr);
    assert_eq!(
        markers_in(&bim),
        json!([["Pin 1", 1.2, 3.4, 0, 0.25], ["Pin 2", 0, 0, 0.5, 0.25]]),
        "millimetres become metres, the sphere's radius too"
    );

    let again = run(&connector, &source, &bim, &[]);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(again.totals(), (0, 0, 0, 3), "the document and two markers unchanged: {}", again.stdout);

    write("2", json!([{ "id": "m2", "label": "Pin 2", "at": [0, 0, 500] }]));
    let dropped = run(&connector, &source, &bim, &[]);
    assert!(dropped.ok, "{}", dropped.stderr);
    // Updated: the document's link (its new revision) and the job's view (a smaller range).
    assert_eq!(dropped.totals(), (0, 2, 1, 1), "{}", dropped.stdout);
    assert_eq!(markers_in(&bim), json!([["Pin 2", 0, 0, 0.5, 0.25]]));
}
