//! Running connector components through the `itwin-host` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A component built by scripts/build-guests.sh.
pub fn guest(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/guests").join(format!("{name}.wasm"));
    assert!(path.is_file(), "{} is missing: run scripts/build-guests.sh (scripts/test.sh does)", path.display());
    path
}

/// The compiled-component cache the tests share.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-component-cache")
}

/// What one run printed.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `total: …` line's counts: (inserted, updated, deleted, unchanged).
    pub fn totals(&self) -> (usize, usize, usize, usize) {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("total:"))
            .unwrap_or_else(|| panic!("no totals in\n{}", self.stdout));
        let n: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        (n[0], n[1], n[2], n[3])
    }

    /// The (inserted, updated, deleted, unchanged) row of one class, zeros if absent.
    pub fn class(&self, class: &str) -> (usize, usize, usize, usize) {
        match self.stdout.lines().find(|l| l.split_whitespace().next() == Some(class)) {
            None => (0, 0, 0, 0),
            Some(line) => {
                let n: Vec<usize> = line.split_whitespace().skip(1).map(|s| s.parse().unwrap()).collect();
                (n[0], n[1], n[2], n[3])
            }
        }
    }
}

/// `itwin-host run <connector> --source <source> --output <bim> <extra…>`, not yet started: for
/// runs the caller kills or runs side by side.
pub fn command(connector: &Path, source: &Path, bim: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_itwin-host"));
    command
        .arg("run")
        .arg(connector)
        .arg("--source")
        .arg(source)
        .arg("--output")
        .arg(bim)
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(extra);
    command
}

/// `itwin-host run <connector> --source <source> --output <bim> <extra…>`.
pub fn run(connector: &Path, source: &Path, bim: &Path, extra: &[&str]) -> Run {
    finished(command(connector, source, bim, extra).output().expect("the binary runs"))
}

/// What a finished run printed.
pub fn finished(output: Output) -> Run {
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
