//! Python connectors (componentize-py, on sdk/python): errors surface as the host's own
//! message or the exception's type and text, and the sandbox stops a Python guest exactly as
//! it stops a Rust one. The example's iModel is compared with the other languages' in
//! `same_imodel.rs`.

use std::path::Path;

fn probe(dir: &Path, name: &str, extra: &[&str]) -> String {
    crate::run::probe("python_probe_connector", dir, name, extra)
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
fn a_looping_connector_ends_at_the_deadline() {
    crate::run::assert_loop_ends_at_the_deadline("python_probe_connector");
}

#[test]
fn a_hoarding_connector_ends_at_the_memory_limit() {
    crate::run::assert_hoarding_ends_at_the_memory_limit("python_probe_connector");
}
