//! TypeScript connectors (componentize-js, on sdk/typescript): errors surface as the host's
//! own message or the exception's name and text, the sandbox stops a JavaScript guest exactly
//! as it stops a Rust one, and a component built with componentize-js's default features (it
//! imports wasi:http) runs, its network calls refused. The example's iModel is compared with
//! the other languages' in `same_imodel.rs`.

use std::path::Path;

use serde_json::json;

use crate::run::{guest, run};

/// Runs the probe connector on a source that names `probe`; the run must fail and write nothing.
fn probe(dir: &Path, probe: &str, extra: &[&str]) -> String {
    let source = dir.join(format!("{probe}.json"));
    std::fs::write(&source, json!({ "probe": probe }).to_string()).unwrap();
    let bim = dir.join(format!("{probe}.bim"));
    let r = run(&guest("ts_probe_connector"), &source, &bim, extra);
    assert!(!r.ok, "{probe}: the run succeeded\n{}", r.stdout);
    assert!(!bim.exists(), "{probe}: a file was written");
    r.stderr
}

#[test]
fn a_thrown_error_is_named_by_its_type_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "throw", &[]);
    assert!(
        stderr.contains("failed in open-source-data: the connector returned an error: TypeError: row 7 has no id"),
        "{stderr}"
    );
}

#[test]
fn a_host_refusal_nothing_caught_is_the_hosts_own_message() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "refused", &[]);
    assert!(stderr.contains("the connector returned an error: out-of-scope: "), "{stderr}");
}

/// The probe imports wasi:http (componentize-js's defaults): it instantiates, and the first
/// call into wasi:http stops the job with the reason.
#[test]
fn a_default_componentize_js_build_runs_and_its_fetch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .args(["inspect", guest("ts_probe_connector").to_str().unwrap(), "--cache-dir"])
        .arg(crate::run::cache_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("wasi:http/outgoing-handler@"), "{stdout}");
    assert!(stdout.contains("(linked, every call refused: connectors have no network access)"), "{stdout}");

    let stderr = probe(dir.path(), "fetch", &[]);
    assert!(stderr.contains("refused by the host: the connector called wasi:http/"), "{stderr}");
    assert!(stderr.contains(": connectors have no network access"), "{stderr}");
}

#[test]
fn a_looping_javascript_connector_ends_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let stderr = probe(dir.path(), "loop", &["--timeout", "3"]);
    assert!(stderr.contains("failed in open-source-data: deadline of 3 s reached (--timeout)"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "the deadline did not stop the loop in time");
}

#[test]
fn a_hoarding_javascript_connector_ends_at_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(dir.path(), "memory", &["--memory-limit", "128"]);
    assert!(stderr.contains("memory limit of 128 MiB reached (--memory-limit)"), "{stderr}");
}
