//! Runs the iTwin.js checks of tests/compat on a file we wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of the Node compatibility tests.
pub fn compat_dir() -> PathBuf {
    crate::repo_root().join("tests/compat")
}

/// Runs `node <script> <args>` in tests/compat and returns its stdout; panics with the output on
/// failure. Missing Node packages are a failure, not a skip: CI installs them (.ci/run).
pub fn node(script: &str, args: &[&Path]) -> String {
    let output = node_command(script).args(args).output().expect("node is on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "node {script} failed ({}):\n{stdout}\n{stderr}", output.status);
    stdout
}

/// `node <script>` in tests/compat, not yet started: for a caller that streams to it.
pub fn node_command(script: &str) -> Command {
    let dir = compat_dir();
    assert!(
        dir.join("node_modules/@itwin/core-backend").is_dir(),
        "the iTwin.js packages are not installed: run `npm ci --legacy-peer-deps` in tests/compat (scripts/test.sh does)"
    );
    let mut command = Command::new("node");
    command.arg(dir.join(script)).current_dir(&dir);
    command
}

/// Writes `expected` beside `bim` and runs check-briefcase.js on them.
pub fn check_with_itwinjs(bim: &Path, expected: &serde_json::Value) -> String {
    let expected_path = bim.with_extension("expected.json");
    std::fs::write(&expected_path, serde_json::to_vec_pretty(expected).unwrap()).unwrap();
    node("check-briefcase.js", &[bim, &expected_path])
}
