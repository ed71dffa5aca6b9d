//! `itwin-host new --lang LANG NAME`: each language's project builds with its one command, runs
//! on the sample it ships (twice: the second run changes nothing), passes its own unit tests,
//! and writes an iModel iTwin.js reads.

use std::path::Path;
use std::process::Command;

use itwin_test_support::compat;
use serde_json::json;

use crate::run::run;

/// Runs `command` in `dir`, panicking with its output if it fails.
fn ok(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (key, value) in envs {
        command.env(key, value);
    }
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} failed in {}:\n{stdout}\n{stderr}", dir.display());
    format!("{stdout}{stderr}")
}

/// Creates, builds, runs and tests a project; `envs` share build caches between test runs.
fn scaffold(lang: &str, test: &[&str], envs: &[(&str, &Path)]) {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("site-markers");
    let created = ok(dir.path(), env!("CARGO_BIN_EXE_itwin-host"), &["new", "--lang", lang, "site-markers"], &[]);
    assert!(created.contains("connector SiteMarkers"), "{created}");
    ok(&project, "./build.sh", &[], envs);
    let connector = project.join("site_markers.wasm");
    assert!(connector.is_file(), "build.sh wrote no site_markers.wasm");

    let source = project.join("data/sample.json");
    let bim = dir.path().join("sample.bim");
    let first = run(&connector, &source, &bim, &[]);
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(first.class("Generic:PhysicalObject"), (3, 0, 0, 0), "{}", first.stdout);
    let again = run(&connector, &source, &bim, &[]);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(again.totals(), (0, 0, 0, 1), "the same revision changes nothing:\n{}", again.stdout);

    ok(&project, test[0], &test[1..], envs);

    let expected = json!({
        "counts": { "Generic.PhysicalObject": 3, "BisCore.ExternalSourceAspect": 4, "BisCore.SpatialCategory": 1 },
    });
    let report = compat::check_with_itwinjs(&bim, &expected);
    assert!(report.contains("0 failed"), "{report}");
}

#[test]
fn a_new_rust_project_builds_runs_and_tests() {
    // One target folder for every run of this test: the SDK's dependencies compile once.
    let target = itwin_test_support::repo_root().join("target/scaffold-rust");
    scaffold("rust", &["cargo", "test"], &[("CARGO_TARGET_DIR", &target)]);
}

#[test]
fn a_new_python_project_builds_runs_and_tests() {
    scaffold("python", &["python3", "-m", "unittest"], &[]);
}

#[test]
fn a_new_typescript_project_builds_runs_and_tests() {
    scaffold("typescript", &["npm", "test"], &[]);
}

/// A name that cannot name a connector, or a folder in use, is refused before anything is written.
#[test]
fn new_refuses_bad_names_and_used_folders() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["new", "--lang", "rust", "9lives"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("\"9lives\" is not a usable connector name"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/notes.txt"), "mine").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["new", "--lang", "python", "taken"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken exists and is not empty"));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("taken")).unwrap().collect();
    assert_eq!(left.len(), 1, "new wrote into a used folder");
}
