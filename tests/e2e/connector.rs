//! Connectors end to end: components built from guest-examples/ and tests/guests/ run through
//! `itwin-host run`, and iTwin.js checks what they wrote.

use std::path::{Path, PathBuf};

use crate::run::{guest, run};
use itwin_test_support::{compat, snapshot};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};
use std::time::Duration;

fn data(name: &str) -> PathBuf {
    itwin_test_support::repo_root().join("guest-examples/rust-asset-register/data").join(name)
}

fn hex(id: i64) -> String {
    format!("{id:#x}")
}

/// Reads ids out of a written file (iTwin.js then judges the rows behind them).
struct Ids(Connection);

impl Ids {
    fn open(bim: &Path) -> Ids {
        Ids(Connection::open_with_flags(bim, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap())
    }

    fn by_code(&self, value: &str) -> Option<i64> {
        self.0.query_row("SELECT Id FROM bis_Element WHERE CodeValue = ?1", [value], |r| r.get(0)).optional().unwrap()
    }

    /// The element tracked by an aspect with this kind and identifier.
    fn tracked(&self, kind: &str, identifier: &str) -> Option<i64> {
        self.0
            .query_row(
                "SELECT a.ElementId FROM bis_ElementMultiAspect a JOIN ec_Class c ON c.Id = a.ECClassId \
                 WHERE c.Name = 'ExternalSourceAspect' AND a.ps3 = ?1 AND a.ps2 = ?2",
                [kind, identifier],
                |r| r.get(0),
            )
            .optional()
            .unwrap()
    }
}

/// Copies `from` to `to`, as a new version of the same source file.
fn replace_source(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
}

#[test]
fn example_connector_synchronizes_again_and_again_changing_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("site.json");
    let bim = dir.path().join("site.bim");
    let connector = guest("asset_register");
    replace_source(&data("site-v1.json"), &source);

    // v1: everything is new.
    let v1 = run(&connector, &source, &bim, &[]);
    assert!(v1.ok, "{}\n{}", v1.stdout, v1.stderr);
    assert_eq!(v1.class("Generic:PhysicalObject"), (12, 0, 0, 0), "{}", v1.stdout);
    let ids = Ids::open(&bim);
    let subject_name = format!("AssetRegister:{}", source.display());
    let job = ids.by_code(&subject_name).expect("job subject");
    let link = ids.by_code("site-register-7").expect("repository link");
    let assets = ids.by_code("Assets").expect("physical partition");
    let changed = ids.tracked("Asset", "A-0003").unwrap();
    let deleted = ids.tracked("Asset", "A-0007").unwrap();
    let kept = ids.tracked("Asset", "A-0004").unwrap();
    drop(ids);
    let mut expected = json!({
        "counts": {
            "Generic.PhysicalObject": 12, "Generic.Group": 2, "BisCore.SpatialCategory": 3,
            "BisCore.RepositoryLink": 1, "BisCore.ExternalSource": 1, "BisCore.SynchronizationConfigLink": 1,
            "BisCore.SynchronizationConfigSpecifiesRootSources": 1, "BisCore.ElementHasLinks": 1,
            "BisCore.ElementGroupsMembers": 7, "BisCore.Subject": 2, "BisCore.PhysicalPartition": 1,
            "BisCore.ExternalSourceAspect": 18,
        },
        "elements": [
            { "id": hex(job), "props": {
                "classFullName": "BisCore:Subject", "model": "0x1",
                "code": { "spec": "0x1f", "scope": "0x1", "value": subject_name },
                "parent": { "id": "0x1", "relClassName": "BisCore:SubjectOwnsSubjects" },
            }},
            { "id": hex(assets), "props": {
                "classFullName": "BisCore:PhysicalPartition",
                "parent": { "id": hex(job), "relClassName": "BisCore:SubjectOwnsPartitionElements" },
            }},
        ],
        "relationships": [ { "classFullName": "BisCore.ElementHasLinks", "sourceId": hex(assets), "targetId": hex(link) } ],
        "aspects": [
            { "elementId": hex(link), "scope": "0x1", "kind": "DocumentWithBeGuid", "identifier": "site-register-7", "version": "2026-11-01" },
            { "elementId": hex(changed), "scope": hex(job), "kind": "Asset", "identifier": "A-0003", "version": "1" },
            { "elementId": hex(kept), "scope": hex(job), "kind": "Asset", "identifier": "A-0004", "version": "1" },
        ],
        "queries": {
            "identifier": "A-0007", "identifierElementIds": [hex(deleted)],
            "repositoryLinks": [ { "userLabel": "Riverside Raw Water Pumping Station", "url": "file:///source/site.json" } ],
            "physicalPartitions": [ { "id": hex(assets), "codeValue": "Assets" } ],
        },
    });
    check(&bim, &expected);

    // v1 again: nothing to write.
    let again = run(&connector, &source, &bim, &[]);
    assert!(again.ok, "{}", again.stderr);
    let (inserted, updated, deleted_n, _) = again.totals();
    assert_eq!((inserted, updated, deleted_n), (0, 0, 0), "{}", again.stdout);
    check(&bim, &expected);

    // v2: A-0003 changed, A-0007 deleted, A-0010 added, A-0001 lost its baseplate part.
    replace_source(&data("site-v2.json"), &source);
    let v2 = run(&connector, &source, &bim, &[]);
    assert!(v2.ok, "{}", v2.stderr);
    // (inserted, updated, deleted, unchanged): A-0010; A-0003, A-0001 and its kept motor part;
    // A-0007 and the baseplate part; the six untouched assets.
    assert_eq!(v2.class("Generic:PhysicalObject"), (1, 3, 2, 6), "{}", v2.stdout);
    // The group that lost A-0007 is updated in place, its membership row to A-0007 deleted.
    assert_eq!(v2.class("Generic:Group"), (0, 1, 0, 1), "{}", v2.stdout);
    assert_eq!(v2.class("BisCore:ElementGroupsMembers"), (0, 0, 1, 0), "{}", v2.stdout);
    let ids = Ids::open(&bim);
    assert_eq!(ids.tracked("Asset", "A-0003"), Some(changed), "the changed element keeps its id");
    assert_eq!(ids.tracked("Asset", "A-0004"), Some(kept));
    assert_eq!(ids.tracked("Asset", "A-0007"), None);
    let added = ids.tracked("Asset", "A-0010").expect("added asset");
    drop(ids);
    expected["counts"]["Generic.PhysicalObject"] = json!(11);
    expected["counts"]["BisCore.ExternalSourceAspect"] = json!(17);
    expected["counts"]["BisCore.ElementGroupsMembers"] = json!(6);
    expected["aspects"][0]["version"] = json!("2026-11-15");
    expected["aspects"][1]["version"] = json!("2");
    expected["aspects"].as_array_mut().unwrap().push(
        json!({ "elementId": hex(added), "scope": hex(job), "kind": "Asset", "identifier": "A-0010", "version": "1" }),
    );
    expected["queries"]["identifier"] = json!("A-0010");
    expected["queries"]["identifierElementIds"] = json!([hex(added)]);
    expected["absentElements"] = json!([hex(deleted)]);
    expected["absentAspects"] = json!([{ "scope": hex(job), "kind": "Asset", "identifier": "A-0007" }]);
    check(&bim, &expected);

    // Unmap: nothing of the job is left.
    let unmapped = run(&connector, &source, &bim, &["--unmap"]);
    assert!(unmapped.ok, "{}", unmapped.stderr);
    let empty = json!({
        "counts": {
            "Generic.PhysicalObject": 0, "Generic.Group": 0, "BisCore.SpatialCategory": 0, "BisCore.RepositoryLink": 0,
            "BisCore.ExternalSource": 0, "BisCore.SynchronizationConfigLink": 0, "BisCore.ExternalSourceAspect": 0,
            "BisCore.SynchronizationConfigSpecifiesRootSources": 0, "BisCore.ElementHasLinks": 0,
            "BisCore.ElementGroupsMembers": 0, "BisCore.Subject": 1, "BisCore.PhysicalPartition": 0,
        },
        "absentElements": [hex(job), hex(link), hex(assets)],
    });
    check(&bim, &empty);
}

#[test]
fn two_sources_share_an_imodel_and_unmapping_one_leaves_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("site.json"), dir.path().join("hillside.json"));
    replace_source(&data("site-v1.json"), &a);
    replace_source(&data("site-b.json"), &b);
    let bim = dir.path().join("shared.bim");
    let connector = guest("asset_register");
    for source in [&a, &b] {
        let r = run(&connector, source, &bim, &[]);
        assert!(r.ok, "{}", r.stderr);
    }
    let before = Ids::open(&bim);
    let subject_a = before.by_code(&format!("AssetRegister:{}", a.display())).unwrap();
    let subject_b = before.by_code(&format!("AssetRegister:{}", b.display())).unwrap();
    // Both registers use asset ids A-0001…; each job tracks its own.
    let a1 = before.0.query_row(
        "SELECT a.ElementId FROM bis_ElementMultiAspect a WHERE a.ps1 = ?1 AND a.ps2 = 'A-0001'",
        [subject_a],
        |r| r.get::<_, i64>(0),
    );
    let a1 = a1.unwrap();
    drop(before);
    let shared = json!({ "counts": {
        "Generic.PhysicalObject": 12 + 4, "BisCore.RepositoryLink": 2, "BisCore.ExternalSource": 2,
        "BisCore.SynchronizationConfigLink": 1, "BisCore.SynchronizationConfigSpecifiesRootSources": 2, "BisCore.Subject": 3,
    }});
    check(&bim, &shared);

    let r = run(&connector, &b, &bim, &["--unmap"]);
    assert!(r.ok, "{}", r.stderr);
    let left = json!({
        "counts": {
            "Generic.PhysicalObject": 12, "BisCore.RepositoryLink": 1, "BisCore.ExternalSource": 1,
            "BisCore.SynchronizationConfigLink": 1, "BisCore.SynchronizationConfigSpecifiesRootSources": 1, "BisCore.Subject": 2,
            "BisCore.ExternalSourceAspect": 18,
        },
        "aspects": [ { "elementId": hex(a1), "scope": hex(subject_a), "kind": "Asset", "identifier": "A-0001", "version": "1" } ],
        "absentElements": [hex(subject_b)],
    });
    check(&bim, &left);
    // And the first source, run again, finds everything of its own unchanged.
    let again = run(&connector, &a, &bim, &[]);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(again.totals().0 + again.totals().1 + again.totals().2, 0, "{}", again.stdout);
}

fn check(bim: &Path, expected: &Value) {
    // The checker edits the file it checks (iTwin.js inserts and deletes); check a copy.
    let copy = bim.with_extension("check.bim");
    std::fs::copy(bim, &copy).unwrap();
    let report = compat::check_with_itwinjs(&copy, expected);
    assert!(report.contains("0 failed"), "{report}");
}

/// A test-connector source file in `dir`.
fn test_source(dir: &Path, name: &str, body: Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
    path
}

/// An iModel the test connector has already synchronized once (items a and b).
fn synchronized_once(dir: &Path) -> (PathBuf, PathBuf) {
    let source = test_source(
        dir,
        "case.json",
        json!({ "items": [ { "id": "a", "version": "1" }, { "id": "b", "version": "1" } ] }),
    );
    let bim = dir.join("case.bim");
    let first = run(&guest("rust_test_connector"), &source, &bim, &[]);
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    (source, bim)
}

#[test]
fn a_failure_in_any_phase_leaves_the_imodel_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (source, bim) = synchronized_once(dir.path());
    let before = snapshot::content(&bim);
    let phases = [
        "open-source-data",
        "import-domain-schema",
        "import-dynamic-schema",
        "initialize-job",
        "import-definitions",
        "update-existing-data",
        "unmap-source",
    ];
    for phase in phases {
        for how in ["error", "trap", "after-write"] {
            if how == "after-write"
                && ["open-source-data", "import-domain-schema", "import-dynamic-schema"].contains(&phase)
            {
                continue; // the job subject does not exist yet: nothing can be written there
            }
            // initialize-job runs on a job's first run only: fail it on a fresh job subject.
            let name = if phase == "initialize-job" { format!("fresh-{how}.json") } else { "case.json".to_owned() };
            let mut body =
                json!({ "items": [ { "id": "a", "version": "2" } ], "fail": { "phase": phase, "how": how } });
            if phase == "initialize-job" {
                // A document belongs to one job: the fresh job records its own.
                body["docid"] = json!(format!("fresh-{how}"));
            }
            let failing = test_source(dir.path(), &name, body);
            let error_file = dir.path().join("error.json");
            let _ = std::fs::remove_file(&error_file);
            let mut extra = vec!["--error-file", error_file.to_str().unwrap()];
            if phase == "unmap-source" {
                extra.push("--unmap");
            }
            let r = run(&guest("rust_test_connector"), &failing, &bim, &extra);
            let what = format!("{phase}/{how}");
            assert!(!r.ok, "{what}: the run succeeded\n{}", r.stdout);
            let first_line = r
                .stderr
                .lines()
                .find(|l| l.starts_with("error:"))
                .unwrap_or_else(|| panic!("{what}: no error line in\n{}", r.stderr));
            assert!(
                first_line.contains("connector `TestConnector` failed in") && first_line.contains(phase),
                "{what}: {first_line}"
            );
            let error: Value =
                serde_json::from_slice(&std::fs::read(&error_file).unwrap_or_else(|_| panic!("{what}: no error.json")))
                    .unwrap();
            assert_eq!(error["id"], "TestConnector", "{what}");
            assert_eq!(error["message"], "Failure", "{what}");
            assert_eq!(error["extendedData"]["phase"], phase, "{what}");
            assert!(snapshot::content(&bim) == before, "{what}: the iModel changed");
        }
    }
    let _ = source;
}

#[test]
fn the_sandbox_stops_hostile_connectors_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let before = snapshot::content(&bim);
    let cases: [(&str, &[&str], &str); 7] = [
        ("read-outside", &[], "read-outside blocked"),
        ("write-source", &[], "write-source blocked"),
        ("socket", &[], "socket blocked"),
        ("env", &[], "env: 0 variables"),
        ("out-of-scope", &[], "out-of-scope refused"),
        ("loop", &["--timeout", "2"], "deadline of 2 s reached"),
        ("memory", &["--memory-limit", "64"], "memory limit of 64 MiB reached"),
    ];
    for (hostile, extra, expected) in cases {
        let source = test_source(
            dir.path(),
            "case.json",
            json!({ "items": [ { "id": "a", "version": "1" } ], "hostile": hostile }),
        );
        let started = std::time::Instant::now();
        let r = run(&guest("rust_test_connector"), &source, &bim, extra);
        assert!(!r.ok, "{hostile}: the run succeeded\n{}", r.stdout);
        assert!(r.stderr.contains(expected), "{hostile}: expected {expected:?} in\n{}", r.stderr);
        assert!(!r.stderr.contains("LEAKED"), "{hostile}: {}", r.stderr);
        assert!(snapshot::content(&bim) == before, "{hostile}: the iModel changed");
        if hostile == "loop" {
            assert!(started.elapsed() < Duration::from_secs(30), "the deadline did not stop the loop in time");
        }
    }
}

#[test]
fn guest_output_goes_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let source = test_source(
        dir.path(),
        "case.json",
        json!({ "items": [ { "id": "a", "version": "1" } ], "hostile": "stdout" }),
    );
    let r = run(&guest("rust_test_connector"), &source, &bim, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stderr.matches("[guest stdout]").count(), 3, "{}", r.stderr);
    assert_eq!(r.stderr.matches("[guest stderr]").count(), 2, "{}", r.stderr);
}

/// A run killed with SIGKILL — while the connector writes, or while the commit goes to disk —
/// leaves the last committed iModel, which iTwin.js opens and checks as before.
#[test]
fn a_killed_run_loses_nothing_that_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let before = snapshot::content(&bim);
    let items: Vec<Value> = (0..200_000).map(|i| json!({ "id": format!("bulk-{i}"), "version": "1" })).collect();
    let source = test_source(dir.path(), "case.json", json!({ "items": items }));
    let mut killed = 0;
    for delay_ms in [700, 1500, 2500, 3500, 5000] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host"))
            .args(["run", guest("rust_test_connector").to_str().unwrap(), "--source", source.to_str().unwrap()])
            .args(["--output", bim.to_str().unwrap(), "--cache-dir", crate::run::cache_dir().to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_some() {
            break; // this delay outlasted the whole run
        }
        child.kill().unwrap();
        child.wait().unwrap();
        killed += 1;
        assert!(snapshot::content(&bim) == before, "a run killed after {delay_ms} ms changed the committed content");
    }
    assert!(killed >= 2, "the runs finished before they could be killed; give them more items");
    check(&bim, &json!({ "counts": { "Generic.PhysicalObject": 2, "BisCore.ExternalSourceAspect": 3 } }));
}

/// Snapshot runs always write a fresh file: every document is new and nothing is deleted.
#[test]
fn snapshot_runs_start_from_a_fresh_file() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("site.json");
    replace_source(&data("site-v1.json"), &source);
    let bim = dir.path().join("snapshot.bim");
    let first = run(&guest("asset_register"), &source, &bim, &["--db-type", "snapshot"]);
    assert!(first.ok, "{}", first.stderr);
    let again = run(&guest("asset_register"), &source, &bim, &["--db-type", "snapshot"]);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(again.class("Generic:PhysicalObject"), (12, 0, 0, 0), "{}", again.stdout);
    check(
        &bim,
        &json!({ "counts": { "Generic.PhysicalObject": 12, "BisCore.RepositoryLink": 1, "BisCore.Subject": 2 } }),
    );
}

/// Each job subject is a channel root (owner = the connector's name, or `--channel-key`), so
/// iTwin.js channel control keeps plain apps out of the job's models; `--shared-channel` leaves
/// the job in the shared channel, as the framework does by default.
#[test]
fn jobs_are_channels_that_itwinjs_apps_must_allow() {
    let dir = tempfile::tempdir().unwrap();
    for (name, flags, key) in [
        ("own", &[][..], "AssetRegister"),
        ("keyed", &["--channel-key", "site-team"][..], "site-team"),
        ("shared", &["--shared-channel"][..], "shared"),
    ] {
        let source = dir.path().join(format!("{name}.json"));
        replace_source(&data("site-v1.json"), &source);
        let bim = dir.path().join(format!("{name}.bim"));
        let r = run(&guest("asset_register"), &source, &bim, flags);
        assert!(r.ok, "{name}: {}", r.stderr);
        let ids = Ids::open(&bim);
        let subject = ids.by_code(&format!("AssetRegister:{}", source.display())).expect("the job subject");
        let model = ids.by_code("Assets").expect("the physical partition");
        drop(ids);
        let copy = bim.with_extension("check.bim");
        std::fs::copy(&bim, &copy).unwrap();
        let report = compat::node(
            "check-channels.js",
            &[&copy, Path::new(&hex(subject)), Path::new(&hex(model)), Path::new(key)],
        );
        assert!(report.contains("0 failed"), "{name}: {report}");
    }
}

// ---------------------------------------------------------------------------------------------
// Containment (runtime): the deadline, compile bounds, causes, output, snapshots, locks.

fn error_file(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("error.json");
    let _ = std::fs::remove_file(&path);
    let arg = path.to_str().unwrap().to_owned();
    (path, arg)
}

fn cause_kind(error_file: &Path) -> String {
    let error: Value = serde_json::from_slice(&std::fs::read(error_file).expect("an error file")).unwrap();
    error["extendedData"]["causeKind"].as_str().unwrap_or_default().to_owned()
}

/// A WASI sleep of 45 s (monotonic-clock subscribe-duration + poll) blocks in the host, where
/// epoch interruption cannot reach: the clamped clock wakes it at the 3 s deadline.
#[test]
fn a_blocking_sleep_ends_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let before = snapshot::content(&bim);
    let source = test_source(dir.path(), "case.json", json!({ "hostile": "sleep" }));
    let (errors, errors_arg) = error_file(dir.path());
    let started = std::time::Instant::now();
    let r = run(&guest("rust_test_connector"), &source, &bim, &["--timeout", "3", "--error-file", &errors_arg]);
    assert!(started.elapsed() < Duration::from_secs(30), "the sleep outlived the deadline: {:?}", started.elapsed());
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("deadline of 3 s reached (--timeout)"), "{}", r.stderr);
    assert!(!r.stderr.contains("woke after"), "{}", r.stderr);
    assert_eq!(cause_kind(&errors), "deadline");
    assert!(snapshot::content(&bim) == before, "the iModel changed");
}

/// The deadline starts before the component is compiled: a compile (in the bounded child) that
/// cannot finish in time is killed and reported as the deadline.
#[test]
fn compiling_counts_against_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let source = test_source(dir.path(), "case.json", json!({}));
    let bim = dir.path().join("case.bim");
    let (errors, errors_arg) = error_file(dir.path());
    let r = run(
        &guest("rust_test_connector"),
        &source,
        &bim,
        &["--no-cache", "--timeout", "0", "--error-file", &errors_arg],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("failed in load: deadline of 0 s reached (--timeout) while compiling"), "{}", r.stderr);
    assert_eq!(cause_kind(&errors), "deadline");
    assert!(!bim.exists(), "a failed run created {}", bim.display());
    assert!(r.stderr.contains("no file was written"), "{}", r.stderr);
}

/// The compiler child runs under its address-space bound: a bound too small to compile in
/// fails the load with the bound named, and the parent process is unharmed.
#[test]
fn compiling_is_bounded_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let source = test_source(dir.path(), "case.json", json!({}));
    let bim = dir.path().join("case.bim");
    let (errors, errors_arg) = error_file(dir.path());
    let r = run(
        &guest("rust_test_connector"),
        &source,
        &bim,
        &["--no-cache", "--compile-memory-limit", "40", "--error-file", &errors_arg],
    );
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("failed in load"), "{}", r.stderr);
    assert!(r.stderr.contains("40 MiB"), "{}", r.stderr);
    assert_eq!(cause_kind(&errors), "limit");
    // And with the default bound the same component compiles (without the cache, in the child).
    let ok = run(&guest("rust_test_connector"), &source, &bim, &["--no-cache"]);
    assert!(ok.ok, "{}", ok.stderr);
}

/// The memory cause comes from the limiter itself and reaches the error file as a kind.
#[test]
fn the_memory_limit_is_the_recorded_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let source = test_source(dir.path(), "case.json", json!({ "hostile": "memory" }));
    let (errors, errors_arg) = error_file(dir.path());
    let r = run(&guest("rust_test_connector"), &source, &bim, &["--memory-limit", "64", "--error-file", &errors_arg]);
    assert!(!r.ok);
    assert!(r.stderr.contains("memory limit of 64 MiB reached (--memory-limit)"), "{}", r.stderr);
    assert_eq!(cause_kind(&errors), "memory");
    assert!(r.stderr.contains("hint: raise --memory-limit"), "{}", r.stderr);
}

/// `inspect` instantiates the connector without any iModel: it writes no file anywhere.
#[test]
fn inspect_needs_no_imodel() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["inspect", guest("rust_test_connector").to_str().unwrap()])
        .env("TMPDIR", dir.path())
        .env("ITWIN_HOST_CACHE", crate::run::cache_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("name:        TestConnector"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "inspect left {left:?}");
}

/// 3 MiB of stdout does not kill the connector: the first MiB reaches the log, one note counts
/// the rest, and the job succeeds.
#[test]
fn a_chatty_connector_is_not_killed_and_its_output_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let source = test_source(
        dir.path(),
        "case.json",
        json!({ "items": [ { "id": "a", "version": "1" } ], "hostile": "chatty" }),
    );
    let r = run(&guest("rust_test_connector"), &source, &bim, &[]);
    assert!(r.ok, "{}", &r.stderr[r.stderr.len().saturating_sub(2000)..]);
    assert_eq!(r.stderr.matches("[guest stdout] ccc").count(), 1024);
    let notes: Vec<&str> = r.stderr.lines().filter(|l| l.contains("bytes of guest output dropped")).collect();
    assert_eq!(notes, [format!("note: {} bytes of guest output dropped: over the budget of 1 MiB per job", 2 << 20)]);
}

/// Guest text reaches the terminal escaped, one line per message, prefixed, in order; no line
/// the guest made starts like the host's `error:` or `hint:`.
#[test]
fn guest_text_is_escaped_prefixed_and_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let source = test_source(dir.path(), "case.json", json!({ "hostile": "escape" }));
    let r = run(&guest("rust_test_connector"), &source, &bim, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b') && !r.stderr.contains('\r'), "{:?}", r.stderr);
    assert!(r.stderr.contains("[guest stdout] \\x1b[31mred\\x1b[0m"), "{}", r.stderr);
    assert!(r.stderr.contains("[guest stdout] error: fake host error\\rhint: fake hint"), "{}", r.stderr);
    assert!(r.stderr.contains("[connector] error: TestConnector: error: fake\\nhint: fake \\x1b[2J"), "{}", r.stderr);
    for line in r.stderr.lines() {
        assert!(!line.starts_with("error:") && !line.starts_with("hint:"), "{line}");
    }
    let at = |text: &str| r.stderr.find(text).unwrap_or_else(|| panic!("no {text:?} in\n{}", r.stderr));
    assert!(at("[guest stderr] escape stderr") < at("[guest stdout] escape stdout after stderr"));
}

/// A failed snapshot run leaves the previous snapshot as it was (it is written aside), and says so.
#[test]
fn a_failed_snapshot_run_keeps_the_previous_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let good = test_source(dir.path(), "case.json", json!({ "items": [ { "id": "a", "version": "1" } ] }));
    let bim = dir.path().join("snap.bim");
    let first = run(&guest("rust_test_connector"), &good, &bim, &["--db-type", "snapshot"]);
    assert!(first.ok, "{}", first.stderr);
    let before = snapshot::content(&bim);
    let bad = test_source(
        dir.path(),
        "case.json",
        json!({ "items": [ { "id": "b", "version": "1" } ], "fail": { "phase": "update-existing-data", "how": "after-write" } }),
    );
    let r = run(&guest("rust_test_connector"), &bad, &bim, &["--db-type", "snapshot"]);
    assert!(!r.ok);
    assert!(snapshot::content(&bim) == before, "the previous snapshot changed");
    let error = r.stderr.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(error.starts_with(&format!("error: {} was not changed: connector", bim.display())), "{error}");
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp") || n.contains(".tmp-")), "left behind: {names:?}");

    // A new standalone file that fails is not left half-made either.
    let fresh = dir.path().join("fresh.bim");
    let r = run(&guest("rust_test_connector"), &bad, &fresh, &[]);
    assert!(!r.ok);
    assert!(!fresh.exists(), "a failed run left {}", fresh.display());
    assert!(r.stderr.contains("no file was written"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: no iModel was written"), "{}", r.stderr);
}

/// A second run on an iModel another run holds fails at once naming that process, or waits
/// for it with --wait.
#[test]
fn a_second_run_on_one_imodel_fails_at_once_or_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (source, bim) = synchronized_once(dir.path());
    let held = itwin_runtime::lock::IModelLock::acquire(&bim, Duration::ZERO).unwrap();
    let started = std::time::Instant::now();
    let r = run(&guest("rust_test_connector"), &source, &bim, &[]);
    assert!(!r.ok);
    assert!(r.stderr.contains(&format!("locked by process {}", std::process::id())), "{}", r.stderr);
    assert!(r.stderr.contains("--wait"), "the hint names --wait: {}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(20), "it did not fail at once");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        drop(held);
    });
    let waited = run(&guest("rust_test_connector"), &source, &bim, &["--wait", "60"]);
    release.join().unwrap();
    assert!(waited.ok, "{}", waited.stderr);
}

/// A fuel limit stops a looping guest with its own cause. Only a run with `--fuel` counts fuel
/// (the instrumentation slows guest code down), so its compiled component is cached apart from
/// the uninstrumented one, and the next run without `--fuel` still works from the same cache.
#[test]
fn a_fuel_limit_stops_a_looping_guest_and_only_it_pays_for_counting() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bim) = synchronized_once(dir.path());
    let before = snapshot::content(&bim);
    let source = test_source(dir.path(), "case.json", json!({ "hostile": "loop" }));
    let (errors, errors_arg) = error_file(dir.path());
    let r = run(&guest("rust_test_connector"), &source, &bim, &["--fuel", "5000000", "--error-file", &errors_arg]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("fuel limit of 5000000 reached (--fuel)"), "{}", r.stderr);
    assert_eq!(cause_kind(&errors), "fuel");
    assert!(snapshot::content(&bim) == before, "the iModel changed");
    let plain = test_source(dir.path(), "case.json", json!({ "items": [ { "id": "a", "version": "1" } ] }));
    let again = run(&guest("rust_test_connector"), &plain, &bim, &[]);
    assert!(again.ok, "{}", again.stderr);
}
