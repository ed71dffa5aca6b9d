//! The `itwin-host` command line, end to end: the README's example run is checked by iTwin.js.

use std::process::Command;

use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, ReadOptions};
use itwin_test_support::{compat, snapshot};
use serde_json::{json, Value};

fn itwin_host(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_itwin-host")).args(args).output().expect("the binary runs")
}

#[test]
fn the_example_run_makes_an_imodel_itwinjs_reads() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("site.bim");
    let out = itwin_host(&["apply", bim.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("20 inserted, 0 updated, 0 deleted"), "{stdout}");

    // The pumps carry geometry: iTwin.js must make of each `geom` what it reads from our streams.
    let example = include_str!("../../crates/host/examples/site.jsonl");
    let conn = rusqlite::Connection::open_with_flags(&bim, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut geometry = Vec::new();
    for line in example.lines().filter(|l| l.starts_with('{')) {
        let change: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(geom) = change["props"].get("geom") {
            let code = change["props"]["code"]["value"].as_str().unwrap();
            let id: i64 =
                conn.query_row("SELECT Id FROM bis_Element WHERE CodeValue = ?1", [code], |r| r.get(0)).unwrap();
            geometry.push(json!({ "id": format!("{id:#x}"), "input": geom }));
        }
    }
    drop(conn);
    assert_eq!(geometry.len(), 3);
    let expected = json!({
        "geometry": geometry,
        "checkExtents": true,
        "counts": {
            "Generic.PhysicalObject": 3, "BisCore.ExternalSourceAspect": 3, "Generic.Group": 1,
            "BisCore.ElementGroupsMembers": 2, "BisCore.ElementHasLinks": 1, "BisCore.Subject": 2,
            "BisCore.SpatialCategory": 1, "BisCore.SubCategory": 1, "BisCore.RepositoryLink": 1,
        },
        "queries": {
            "identifier": "asset-1/motor", "identifierElementIds": ["0x1a"],
            "repositoryLinks": [{ "userLabel": "site.json", "url": "file:///data/site.json" }],
            "physicalPartitions": [{ "id": "0x14", "codeValue": "Physical" }],
        },
        "elements": [{ "id": "0x1a", "props": {
            "classFullName": "Generic:PhysicalObject", "userLabel": "Feed pump motor", "model": "0x14", "category": "0x16",
            "parent": { "id": "0x19", "relClassName": "BisCore:PhysicalElementAssemblesElements" },
        }}],
    });
    let report = compat::check_with_itwinjs(&bim, &expected);
    assert!(report.contains("0 failed"), "{report}");
}

#[test]
fn a_failing_change_file_writes_nothing_and_says_which_line() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("site.bim");
    assert!(itwin_host(&["new", bim.to_str().unwrap(), "--name", "Site"]).status.success());
    let before = snapshot::content(&bim);
    let changes = dir.path().join("bad.jsonl");
    std::fs::write(
        &changes,
        concat!(
            "{\"op\": \"insert\", \"as\": \"s\", \"props\": {\"classFullName\": \"BisCore:Subject\", \"model\": \"0x1\", \"code\": {\"spec\": \"bis:Subject\", \"scope\": \"0x1\", \"value\": \"A\"}, \"parent\": {\"id\": \"0x1\"}}}\n",
            "{\"op\": \"insert\", \"props\": {\"classFullName\": \"BisCore:Subject\", \"model\": \"0x1\", \"code\": {\"spec\": \"bis:Subject\", \"scope\": \"0x1\", \"value\": \"B\"}, \"parent\": {\"id\": \"$s\"}, \"colour\": \"red\"}}\n",
        ),
    )
    .unwrap();
    let out = itwin_host(&["apply", bim.to_str().unwrap(), changes.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one error line and one hint: {stderr}");
    assert!(
        lines[0].starts_with("error: nothing was written")
            && lines[0].contains("line 2")
            && lines[0].contains("`colour`"),
        "{stderr}"
    );
    assert!(lines[1].starts_with("hint: "), "{stderr}");
    assert!(snapshot::content(&bim) == before, "a failed apply changed the file");

    let out = itwin_host(&["new", bim.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

/// `itwin-host apply` writes geometry from a change file (parts and sub-categories by `$name`) and
/// `show --geometry` prints it.
#[test]
fn apply_writes_geometry_and_show_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let bim = dir.path().join("cli.bim");
    let changes = dir.path().join("shapes.jsonl");
    let lines = [
        json!({ "op": "insert", "as": "partition", "props": { "classFullName": "BisCore:PhysicalPartition", "model": "0x1", "parent": { "id": "0x1" }, "code": { "spec": "bis:InformationPartitionElement", "scope": "0x1", "value": "Shapes" } } }),
        json!({ "op": "insertModel", "as": "physical", "props": { "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": "$partition" } } }),
        json!({ "op": "insert", "as": "category", "props": { "classFullName": "BisCore:SpatialCategory", "model": "0x10", "code": { "spec": "bis:SpatialCategory", "scope": "0x10", "value": "Shapes" } } }),
        json!({ "op": "insert", "as": "edges", "props": { "classFullName": "BisCore:SubCategory", "model": "0x10", "parent": { "id": "$category" }, "code": { "spec": "bis:SubCategory", "scope": "$category", "value": "Edges" } } }),
        json!({ "op": "insert", "as": "bolt", "props": { "classFullName": "BisCore:GeometryPart", "model": "0x10", "code": { "spec": "bis:GeometryPart", "scope": "0x10", "value": "bolt" }, "geom": [{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "capped": true } }] } }),
        json!({ "op": "insert", "as": "shape", "props": { "classFullName": "Generic:PhysicalObject", "model": "$physical", "category": "$category", "placement": { "origin": [1, 2, 3], "angles": {} }, "geom": [
            { "appearance": { "subCategory": "$edges" } }, { "lineString": [[0, 0, 0], [1, 0, 0]] }, { "geomPart": { "part": "$bolt", "origin": [5, 0, 0] } } ] } }),
    ];
    std::fs::write(&changes, lines.iter().map(|l| l.to_string() + "\n").collect::<String>()).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["apply", bim.to_str().unwrap(), changes.to_str().unwrap()]);
    let shape: i64 = rusqlite::Connection::open(&bim)
        .unwrap()
        .query_row(
            "SELECT Id FROM bis_Element WHERE ECClassId = (SELECT Id FROM ec_Class WHERE Name = 'PhysicalObject')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut briefcase = Briefcase::open(&bim).unwrap();
    let ours = briefcase.element_props_with(shape, ReadOptions { want_geometry: true }).unwrap().unwrap();
    briefcase.close().unwrap();

    let plain: Value = serde_json::from_str(&run(&["show", bim.to_str().unwrap(), &hex(shape)])).unwrap();
    assert!(plain.get("geom").is_none(), "{plain}");
    assert_eq!(plain["placement"]["bbox"], json!({ "low": [0.0, 0.0, 0.0], "high": [6.0, 1.0, 1.0] }));
    let shown: Value = serde_json::from_str(&run(&["show", bim.to_str().unwrap(), &hex(shape), "--geometry"])).unwrap();
    assert_eq!(shown, ours);
    let geom = shown["geom"].as_array().unwrap();
    assert_eq!(geom.len(), 4, "{shown}");
    assert!(geom[1]["appearance"]["subCategory"].is_string() && geom[3]["geomPart"]["part"].is_string(), "{shown}");
}
