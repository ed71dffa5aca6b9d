//! Languages: the asset-register example written in Rust, Python and TypeScript (built by
//! scripts/build-guests.sh), side by side, each a whole `itwin-host` process measured by `wait4`:
//!
//! - component size, and its first-run compile (`itwin-host compile` into an empty cache: wall
//!   time and the peak RSS of the compiler process tree);
//! - cached start: the component's load time the runs report (lower median), and a whole `itwin-host inspect`
//!   process (start, load from the cache, instantiate, `info()`);
//! - a register of N assets: first run and touched re-run (new revision, same assets), with
//!   items/s and the ratio to the Rust example's, measured in the same run.
//!
//! ```text
//! cargo bench -p itwin-host --bench languages -- [N] [--rounds R] [--only python|typescript]
//! ```
//!
//! N defaults to 100,000, R to 1 (the median of R rounds is printed). `--only` measures one
//! language besides Rust (always measured: it is the anchor of the ratios). Timing is reported, never
//! asserted; the counts of every run are checked.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{check, measure, min_median, write_register, Host, Kind, Measured};

/// The examples: (language, component built by scripts/build-guests.sh).
const EXAMPLES: [(&str, &str); 3] =
    [("Rust", "asset_register"), ("Python", "python_asset_register"), ("TypeScript", "ts_asset_register")];

/// The sync runs measured, in the order they run on one iModel.
const RUNS: [Kind; 2] = [Kind::First, Kind::Touched];

struct Row {
    language: &'static str,
    size: u64,
    compile: Measured,
    load_ms: f64,
    inspect: Measured,
    sync: Vec<Vec<Measured>>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.replace('_', "").parse().ok()).unwrap_or(100_000);
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let only =
        args.iter().position(|a| a == "--only").map(|i| args.get(i + 1).expect("--only LANGUAGE").to_lowercase());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_itwin-host"));
    println!(
        "languages: the asset-register example on {n} assets, {rounds} round(s), itwin-host {}",
        if cfg!(debug_assertions) { "debug build" } else { "release build" }
    );
    let source = dir.join("register.json");
    let mut rows = Vec::new();
    for (language, name) in EXAMPLES {
        if only.as_ref().is_some_and(|only| language != "Rust" && language.to_lowercase() != *only) {
            continue;
        }
        let connector = repo.join("target/guests").join(format!("{name}.wasm"));
        assert!(connector.is_file(), "{} is missing: run scripts/build-guests.sh", connector.display());
        let cache = dir.join(format!("cache-{name}"));
        let compile = compile(&exe, &connector, &cache);
        let host = Host { exe: exe.clone(), connector: connector.clone(), cache };
        let inspect = inspect(&host);
        let mut sync = vec![Vec::new(); RUNS.len()];
        let mut loads_ms = Vec::new();
        for round in 0..rounds {
            let bim = dir.join(format!("{name}-{round}.bim"));
            for (k, &kind) in RUNS.iter().enumerate() {
                write_register(&source, n, kind);
                let (measured, counts, stdout) = host.run_with_output(&source, &bim);
                check(kind, n, counts, language);
                loads_ms.push(loaded_ms(&stdout));
                eprintln!("{language:<10} round {round}: {:<44} {:>8.2} s", kind.label(), measured.wall.as_secs_f64());
                sync[k].push(measured);
            }
            let _ = std::fs::remove_file(&bim);
        }
        let size = std::fs::metadata(&connector).unwrap().len();
        // The (lower) median of the runs' loads: one can be a page-cache miss after a big job.
        loads_ms.sort_by(f64::total_cmp);
        let load_ms = loads_ms.get(loads_ms.len().saturating_sub(1) / 2).copied().unwrap_or(f64::NAN);
        rows.push(Row { language, size, compile, load_ms, inspect, sync });
    }

    println!();
    println!(
        "{:<11} {:>9} {:>10} {:>9} {:>9} {:>10} | {:>8} {:>9} {:>6} | {:>8} {:>9} {:>6}",
        "language",
        "size MB",
        "compile s",
        "MiB",
        "load ms",
        "inspect ms",
        "first s",
        "items/s",
        "×Rust",
        "touch s",
        "items/s",
        "×Rust"
    );
    let rust: Vec<f64> = rows[0].sync.iter().map(|runs| min_median(runs).1).collect();
    for row in &rows {
        let mut line = format!(
            "{:<11} {:>9.1} {:>10.2} {:>9.0} {:>9.1} {:>10.0} |",
            row.language,
            row.size as f64 / 1e6,
            row.compile.wall.as_secs_f64(),
            row.compile.peak_rss_mib,
            row.load_ms,
            row.inspect.wall.as_secs_f64() * 1e3
        );
        for (k, runs) in row.sync.iter().enumerate() {
            let median = min_median(runs).1;
            line.push_str(&format!(" {median:>8.2} {:>9.0} {:>6.2} |", n as f64 / median, rust[k] / median));
        }
        println!("{}", line.trim_end_matches(" |"));
    }
    println!(
        "\ncompile: `itwin-host compile` into an empty cache (MiB: peak RSS of the process tree); load: the \
         cached component's load time the runs report (median); inspect: a whole `itwin-host inspect` process, cached; \
         first/touch: median whole `itwin-host run` processes; ×Rust: the Rust example's time over this one's."
    );
}

/// `itwin-host compile` into an empty cache.
fn compile(exe: &Path, connector: &Path, cache: &Path) -> Measured {
    let mut command = Command::new(exe);
    command.arg("compile").arg(connector).arg("--cache-dir").arg(cache).stdout(Stdio::piped()).stderr(Stdio::piped());
    measure(command).0
}

/// A whole `itwin-host inspect` process on a cached component (the second of two).
fn inspect(host: &Host) -> Measured {
    let command = || {
        let mut command = Command::new(&host.exe);
        command
            .arg("inspect")
            .arg(&host.connector)
            .arg("--cache-dir")
            .arg(&host.cache)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    measure(command());
    measure(command()).0
}

/// `… (loaded from cache in 4.2 ms) → …` in a run's report.
fn loaded_ms(stdout: &str) -> f64 {
    stdout
        .split("loaded from cache in ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(f64::NAN)
}
