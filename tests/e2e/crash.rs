//! Crash consistency (issue "Containment", item 10): a sync of the example connector killed with
//! SIGKILL at any moment leaves either the content from before the run or the content the run
//! would have written — never a mix — in a file iTwin.js opens with clean integrity checks and
//! the next run continues from; and two runs on one iModel at once never both write.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Barrier;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::run::{guest, PinnedHost, Run};

/// Every run names the source and the iModel relative to the test's folder, the way
/// `PinnedHost::run_in` runs them: the job is named after the source as given, so all runs of the
/// chain, and the reference runs beside it, are one job.
const SOURCE: &str = "register.json";
const BIM: &str = "site.bim";
/// Longer than any uninterrupted run here takes.
const NO_LIMIT: Duration = Duration::from_secs(900);
use itwin_test_support::{compat, snapshot};
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

/// A setting the environment may override (a quicker local run, or a seed to repeat).
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

/// The example connector's register of `n` assets, as version 1 or 2 of one source file. Every
/// tenth asset has a part (a child element). Version 2 renames 1% of the assets (version 2),
/// deletes 1% (with their parts) and adds 1%, so a run from either version to the other inserts,
/// updates and deletes.
fn register(n: usize, version: u32) -> Vec<u8> {
    let mut assets: Vec<Value> = (0..n)
        .filter(|i| version == 1 || i % 100 != 10)
        .map(|i| {
            let renamed = version == 2 && i % 100 == 0;
            let mut asset = json!({
                "id": format!("A-{i:06}"), "tag": format!("T-{i:06}"),
                "name": if renamed { format!("asset {i} (renamed)") } else { format!("asset {i}") },
                "category": if i % 2 == 0 { "pumps" } else { "valves" }, "version": if renamed { 2 } else { 1 },
                "position": [(i % 300) as f64 * 2.0, (i / 300) as f64 * 2.0, 0.0], "size": [1.0, 1.0, 1.0],
                "properties": { "serial": i },
            });
            if i % 10 == 0 {
                asset["parts"] = json!([{ "id": "base", "name": format!("asset {i} base"), "offset": [0.0, 0.0, 0.0],
                    "size": [1.2, 1.2, 0.1] }]);
            }
            asset
        })
        .collect();
    if version == 2 {
        assets.extend((n..n + n / 100).map(|i| {
            json!({ "id": format!("A-{i:06}"), "tag": format!("T-{i:06}"), "name": format!("asset {i}"),
                "category": "pumps", "version": 1, "position": [(i % 300) as f64 * 2.0, -10.0, 0.0],
                "size": [1.0, 1.0, 1.0] })
        }));
    }
    serde_json::to_vec(&json!({
        "registerId": "crash-register", "name": "Crash test register", "revision": format!("v{version}"),
        "categories": [ { "id": "pumps", "name": "Pumps", "color": "#1f77b4" },
            { "id": "valves", "name": "Valves", "color": "#ff7f0e" } ],
        "assets": assets, "groups": [],
    }))
    .unwrap()
}

/// `path` with `suffix` appended: SQLite's `-wal` and `-shm` beside a database.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies an iModel as a killed writer left it: the file and its WAL, which may hold committed
/// transactions not yet checkpointed into the file. The -shm index is rebuilt from the WAL; a
/// stale one beside `to`, or a stale WAL, would belong to an earlier copy.
fn copy_imodel(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(beside(to, suffix));
    }
    if beside(from, "-wal").exists() {
        std::fs::copy(beside(from, "-wal"), beside(to, "-wal")).unwrap();
    }
}

fn elements(bim: &Path) -> i64 {
    let conn = Connection::open_with_flags(bim, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("SELECT COUNT(*) FROM bis_Element", [], |r| r.get(0)).unwrap()
}

/// SplitMix64: seeded, so a failing sequence of kill moments can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What check-integrity.js said of one file.
#[derive(Default)]
struct Checked {
    elements: Option<i64>,
    ok: bool,
    failures: Vec<String>,
}

/// One Node process (`check-integrity.js`) checking files as they are handed to it, on the
/// other core while the runs go on: starting iTwin.js once per file would cost more than the
/// checks. A copy is deleted once its results are in (when the next file's start).
struct IntegrityChecker {
    node: Child,
    paths: ChildStdin,
    expected_elements: Vec<(String, i64)>,
    results: JoinHandle<HashMap<String, Checked>>,
}

impl IntegrityChecker {
    fn start() -> IntegrityChecker {
        let mut node = compat::node_command("check-integrity.js")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is on PATH");
        let stdout = node.stdout.take().unwrap();
        let results = std::thread::spawn(move || {
            let mut results: HashMap<String, Checked> = HashMap::new();
            let mut current: Option<String> = None;
            let done = |path: &str| {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(beside(Path::new(path), suffix));
                }
            };
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let (path, event) = if let Some(rest) = line.strip_prefix("elements ") {
                    rest.rsplit_once(' ').expect("elements <file> <n>")
                } else if let Some(rest) = line.strip_prefix("FAIL ") {
                    rest.split_once(": ").expect("FAIL <file>: <why>")
                } else {
                    (line.strip_prefix("ok ").unwrap_or_else(|| panic!("check-integrity.js said {line:?}")), "ok")
                };
                if current.as_deref() != Some(path) {
                    current.replace(path.to_owned()).as_deref().map(done);
                }
                let checked = results.entry(path.to_owned()).or_default();
                match (line.starts_with("elements "), event) {
                    (true, n) => checked.elements = Some(n.parse().unwrap()),
                    (false, "ok") => checked.ok = true,
                    (false, why) => checked.failures.push(why.to_owned()),
                }
            }
            current.as_deref().map(done);
            results
        });
        let paths = node.stdin.take().unwrap();
        IntegrityChecker { node, paths, expected_elements: Vec::new(), results }
    }

    /// Queues `bim`, a copy: the check's read-only open still builds a -shm index beside it.
    fn check(&mut self, bim: &Path) {
        self.expected_elements.push((bim.display().to_string(), elements(bim)));
        writeln!(self.paths, "{}", bim.display()).expect("the iTwin.js checker is running");
    }

    /// Waits for every result: each file clean, and iTwin.js counting the elements SQLite counts
    /// (it read the same transactions from the WAL).
    fn finish(self) {
        let IntegrityChecker { mut node, paths, expected_elements, results } = self;
        drop(paths);
        let results = results.join().unwrap();
        let status = node.wait().unwrap();
        for (path, elements) in &expected_elements {
            let checked = results.get(path).unwrap_or_else(|| panic!("check-integrity.js said nothing of {path}"));
            assert!(
                checked.ok && checked.failures.is_empty(),
                "iTwin.js found problems in {path}: {:?}",
                checked.failures
            );
            assert_eq!(checked.elements, Some(*elements), "iTwin.js counted other elements in {path}");
        }
        assert!(status.success(), "check-integrity.js failed ({status})");
    }
}

/// Milliseconds of each phase, from the report of `itwin-host run -v`.
fn phases(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|l| {
            let (phase, ms) = l.strip_prefix("  ")?.strip_suffix(" ms")?.trim().rsplit_once(' ')?;
            Some((phase.trim().to_owned(), ms.parse().ok()?))
        })
        .collect()
}

/// At least 50 runs of a 100,000-item sync, alternating the register between two versions, are
/// killed at seeded random moments over the whole run and its commit. Each killed file holds the
/// content from before the run (same digest) or the content the run would have written: the
/// same run, completed on a copy of the file from before it, gives the same digest apart from
/// fresh timestamps and GUIDs. iTwin.js opens every killed file with clean integrity checks, the
/// chain's next run continues from it, and the last run completes; a re-run then changes nothing.
///
/// ITWIN_HOST_CRASH_ITEMS, ITWIN_HOST_CRASH_KILLS and ITWIN_HOST_CRASH_SEED override the item
/// count (100000), the number of kills (50) and the seed (printed; from the clock by default).
#[test]
fn killed_syncs_leave_the_content_from_before_or_after_the_run() {
    let test_started = Instant::now();
    let items = setting("ITWIN_HOST_CRASH_ITEMS", 100_000) as usize;
    let kills = setting("ITWIN_HOST_CRASH_KILLS", 50) as usize;
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let seed = setting("ITWIN_HOST_CRASH_SEED", clock);
    println!("{items} items, {kills} kills, seed {seed} (ITWIN_HOST_CRASH_SEED={seed} repeats the kill moments)");
    let mut rng = Rng(seed);

    let host = PinnedHost::new();
    let connector = guest("asset_register");
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let sync =
        |bim: &str, extra: &[&str], limit: Duration| host.run_in(dir.path(), &connector, SOURCE, bim, extra, limit);
    let complete = |bim: &str, extra: &[&str]| -> Run {
        let run = sync(bim, extra, NO_LIMIT).unwrap_or_else(|stderr| panic!("a run did not finish:\n{stderr}"));
        assert!(run.ok, "a run failed:\n{}\n{}", run.stdout, run.stderr);
        run
    };
    let versions: Vec<PathBuf> = [1, 2]
        .into_iter()
        .map(|v| {
            let path = at(&format!("register-v{v}.json"));
            std::fs::write(&path, register(items, v)).unwrap();
            path
        })
        .collect();
    let use_version = |v: usize| std::fs::copy(&versions[v], at(SOURCE)).unwrap();

    // The first sync inserts everything. It is not killed: in the debug build it takes about as
    // long as ten of the runs that are.
    use_version(0);
    let first = complete(BIM, &[]);
    assert_eq!(first.class("Generic:PhysicalObject").0, items + items / 10, "{}", first.stdout);

    // One uninterrupted run of the kind that is killed, timed: its length spreads the kill moments
    // over a whole run, and its phases tell how long the end takes (deletions, view, commit,
    // closing), which gets half of the kills so that some land after the commit.
    use_version(1);
    let started = Instant::now();
    let timed = complete(BIM, &["-v"]);
    let whole = started.elapsed().as_secs_f64();
    let (inserted, updated, deleted, _) = timed.class("Generic:PhysicalObject");
    assert!(inserted > 0 && updated > 0 && deleted > 0, "the versions differ in every way: {}", timed.stdout);
    let phases = phases(&timed.stdout);
    assert!(phases.iter().any(|(p, _)| p == "detect deletions"), "no phase timings in\n{}", timed.stdout);
    let until_end: f64 = phases.iter().take_while(|(p, _)| p != "detect deletions").map(|(_, ms)| ms / 1e3).sum();
    let end = whole - until_end;
    println!("an uninterrupted run takes {whole:.2} s, the last {end:.2} s of it after the connector's phases");
    let mut state = 1; // the version of the register the iModel holds

    let mut checker = IntegrityChecker::start();
    let mut digest = snapshot::digest(&at(BIM));
    let (mut killed, mut before, mut after, mut completed) = (0, 0, 0, 0);
    while killed < kills {
        let target = 1 - state;
        use_version(target);
        copy_imodel(&at(BIM), &at("before-run.bim"));
        // Half over the whole run; half over its end, a little past the measured length (a fifth of the end) since
        // runs vary (a run that ends first is a completed link of the chain).
        let moment = if rng.unit() < 0.5 { rng.unit() * whole } else { whole - end + rng.unit() * end * 1.2 };
        match sync(BIM, &[], Duration::from_secs_f64(moment)) {
            Ok(run) => {
                assert!(run.ok, "a run of the chain failed:\n{}\n{}", run.stdout, run.stderr);
                completed += 1;
                state = target;
                digest = snapshot::digest(&at(BIM));
                continue;
            }
            Err(_) => killed += 1,
        }
        let copy = at(&format!("killed-{killed}.bim"));
        copy_imodel(&at(BIM), &copy);
        let left = snapshot::digest(&copy);
        let outcome = if left == digest {
            before += 1;
            "before"
        } else {
            complete("before-run.bim", &[]);
            assert_eq!(
                snapshot::digest_of_work(&copy),
                snapshot::digest_of_work(&at("before-run.bim")),
                "a run of v{} killed after {moment:.3} s left content from neither before nor after it (seed {seed})",
                target + 1
            );
            after += 1;
            state = target;
            digest = left;
            "after"
        };
        println!("kill {killed}: v{} after {moment:.3} s left the content from {outcome} the run", target + 1);
        checker.check(&copy);
    }

    use_version(1 - state);
    complete(BIM, &[]);
    let again = complete(BIM, &[]);
    let (inserted, updated, deleted, _) = again.totals();
    assert_eq!((inserted, updated, deleted), (0, 0, 0), "{}", again.stdout);
    copy_imodel(&at(BIM), &at("last.bim"));
    checker.check(&at("last.bim"));
    checker.finish();
    println!(
        "{killed} kills (seed {seed}): {before} left the content from before the run, {after} from after it; \
         {completed} runs completed before their kill moment; {:.0} s in all",
        test_started.elapsed().as_secs_f64()
    );
}

/// Two runs started at one moment on one iModel: the briefcase's write lock lets exactly one
/// write, the other fails at once saying the file is locked, and the file holds exactly what the
/// winner wrote.
#[test]
fn two_runs_on_one_imodel_never_both_write() {
    let host = PinnedHost::new();
    let connector = guest("asset_register");
    let dir = tempfile::tempdir().unwrap();
    // Big enough that the winner still holds the file when the loser tries to open it.
    std::fs::write(dir.path().join(SOURCE), register(10_000, 1)).unwrap();
    // The file exists first, so the winner's result can be made again: the same run on a copy.
    let bim = dir.path().join(BIM);
    let created = Command::new(env!("CARGO_BIN_EXE_itwin-host")).arg("new").arg(&bim).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    std::fs::copy(&bim, dir.path().join("untouched.bim")).unwrap();

    let start = Barrier::new(2);
    let runs: Vec<Run> = std::thread::scope(|s| {
        let both: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    host.run_in(dir.path(), &connector, SOURCE, BIM, &[], NO_LIMIT).expect("the run finishes")
                })
            })
            .collect();
        both.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let winners: Vec<&Run> = runs.iter().filter(|r| r.ok).collect();
    let losers: Vec<&Run> = runs.iter().filter(|r| !r.ok).collect();
    assert_eq!(winners.len(), 1, "exactly one run may write:\n{}\n{}", runs[0].stderr, runs[1].stderr);
    assert!(losers[0].stderr.lines().any(|l| l.contains("locked")), "the loser says why:\n{}", losers[0].stderr);
    assert_eq!(winners[0].class("Generic:PhysicalObject").0, 11_000, "{}", winners[0].stdout);

    // The winner's result: the same run alone on a copy of the file from before.
    let alone = host.run_in(dir.path(), &connector, SOURCE, "untouched.bim", &[], NO_LIMIT).unwrap();
    assert!(alone.ok, "{}", alone.stderr);
    let untouched = dir.path().join("untouched.bim");
    assert_eq!(snapshot::digest_of_work(&bim), snapshot::digest_of_work(&untouched), "the file is not the winner's");
    let copy = dir.path().join("checked.bim");
    copy_imodel(&bim, &copy);
    let mut checker = IntegrityChecker::start();
    checker.check(&copy);
    checker.finish();
}
