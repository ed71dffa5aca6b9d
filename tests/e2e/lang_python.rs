//! Python connectors (componentize-py, on sdk/python): errors surface as the host's own
//! message or the exception's type and text, and the sandbox stops a Python guest exactly as
//! it stops a Rust one. The example's iModel is compared with the other languages' in
//! `same_imodel.rs`.

use std::path::Path;

use serde_json::json;

use crate::run::{guest, run};

/// Runs the probe connector on a source that names `probe`; the run must fail and write nothing.
fn probe(dir: &Path, probe: &str, extra: &[&str]) -> String {
    let source = dir.join(format!("{probe}.json"));
    std::fs::write(&source, json!({ "probe": probe }).to_string()).unwrap();
    let bim = dir.join(format!("{probe}.bim"));
    let r = run(&guest("python_probe_connector"), &source, &bim, extra);
    assert!(!r.ok, "{probe}: the run succeeded\n{}", r.stdout);
    assert!(!bim.exists(), "{probe}: a file was written");
    assert!(!r.stderr.contains("LEAKED"), "{probe}: {}", r.stderr);
    r.stderr
}

#[test]
fn an_uncaught_exception_is_named_by_its_type_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "raise", &[]);
    assert!(
        stderr.contains("failed in open-source-data: the connector returned an error: SourceBroken: row 7 has no id"),
        "{stderr}"
    );
}

#[test]
fn a_host_refusal_nothing_caught_is_the_hosts_own_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "refused", &[]);
    assert!(stderr.contains("the connector returned an error: out-of-scope: "), "{stderr}");
}

/// As for the Rust test connector (`read-outside`): nothing but the source is in the sandbox.
#[test]
fn a_python_connector_cannot_open_etc_passwd() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "open-passwd", &[]);
    assert!(stderr.contains("FileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd'"), "{stderr}");
}

#[test]
fn a_looping_python_connector_ends_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let stderr = probe(dir.path(), "loop", &["--timeout", "3"]);
    assert!(stderr.contains("failed in open-source-data: deadline of 3 s reached (--timeout)"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "the deadline did not stop the loop in time");
}

#[test]
fn a_hoarding_python_connector_ends_at_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "memory", &["--memory-limit", "128"]);
    assert!(stderr.contains("memory limit of 128 MiB reached (--memory-limit)"), "{stderr}");
}
