//! What the benchmarks that run whole `itwin-host run` processes share: the register they sync
//! (the example connector's source format), the kinds of run, measuring a process, and checking
//! that each run did what its kind says.
// Each bench uses a part of it.
#![allow(dead_code)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The kinds of run, in the order they run on one iModel.
pub const KINDS: [Kind; 5] = [Kind::First, Kind::Unchanged, Kind::Touched, Kind::OnePercent, Kind::TenPercentDeleted];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    First,
    Unchanged,
    Touched,
    OnePercent,
    TenPercentDeleted,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::First => "first run (all new)",
            Kind::Unchanged => "re-run, same revision (document unchanged)",
            Kind::Touched => "re-run, touched (new revision, same assets)",
            Kind::OnePercent => "re-run, 1% changed",
            Kind::TenPercentDeleted => "re-run, 10% deleted",
        }
    }
}

/// What a run did, in counts of assets.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

/// A whole process: wall time and peak resident set.
#[derive(Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    pub peak_rss_mib: f64,
}

/// The `itwin-host` binary of this build, with its own component cache.
pub struct Host {
    pub exe: PathBuf,
    pub connector: PathBuf,
    pub cache: PathBuf,
}

impl Host {
    /// Compiles the connector into the cache with a run on a tiny register, so every measured
    /// run loads it from the cache (as every run after a deployment's first does).
    pub fn warm_up(&self, dir: &Path) {
        let source = dir.join("warm-up.json");
        write_register(&source, 10, Kind::First);
        self.run(&source, &dir.join("warm-up.bim"));
    }

    pub fn run(&self, source: &Path, bim: &Path) -> (Measured, Counts) {
        let (measured, counts, _) = self.run_with_output(source, bim);
        (measured, counts)
    }

    /// [`Host::run`], with what the run printed.
    pub fn run_with_output(&self, source: &Path, bim: &Path) -> (Measured, Counts, String) {
        let mut command = Command::new(&self.exe);
        command
            .arg("run")
            .arg(&self.connector)
            .arg("--source")
            .arg(source)
            .arg("--output")
            .arg(bim)
            .arg("--cache-dir")
            .arg(&self.cache)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (measured, stdout, stderr) = measure(command);
        assert!(stdout.contains("total: "), "itwin-host run printed no summary:\n{stdout}\n{stderr}");
        // The summary's row `Generic:PhysicalObject  inserted updated deleted unchanged`; none
        // when the run detected nothing of the class (an unchanged document).
        let row: Vec<u64> = stdout
            .lines()
            .find(|l| l.starts_with("Generic:PhysicalObject "))
            .map(|l| l.split_whitespace().skip(1).filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_else(|| vec![0; 4]);
        (measured, Counts { inserted: row[0], updated: row[1], deleted: row[2] }, stdout)
    }
}

/// Runs `command` to its end; its wall time, its peak RSS as the kernel accounted it, and its
/// output. Panics with the output if it failed.
// The child is reaped by `wait4` (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn measure(mut command: Command) -> (Measured, String, String) {
    let start = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    // Read the pipes on threads so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || read_all(&mut out));
    let err = std::thread::spawn(move || read_all(&mut err));
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, not yet reaped; status and usage point to live locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed: {}", std::io::Error::last_os_error());
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let exited_ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(exited_ok, "{command:?} failed (status {status}):\n{stdout}\n{stderr}");
    // ru_maxrss is in KiB on Linux.
    (Measured { wall, peak_rss_mib: usage.ru_maxrss as f64 / 1024.0 }, stdout, stderr)
}

pub fn read_all(reader: &mut impl std::io::Read) -> String {
    let mut text = String::new();
    let _ = reader.read_to_string(&mut text);
    text
}

/// Every run must have done what its kind says, or its time means nothing.
pub fn check(kind: Kind, n: usize, counts: Counts, who: &str) {
    let n = n as u64;
    let want = match kind {
        Kind::First => Counts { inserted: n + parts_of(n as usize) as u64, ..Counts::default() },
        Kind::Unchanged | Kind::Touched => Counts::default(),
        Kind::OnePercent => {
            Counts { updated: (0..n as usize).filter(|&i| is_changed(i)).count() as u64, ..Counts::default() }
        }
        // The deleted assets' parts go with them.
        Kind::TenPercentDeleted => Counts { deleted: deleted_with_parts(n as usize), ..Counts::default() },
    };
    assert_eq!(counts, want, "{who}: {} did not do what it should", kind.label());
}

/// Every tenth asset (index ≡ 0 mod 10) is deleted in the last run.
pub fn is_deleted(i: usize) -> bool {
    i % 10 == 0
}

/// Every 100th asset (index ≡ 5 mod 100) changes in the 1% run.
pub fn is_changed(i: usize) -> bool {
    i % 100 == 5
}

/// One asset in ten has two parts (index ≡ 3 mod 10).
pub fn has_parts(i: usize) -> bool {
    i % 10 == 3
}

pub fn parts_of(n: usize) -> usize {
    2 * (0..n).filter(|&i| has_parts(i)).count()
}

pub fn deleted_with_parts(n: usize) -> u64 {
    (0..n).filter(|&i| is_deleted(i)).map(|i| 1 + if has_parts(i) { 2 } else { 0 }).sum()
}

/// One group per 1,000 assets, of ten members that are never deleted (index ≡ 1 mod 10).
pub fn groups_of(n: usize) -> usize {
    n / 1000
}

/// Writes the register for a run of `kind` (streamed: at 10 million assets it is 2.5 GB);
/// returns its size.
pub fn write_register(path: &Path, n: usize, kind: Kind) -> u64 {
    let revision = match kind {
        Kind::First | Kind::Unchanged => "1",
        Kind::Touched => "2",
        Kind::OnePercent => "3",
        Kind::TenPercentDeleted => "4",
    };
    let changed = matches!(kind, Kind::OnePercent | Kind::TenPercentDeleted);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    write!(
        out,
        r##"{{"registerId":"scale-register","name":"Scale bench","revision":"{revision}","categories":[{{"id":"pumps","name":"Pumps","color":"#1f77b4"}},{{"id":"valves","name":"Valves","color":"#ff7f0e"}}],"assets":["##
    )
    .unwrap();
    let mut first = true;
    for i in 0..n {
        if kind == Kind::TenPercentDeleted && is_deleted(i) {
            continue;
        }
        let (version, renamed) = if changed && is_changed(i) { (2, " (renamed)") } else { (1, "") };
        let category = if i % 2 == 0 { "pumps" } else { "valves" };
        let (x, y) = ((i % 1000) as f64 * 2.0, (i / 1000) as f64 * 2.0);
        if !first {
            out.write_all(b",").unwrap();
        }
        first = false;
        write!(
            out,
            r#"{{"id":"A-{i:08}","tag":"T-{i:08}","name":"asset {i}{renamed}","category":"{category}","version":{version},"position":[{x},{y},0],"yaw":{yaw},"size":[1.2,0.8,1.0],"properties":{{"serial":{i},"manufacturer":"Acme"}}"#,
            yaw = (i % 4) * 90
        )
        .unwrap();
        if has_parts(i) {
            out.write_all(
                br#","parts":[{"id":"motor","name":"motor","offset":[0.3,0,0.2],"size":[0.5,0.4,0.4],"shape":"horizontal-cylinder"},{"id":"base","name":"base","offset":[0,0,0],"size":[1.3,0.9,0.1]}]"#,
            )
            .unwrap();
        }
        out.write_all(b"}").unwrap();
    }
    out.write_all(br#"],"groups":["#).unwrap();
    for g in 0..groups_of(n) {
        let members: Vec<String> = (0..10).map(|m| format!("\"A-{:08}\"", g * 1000 + m * 100 + 1)).collect();
        let separator = if g == 0 { "" } else { "," };
        write!(out, r#"{separator}{{"id":"G-{g}","name":"group {g}","members":[{}]}}"#, members.join(",")).unwrap();
    }
    out.write_all(b"]}").unwrap();
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

pub fn min_median(runs: &[Measured]) -> (f64, f64) {
    let mut seconds: Vec<f64> = runs.iter().map(|m| m.wall.as_secs_f64()).collect();
    seconds.sort_by(f64::total_cmp);
    (seconds[0], seconds[seconds.len() / 2])
}
