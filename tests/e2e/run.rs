//! Running connector components through the `itwin-host` binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A component built by scripts/build-guests.sh.
pub fn guest(name: &str) -> PathBuf {
    let path = itwin_test_support::repo_root().join("target/guests").join(format!("{name}.wasm"));
    assert!(path.is_file(), "{} is missing: run scripts/build-guests.sh (scripts/test.sh does)", path.display());
    path
}

/// The compiled-component cache the tests share.
pub fn cache_dir() -> PathBuf {
    itwin_test_support::repo_root().join("target/test-component-cache")
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

/// `itwin-host run <connector> --source <source> --output <bim> <extra…>`.
pub fn run(connector: &Path, source: &Path, bim: &Path, extra: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_itwin-host"))
        .arg("run")
        .arg(connector)
        .arg("--source")
        .arg(source)
        .arg("--output")
        .arg(bim)
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(extra)
        .output()
        .expect("the binary runs");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The `itwin-host` binary of this build, pinned for as long as this lives: a hard link (a copy
/// across file systems) taken when made, removed on drop. The target folder may be shared with
/// other checkouts, whose builds replace `target/debug/itwin-host` while tests run.
pub struct PinnedHost(PathBuf);

impl PinnedHost {
    pub fn new() -> PinnedHost {
        let bin = Path::new(env!("CARGO_BIN_EXE_itwin-host"));
        // One per pin, not per process: tests of one binary run in parallel, and one's drop
        // would remove another's binary.
        static PINS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let pin = PINS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pinned = bin.with_file_name(format!("itwin-host-pinned-{}-{pin}", std::process::id()));
        let _ = std::fs::remove_file(&pinned);
        if std::fs::hard_link(bin, &pinned).is_err() {
            std::fs::copy(bin, &pinned).expect("the binary can be copied");
        }
        PinnedHost(pinned)
    }

    /// `itwin-host run <connector> --source <source> --output <bim> <extra…>` in `dir`, with
    /// `source` and `bim` relative to it (so the job subject, named after the source as given, and
    /// every message naming it are the same wherever `dir` is). The process is killed after
    /// `limit`: then there is no `Run`, only what it printed on stderr until then.
    pub fn run_in(
        &self,
        dir: &Path,
        connector: &Path,
        source: &str,
        bim: &str,
        extra: &[&str],
        limit: Duration,
    ) -> Result<Run, String> {
        let mut child = Command::new(&self.0)
            .current_dir(dir)
            .arg("run")
            .arg(connector)
            .args(["--source", source, "--output", bim, "--cache-dir"])
            .arg(cache_dir())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // Read both pipes while waiting: a child blocked on a full pipe would look like a hang.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped")));
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (stdout, stderr) = (stdout.join().expect("reader"), stderr.join().expect("reader"));
        match status {
            Some(status) => Ok(Run { ok: status.success(), stdout, stderr }),
            None => Err(stderr),
        }
    }
}

impl Drop for PinnedHost {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs a probe connector (`tests/guests/*-probe-connector`) on a source `{"probe": probe}`: the
/// run must fail, write nothing and leak nothing; returns what it printed on stderr.
pub fn probe(connector: &str, dir: &Path, probe: &str, extra: &[&str]) -> String {
    let source = dir.join(format!("{probe}.json"));
    std::fs::write(&source, serde_json::json!({ "probe": probe }).to_string()).unwrap();
    let bim = dir.join(format!("{probe}.bim"));
    let r = run(&guest(connector), &source, &bim, extra);
    assert!(!r.ok, "{connector} {probe}: the run succeeded\n{}", r.stdout);
    assert!(!bim.exists(), "{connector} {probe}: a file was written");
    assert!(!r.stderr.contains("LEAKED"), "{connector} {probe}: {}", r.stderr);
    r.stderr
}

/// A probe connector's endless loop ends at the deadline, in good time.
pub fn assert_loop_ends_at_the_deadline(connector: &str) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let stderr = probe(connector, dir.path(), "loop", &["--timeout", "3"]);
    assert!(stderr.contains("failed in open-source-data: deadline of 3 s reached (--timeout)"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60), "the deadline did not stop the loop in time");
}

/// A probe connector's memory hoard ends at the memory limit.
pub fn assert_hoarding_ends_at_the_memory_limit(connector: &str) {
    let dir = tempfile::tempdir().unwrap();
    let stderr = probe(connector, dir.path(), "memory", &["--memory-limit", "128"]);
    assert!(stderr.contains("memory limit of 128 MiB reached (--memory-limit)"), "{stderr}");
}
