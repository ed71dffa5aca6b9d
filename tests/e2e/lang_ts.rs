//! TypeScript connectors (componentize-js, on sdk/typescript): errors surface as the host's
//! own message or the exception's name and text, the sandbox stops a JavaScript guest exactly
//! as it stops a Rust one, and a component built with componentize-js's default features (it
//! imports wasi:http) runs, its network calls refused. The example's iModel is compared with
//! the other languages' in `same_imodel.rs`.

use std::path::Path;

use crate::run::guest;

fn probe(dir: &Path, name: &str, extra: &[&str]) -> String {
    crate::run::probe("ts_probe_connector", dir, name, extra)
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
fn a_looping_connector_ends_at_the_deadline() {
    crate::run::assert_loop_ends_at_the_deadline("ts_probe_connector");
}

#[test]
fn a_hoarding_connector_ends_at_the_memory_limit() {
    crate::run::assert_hoarding_ends_at_the_memory_limit("ts_probe_connector");
}
