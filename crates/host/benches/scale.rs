//! Scale: the example connector (`guest-examples/rust-asset-register`, built by
//! scripts/build-guests.sh) on a register of N assets, each run a whole `itwin-host run` process
//! whose wall time and peak RSS (`wait4`) are measured, for five kinds of run: first run,
//! unchanged re-run (same revision), touched re-run (new revision, same assets), 1% changed,
//! 10% deleted. For N ≤ 1,000,000 the same five runs of the same job written the way the
//! iTwin.js connector framework does it (`tests/compat/framework-anchor.js`, on
//! @itwin/core-backend) run in the same process tree, one after the other, and the ratios are
//! printed.
//!
//! ```text
//! cargo bench -p itwin-host --bench scale -- N [--rounds R] [--no-anchor] [--temp-dir DIR]
//! ```
//!
//! N defaults to 100,000; R rounds (default 3, 1 for N > 1,000,000) give min and median; the
//! registers and iModels go to a temporary folder in DIR (default the system's; 10 million assets
//! take about 15 GB, removed at the end). Timing
//! is reported, never asserted; the counts of every run are checked. CI runs N = 100,000 with
//! one round as a smoke test (`--profile dev`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{check, groups_of, measure, min_median, parts_of, write_register, Counts, Host, Measured, KINDS};
use serde_json::Value;

struct Options {
    n: usize,
    rounds: usize,
    anchor: bool,
    temp_dir: Option<PathBuf>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args.iter().find_map(|a| a.replace('_', "").parse().ok()).unwrap_or(100_000);
    let value_of = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let rounds = value_of("--rounds").and_then(|r| r.parse().ok()).unwrap_or(if n > 1_000_000 { 1 } else { 3 });
    Options {
        n,
        rounds,
        anchor: n <= 1_000_000 && !args.iter().any(|a| a == "--no-anchor"),
        temp_dir: value_of("--temp-dir").map(PathBuf::from),
    }
}

fn main() {
    let options = options();
    let n = options.n;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let connector = repo.join("target/guests/asset_register.wasm");
    assert!(connector.is_file(), "build the example connector first: scripts/build-guests.sh");
    let compat = repo.join("tests/compat");
    if options.anchor {
        assert!(
            compat.join("node_modules/@itwin/core-backend").is_dir(),
            "install the iTwin.js packages first: (cd tests/compat && npm ci --legacy-peer-deps), or pass --no-anchor"
        );
    }
    let temp = tempfile::tempdir_in(options.temp_dir.clone().unwrap_or_else(std::env::temp_dir)).unwrap();
    let dir = temp.path();
    let host = Host { exe: PathBuf::from(env!("CARGO_BIN_EXE_itwin-host")), connector, cache: dir.join("cache") };
    host.warm_up(dir);
    println!(
        "scale: a register of {n} assets ({} parts, {} groups), {} round(s), itwin-host {}",
        parts_of(n),
        groups_of(n),
        options.rounds,
        if cfg!(debug_assertions) { "debug build" } else { "release build" }
    );

    let source = dir.join("register.json");
    let mut ours: Vec<Vec<Measured>> = vec![Vec::new(); KINDS.len()];
    let mut theirs: Vec<Vec<Measured>> = vec![Vec::new(); KINDS.len()];
    for round in 0..options.rounds {
        let bim = dir.join(format!("itwin-host-{round}.bim"));
        let anchor_bim = dir.join(format!("framework-{round}.bim"));
        for (k, &kind) in KINDS.iter().enumerate() {
            let bytes = write_register(&source, n, kind);
            let (measured, counts) = host.run(&source, &bim);
            check(kind, n, counts, "itwin-host");
            eprintln!(
                "round {round}: {:<44} itwin-host {:>8.2} s {:>7.0} MiB ({:.0} MB source)",
                kind.label(),
                measured.wall.as_secs_f64(),
                measured.peak_rss_mib,
                bytes as f64 / 1e6
            );
            ours[k].push(measured);
            if options.anchor {
                let (measured, counts) = anchor(&compat, &source, &anchor_bim);
                check(kind, n, counts, "framework-anchor.js");
                eprintln!(
                    "round {round}: {:<44} iTwin.js   {:>8.2} s {:>7.0} MiB",
                    kind.label(),
                    measured.wall.as_secs_f64(),
                    measured.peak_rss_mib
                );
                theirs[k].push(measured);
            }
        }
        // Rounds are independent: each starts from no iModel.
        let _ = std::fs::remove_file(&bim);
        let _ = std::fs::remove_file(&anchor_bim);
    }

    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>10} {:>9} | {:>9} {:>9} {:>8}",
        "run (whole processes)", "min s", "median s", "items/s", "peak MiB", "iTwin.js", "peak MiB", "ratio"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let (min, median) = min_median(&ours[k]);
        let rss = ours[k].iter().map(|m| m.peak_rss_mib).fold(0.0, f64::max);
        let mut line =
            format!("{:<44} {:>9.3} {:>9.3} {:>10.0} {:>9.0} |", kind.label(), min, median, n as f64 / median, rss);
        if theirs[k].is_empty() {
            line.push_str(&format!(" {:>9} {:>9} {:>8}", "-", "-", "-"));
        } else {
            let (_, their_median) = min_median(&theirs[k]);
            let their_rss = theirs[k].iter().map(|m| m.peak_rss_mib).fold(0.0, f64::max);
            line.push_str(&format!(" {their_median:>9.2} {their_rss:>9.0} {:>7.1}x", their_median / median));
        }
        println!("{line}");
    }
    println!("\nitems/s: assets per second of the median run (parts and groups ride along); ratio: medians.");
}

/// The framework-way job on @itwin/core-backend: one `node` process.
fn anchor(compat: &Path, source: &Path, bim: &Path) -> (Measured, Counts) {
    let mut command = Command::new("node");
    command
        .arg("framework-anchor.js")
        .arg(source)
        .arg(bim)
        .current_dir(compat)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (measured, stdout, stderr) = measure(command);
    let line: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("framework-anchor.js printed no result ({e}):\n{stdout}\n{stderr}"));
    let physical = &line["physicalObjects"];
    let count = |key: &str| physical[key].as_u64().unwrap_or(0);
    (measured, Counts { inserted: count("inserted"), updated: count("updated"), deleted: count("deleted") })
}
