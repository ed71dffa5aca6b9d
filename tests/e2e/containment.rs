//! Containment: a hostile connector (tests/guests/rust-hostile-connector) attacks another job in
//! the same iModel — one attack per run, each on a fresh copy of an iModel the example connector
//! wrote — and the test checks what the host did: the attack ended as designed, the victim's rows
//! are byte-identical, iTwin.js finds the file's integrity clean, the victim's next run changes
//! nothing and the victim can still be unmapped. It then writes docs/containment.md from what it
//! observed, so the table is never written by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::run::{guest, PinnedHost, Run};
use itwin_test_support::snapshot;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};

const BIM: &str = "site.bim";
/// The root subject's name: the iModel's file stem.
const ROOT_SUBJECT: &str = "site";
const VICTIM_SOURCE: &str = "site.json";
const ATTACK_SOURCE: &str = "attack.json";
const VICTIM_CONNECTOR: &str = "AssetRegister";
/// The victim's job subject: runs are made from inside the attack's folder with relative paths,
/// so this name (and every message naming it) is the same wherever the folder is.
const VICTIM_SUBJECT: &str = "AssetRegister:site.json";
const VICTIM_DOCID: &str = "site-register-7";
/// A source of a job that has not run yet, for the subject-squatting attack.
const FUTURE_SOURCE: &str = "future.json";
/// Any run taking longer is taken for a hang and killed (the sleep attack's deadline is 3 s).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Attacks the host does not contain yet, each with an issue to fix it: their failures are shown
/// as "open" instead of failing the test. One that holds fails the test until it is taken off
/// the list. Empty: every attack the suite makes is contained.
const KNOWN_OPEN: &[&str] = &[];

/// What one attempt of an attack (one `ATTACK <step> -> <outcome>` line) must end in.
#[derive(Clone, Copy)]
enum Want {
    /// Refused with this `sync-error` variant.
    Refused(&'static str),
    /// Answered "none", or refused with this variant.
    NoneOrRefused(&'static str),
    /// Denied by the sandbox with this kind of I/O error (as the connector names it).
    Blocked(&'static str),
    /// Not hostile in itself: it must go through.
    Allowed,
}

impl Want {
    fn accepts(self, outcome: &str) -> bool {
        match self {
            Want::Refused(variant) => outcome.starts_with(&format!("refused {variant}:")),
            Want::NoneOrRefused(variant) => {
                outcome == "not found" || outcome.starts_with(&format!("refused {variant}:"))
            }
            Want::Blocked(kind) => outcome.starts_with(&format!("blocked {kind}:")),
            Want::Allowed => outcome.starts_with("allowed"),
        }
    }

    fn describe(self) -> String {
        match self {
            Want::Refused(variant) => format!("refused `{variant}`"),
            Want::NoneOrRefused(variant) => format!("none, or refused `{variant}`"),
            Want::Blocked(kind) => format!("blocked (`{kind}`)"),
            Want::Allowed => "goes through".into(),
        }
    }
}

/// How the attacker's job must end.
#[derive(Clone, Copy)]
enum JobEnd {
    Succeeds,
    /// Fails with one `error:` line containing each of these.
    Fails(&'static [&'static str]),
    /// The connector goes on after a refusal, so the job succeeds; a host that fails the job
    /// after refusing is accepted if it says so in one `error:` line. Every attempt must be reported.
    GoesOn,
    /// The attempts are refused, or the job fails in one `error:` line before they return.
    RefusedOrFails,
}

struct Attack {
    name: &'static str,
    /// What the attack goes for, as the issue groups them.
    class: &'static str,
    /// The attempts the connector reports, in order.
    steps: &'static [(&'static str, Want)],
    job: JobEnd,
    flags: &'static [&'static str],
    /// What else is checked for this attack, for the table.
    also: &'static str,
}

const JOB: &str = "job identity";
const SCOPE: &str = "scope";
const DOCUMENTS: &str = "documents";
const CODES: &str = "codes";
const READS: &str = "reads";
/// Limits and output of the runtime.
const RUNTIME: &str = "runtime";

const OUT: Want = Want::Refused("out-of-scope");
const INVALID: Want = Want::Refused("invalid-props");
const GOES_ON: JobEnd = JobEnd::GoesOn;

const ATTACKS: &[Attack] = &[
    Attack {
        name: "adopt-subject",
        class: JOB,
        steps: &[],
        job: JobEnd::Fails(&["job subject", "belongs to connector"]),
        flags: &[],
        also: "`job-subject-name` returns the victim's subject name",
    },
    Attack {
        name: "adopt-subject-same-name",
        class: JOB,
        steps: &[],
        job: JobEnd::Fails(&["job subject", "source"]),
        flags: &[],
        also: "connector named `AssetRegister`, `job-subject-name` returns the victim's subject name",
    },
    Attack {
        name: "root-subject",
        class: JOB,
        steps: &[],
        job: JobEnd::Fails(&["root subject"]),
        flags: &[],
        also: "`job-subject-name` returns the root subject's name",
    },
    Attack {
        name: "squat-future-subject",
        class: JOB,
        steps: &[("squat-future-subject", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "then the first run of that job gets its own subject under the root",
    },
    Attack { name: "reparent-out", class: SCOPE, steps: &[("reparent-out", OUT)], job: GOES_ON, flags: &[], also: "" },
    Attack {
        name: "case-keys",
        class: SCOPE,
        steps: &[("case-keys/insert-Model", OUT), ("case-keys/insert-Parent", OUT), ("case-keys/update-Parent", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "foreign-model",
        class: SCOPE,
        steps: &[("foreign-model/victim-model", OUT), ("foreign-model/dictionary", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "cycle-self",
        class: SCOPE,
        steps: &[("cycle-self", INVALID)],
        job: GOES_ON,
        flags: &[],
        also: "the run finishes",
    },
    Attack {
        name: "cycle-pair",
        class: SCOPE,
        steps: &[("cycle-pair", INVALID)],
        job: GOES_ON,
        flags: &[],
        also: "the run finishes",
    },
    Attack {
        name: "update-victim",
        class: SCOPE,
        steps: &[("update-victim", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "delete-victim",
        class: SCOPE,
        steps: &[("delete-victim", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "nav-into-victim",
        class: SCOPE,
        steps: &[("nav-into-victim", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "relationship-into-victim",
        class: SCOPE,
        steps: &[("relationship-into-victim/element", OUT), ("relationship-into-victim/document", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "steal-document",
        class: DOCUMENTS,
        steps: &[("steal-document", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "then the victim's run of a changed source sees the change",
    },
    Attack { name: "squat-code", class: CODES, steps: &[("squat-code", OUT)], job: GOES_ON, flags: &[], also: "" },
    Attack {
        name: "squat-code-spec",
        class: CODES,
        steps: &[("squat-code-spec/existing", OUT), ("squat-code-spec/new", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "repository-code",
        class: CODES,
        steps: &[("repository-code", OUT)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "read-victim",
        class: READS,
        steps: &[
            ("read-victim/element-props", OUT),
            ("read-victim/find-element-by-code", Want::NoneOrRefused("out-of-scope")),
            ("read-victim/find-relationships", OUT),
        ],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
    Attack {
        name: "read-bim",
        class: READS,
        steps: &[
            ("read-bim/site.bim", Want::Blocked("not-found")),
            ("read-bim/site.bim-wal", Want::Blocked("not-found")),
            ("read-bim/list", Want::Blocked("only-source")),
        ],
        job: GOES_ON,
        flags: &[],
        also: "the output .bim is in the source's folder",
    },
    Attack {
        name: "sleep",
        class: RUNTIME,
        steps: &[],
        job: JobEnd::Fails(&["deadline"]),
        flags: &["--timeout", "3"],
        also: "a WASI sleep of 45 s under `--timeout 3`; the run ends within 10 s",
    },
    Attack {
        name: "escape-output",
        class: RUNTIME,
        steps: &[("escape-output", Want::Allowed)],
        job: JobEnd::Succeeds,
        flags: &[],
        also: "",
    },
    Attack {
        name: "chatty",
        class: RUNTIME,
        steps: &[("chatty", Want::Allowed)],
        job: JobEnd::Succeeds,
        flags: &[],
        also: "3 MiB of stdout, then an ordinary write",
    },
    Attack {
        name: "big-label",
        class: RUNTIME,
        steps: &[("big-label", INVALID)],
        job: JobEnd::RefusedOrFails,
        flags: &[],
        also: "a 40 MiB userLabel; no label over 1 MiB is committed",
    },
    Attack {
        name: "huge-label",
        class: RUNTIME,
        steps: &[],
        job: JobEnd::Fails(&["a call sent more than 80 MiB"]),
        flags: &[],
        also: "a 120 MiB userLabel, more than a host call may carry: wasmtime stops copying it, the job stops",
    },
    Attack {
        name: "big-batch",
        class: RUNTIME,
        steps: &[("big-batch", INVALID)],
        job: GOES_ON,
        flags: &[],
        also: "an update-imodel-batch of five 15 MiB items (75 MiB, over the 64 MiB a batch may carry)",
    },
    Attack {
        name: "json-forms",
        class: RUNTIME,
        steps: &[
            ("json-forms/victim-model", OUT),
            ("json-forms/not-items", INVALID),
            ("json-forms/big-batch", INVALID),
            ("json-forms/many-ids", INVALID),
            ("json-forms/checksums", Want::Allowed),
            ("json-forms/big-checksums", Want::Refused("error")),
        ],
        job: GOES_ON,
        flags: &[],
        also: "the JSON forms of WIT 0.1.2: a write into the victim's model, text that is not source items, a 70 MiB batch, 100,001 ids, checksums of 17 MiB",
    },
    Attack {
        name: "non-finite",
        class: RUNTIME,
        steps: &[("non-finite/1e309", INVALID), ("non-finite/units", INVALID)],
        job: GOES_ON,
        flags: &[],
        also: "",
    },
];

/// Hostile acts tested elsewhere: (act, file, test), each test checked to exist in its file.
const TESTED_ELSEWHERE: &[(&str, &str, &str)] = &[
    (
        "read-outside, write-source, socket, env",
        "tests/e2e/connector.rs",
        "the_sandbox_stops_hostile_connectors_and_nothing_is_written",
    ),
    (
        "loop (`--timeout`), memory (`--memory-limit`)",
        "tests/e2e/connector.rs",
        "the_sandbox_stops_hostile_connectors_and_nothing_is_written",
    ),
    (
        "out-of-scope writes at the root",
        "tests/e2e/connector.rs",
        "the_sandbox_stops_hostile_connectors_and_nothing_is_written",
    ),
    ("stdout / stderr", "tests/e2e/connector.rs", "guest_output_goes_to_the_log"),
    (
        "failing or trapping in any phase",
        "tests/e2e/connector.rs",
        "a_failure_in_any_phase_leaves_the_imodel_as_it_was",
    ),
    ("SIGKILL during a run", "tests/e2e/connector.rs", "a_killed_run_loses_nothing_that_was_committed"),
    ("a core start function that loops", "crates/runtime/src/lib.rs", "a_looping_start_function_stops_at_the_deadline"),
    ("compiling past the deadline", "tests/e2e/connector.rs", "compiling_counts_against_the_deadline"),
    ("compiling beyond its memory bound", "tests/e2e/connector.rs", "compiling_is_bounded_in_memory"),
    (
        "a component over the size limit",
        "crates/runtime/src/lib.rs",
        "components_over_the_size_limit_are_refused_before_compiling",
    ),
    ("eight linear memories under one limit", "crates/runtime/src/limiter.rs", "eight_memories_share_one_budget"),
    ("growing tables", "crates/runtime/src/limiter.rs", "tables_count_against_the_same_budget"),
    ("props over the size limit", "crates/runtime/src/state.rs", "props_over_the_limit_are_invalid_props_not_a_trap"),
    (
        "batches over the length or size limit",
        "crates/runtime/src/state.rs",
        "long_or_large_batches_are_refused_with_a_reason",
    ),
    (
        "marking scattered ids of no element seen (host memory)",
        "crates/sync/src/scope_tests.rs",
        "marking_ids_of_no_element_seen_keeps_nothing",
    ),
    ("a failed snapshot run", "tests/e2e/connector.rs", "a_failed_snapshot_run_keeps_the_previous_snapshot"),
    ("two runs on one iModel", "tests/e2e/connector.rs", "a_second_run_on_one_imodel_fails_at_once_or_waits"),
    (
        "parent cycles made by another writer",
        "crates/sync/src/scope_tests.rs",
        "a_parent_cycle_is_refused_and_walks_over_a_cycle_made_elsewhere_end",
    ),
];

fn data(name: &str) -> PathBuf {
    itwin_test_support::repo_root().join("guest-examples/rust-asset-register/data").join(name)
}

fn hex(id: i64) -> String {
    format!("{id:#x}")
}

fn open(bim: &Path) -> Connection {
    Connection::open_with_flags(bim, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn element_by_code(conn: &Connection, value: &str) -> Option<i64> {
    conn.query_row("SELECT Id FROM bis_Element WHERE CodeValue = ?1", [value], |r| r.get(0)).optional().unwrap()
}

/// The table and column ECDb stores a class's property in (`Repository.Id`…).
fn column_of(conn: &Connection, class: &str, access: &str) -> (String, String) {
    conn.query_row(
        "SELECT t.Name, col.Name FROM ec_PropertyMap pm JOIN ec_PropertyPath pp ON pp.Id = pm.PropertyPathId \
         JOIN ec_Column col ON col.Id = pm.ColumnId JOIN ec_Table t ON t.Id = col.TableId \
         JOIN ec_Class cl ON cl.Id = pm.ClassId WHERE cl.Name = ?1 AND pp.AccessString = ?2",
        [class, access],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

/// The victim's ids and names, read from the file (reading them through the synchronizer is
/// itself an attack), passed to the hostile connector in its source.
struct Victim {
    subject: i64,
    link: i64,
    external_source: i64,
    element: i64,
    model: i64,
    category: i64,
    group: i64,
    code_spec: String,
    code_value: String,
}

impl Victim {
    fn read(bim: &Path) -> Victim {
        let conn = open(bim);
        let subject = element_by_code(&conn, VICTIM_SUBJECT).expect("victim job subject");
        let link = element_by_code(&conn, VICTIM_DOCID).expect("victim repository link");
        let (table, column) = column_of(&conn, "ExternalSource", "Repository.Id");
        let external_source = conn
            .query_row(&format!("SELECT ElementId FROM [{table}] WHERE [{column}] = ?1"), [link], |r| r.get(0))
            .unwrap();
        let tracked = |kind: &str| -> i64 {
            let (table, kind_column) = column_of(&conn, "ExternalSourceAspect", "Kind");
            let (_, scope_column) = column_of(&conn, "ExternalSourceAspect", "Scope.Id");
            conn.query_row(
                &format!(
                    "SELECT ElementId FROM [{table}] WHERE [{kind_column}] = ?1 AND [{scope_column}] = ?2 \
                     ORDER BY ElementId LIMIT 1"
                ),
                rusqlite::params![kind, subject],
                |r| r.get(0),
            )
            .unwrap()
        };
        let (element, group) = (tracked("Asset"), tracked("Group"));
        let (model, code_spec, code_value): (i64, String, String) = conn
            .query_row(
                "SELECT e.ModelId, s.Name, e.CodeValue FROM bis_Element e JOIN bis_CodeSpec s ON s.Id = e.CodeSpecId \
                 WHERE e.Id = ?1",
                [element],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let category = conn
            .query_row("SELECT CategoryId FROM bis_GeometricElement3d WHERE ElementId = ?1", [element], |r| r.get(0))
            .unwrap();
        Victim { subject, link, external_source, element, model, category, group, code_spec, code_value }
    }

    fn json(&self) -> Value {
        json!({
            "subject": hex(self.subject), "link": hex(self.link), "element": hex(self.element),
            "model": hex(self.model), "category": hex(self.category), "group": hex(self.group),
            "codeSpec": self.code_spec, "codeValue": self.code_value, "docid": VICTIM_DOCID,
            "futureSubject": format!("{VICTIM_CONNECTOR}:{FUTURE_SOURCE}"),
        })
    }

    /// Every row of the victim as text, in a fixed order: the elements under its job subject
    /// (by parent and by model) and its RepositoryLink and ExternalSource, then, table by table,
    /// every row that is one of them or points at one of them (joined class tables, aspects,
    /// models, navigation properties, link-table relationships), then the code specs its
    /// elements use or its connector's name prefixes. A row of anyone else that starts pointing
    /// into the victim changes this text too.
    fn rows(&self, bim: &Path) -> String {
        let conn = open(bim);
        let seeds = [self.subject, self.link, self.external_source].map(|id| format!("({id})")).join(",");
        let ids: Vec<i64> = conn
            .prepare(&format!(
                "WITH RECURSIVE tree(id) AS (VALUES {seeds} UNION \
                 SELECT e.Id FROM bis_Element e JOIN tree t ON e.ParentId = t.id OR e.ModelId = t.id) \
                 SELECT id FROM tree ORDER BY id"
            ))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let tables: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut out = format!("## elements {list}\n");
        for table in tables {
            let columns: Vec<String> = conn
                .prepare(&format!("PRAGMA table_info([{table}])"))
                .unwrap()
                .query_map([], |r| r.get(1))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut keys: Vec<String> = conn
                .prepare(&format!("PRAGMA foreign_key_list([{table}])"))
                .unwrap()
                .query_map([], |r| Ok((r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
                .unwrap()
                .map(Result::unwrap)
                .filter(|(to, _)| to == "bis_Element" || to == "bis_Model")
                .map(|(_, from)| from)
                .collect();
            if table == "bis_Element" || table == "bis_Model" {
                keys.push("Id".into());
            }
            // Link tables carry no foreign keys.
            keys.extend(
                ["SourceId", "TargetId"].into_iter().filter(|c| columns.iter().any(|k| k == c)).map(String::from),
            );
            keys.sort();
            keys.dedup();
            if keys.is_empty() {
                continue;
            }
            let condition = keys.iter().map(|k| format!("[{k}] IN ({list})")).collect::<Vec<_>>().join(" OR ");
            let _ = writeln!(out, "## {table}");
            dump(&conn, &format!("SELECT * FROM [{table}] WHERE {condition} ORDER BY 1"), &mut out);
        }
        out.push_str("## bis_CodeSpec\n");
        dump(
            &conn,
            &format!(
                "SELECT * FROM bis_CodeSpec WHERE Id IN (SELECT CodeSpecId FROM bis_Element WHERE Id IN ({list})) \
                 OR Name LIKE '{VICTIM_CONNECTOR}:%' ORDER BY Id"
            ),
            &mut out,
        );
        out
    }
}

fn dump(conn: &Connection, sql: &str, out: &mut String) {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let values: Vec<rusqlite::types::Value> = (0..n).map(|i| row.get(i).unwrap()).collect();
        let _ = writeln!(out, "{values:?}");
    }
}

/// The tables whose lines differ between two dumps (the rows themselves carry timestamps).
fn changed_tables(before: &str, after: &str) -> String {
    let sections = |text: &str| -> Vec<(String, String)> {
        text.split("## ")
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (name, rows) = s.split_once('\n').unwrap_or((s, ""));
                (name.split(' ').next().unwrap_or(name).to_owned(), rows.to_owned())
            })
            .collect()
    };
    let (before, after) = (sections(before), sections(after));
    let mut names: Vec<String> = before.iter().chain(&after).map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| {
            let of = |v: &Vec<(String, String)>| v.iter().find(|(m, _)| m == n).map(|(_, r)| r.clone());
            of(&before) != of(&after)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hostile connector's source for `attack`.
fn attack_source(attack: &Attack, victim: &Victim) -> Value {
    let mut source = json!({ "attack": attack.name, "victim": victim.json() });
    match attack.name {
        "adopt-subject" => source["target"] = json!(VICTIM_SUBJECT),
        "adopt-subject-same-name" => {
            source["target"] = json!(VICTIM_SUBJECT);
            source["name"] = json!(VICTIM_CONNECTOR);
        }
        "root-subject" => source["target"] = json!(ROOT_SUBJECT),
        "read-bim" => source["target"] = json!(BIM),
        _ => {}
    }
    source
}

/// `ATTACK <step> -> <outcome>` lines of the log, in order.
fn attempts(stderr: &str) -> Vec<(String, String)> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find("ATTACK ")? + "ATTACK ".len()..];
            let (step, outcome) = rest.split_once(" -> ")?;
            Some((step.to_owned(), outcome.to_owned()))
        })
        .collect()
}

/// Why a run failed, in one line: its last `error:` line.
fn error_line(run: &Run) -> String {
    error_lines(&run.stderr).last().copied().unwrap_or("(no error line)").to_owned()
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

/// What happened to one attack.
struct Report {
    /// (step, expected, observed) rows of the table.
    rows: Vec<[String; 3]>,
    /// Checks that failed.
    problems: Vec<String>,
    /// Files for the iTwin.js integrity checks, with what they are.
    files: Vec<(PathBuf, &'static str)>,
    _dir: tempfile::TempDir,
}

/// Runs a connector in `dir`; a run that does not finish is a problem, not a panic, so one hang
/// does not hide the other attacks' results.
fn run(
    host: &PinnedHost,
    dir: &Path,
    connector: &str,
    source: &str,
    extra: &[&str],
    problems: &mut Vec<String>,
    what: &str,
) -> Option<Run> {
    match host.run_in(dir, &guest(connector), source, BIM, extra, RUN_LIMIT) {
        Ok(run) => Some(run),
        Err(stderr) => {
            let last = stderr.lines().last().unwrap_or_default().to_owned();
            problems.push(format!("{what} did not finish within {} s (last line: {last})", RUN_LIMIT.as_secs()));
            None
        }
    }
}

fn attack(host: &PinnedHost, attack: &Attack, template: &Path, victim: &Victim) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    std::fs::copy(template.join(VICTIM_SOURCE), here.join(VICTIM_SOURCE)).unwrap();
    std::fs::copy(template.join(BIM), here.join(BIM)).unwrap();
    let bim = here.join(BIM);
    let before = victim.rows(&bim);
    // A job that must fail must leave the whole file as it was, not only the victim's rows.
    let file_before = matches!(attack.job, JobEnd::Fails(_)).then(|| snapshot::content(&bim));
    std::fs::write(here.join(ATTACK_SOURCE), attack_source(attack, victim).to_string()).unwrap();
    let mut problems = Vec::new();
    let mut rows = Vec::new();

    let started = Instant::now();
    let attacked = run(host, here, "rust_hostile_connector", ATTACK_SOURCE, attack.flags, &mut problems, "the attack");
    let took = started.elapsed();
    let (ok, stderr) = match &attacked {
        Some(r) => (Some(r.ok), r.stderr.clone()),
        None => (None, String::new()),
    };
    // The host's own lines may name the folder; the table must not.
    let local = |text: &str| text.replace(&here.display().to_string(), "<dir>");
    let errors = error_lines(&stderr);
    let failure = match (ok, errors.as_slice()) {
        (Some(false), [line]) => Some(local(line)),
        (Some(false), lines) => {
            problems.push(format!("the attack's run failed with {} `error:` lines, not one", lines.len()));
            Some(local(lines.last().copied().unwrap_or("(no error line)")))
        }
        _ => None,
    };
    match (attack.job, ok) {
        (JobEnd::Succeeds, Some(false)) => problems.push("the attack's job failed".into()),
        (JobEnd::Fails(words), Some(true)) => {
            problems.push(format!("the attack's job succeeded (expected a failure naming {words:?})"))
        }
        (JobEnd::Fails(words), Some(false)) => {
            let line = failure.clone().unwrap_or_default();
            if let Some(word) = words.iter().find(|w| !line.contains(*w)) {
                problems.push(format!("the job's error line does not say `{word}`"));
            }
        }
        _ => {}
    }

    let seen = attempts(&stderr);
    for (step, want) in attack.steps {
        let observed = seen.iter().find(|(s, _)| s == step).map(|(_, o)| local(o));
        match &observed {
            Some(outcome) if !want.accepts(outcome) => problems.push(format!("{step}: {outcome}")),
            None if !matches!((attack.job, ok), (JobEnd::RefusedOrFails, Some(false))) => {
                problems.push(format!("{step}: the connector did not report it"))
            }
            _ => {}
        }
        let observed = match (observed, &failure) {
            (Some(o), _) => o,
            (None, Some(f)) => format!("(not reached) job failed: {f}"),
            (None, None) => "(not reported)".into(),
        };
        rows.push([step.to_string(), want.describe(), observed]);
    }
    // An attempt that went through and is not meant to is a failure, whatever the steps say.
    for (step, outcome) in &seen {
        let meant = attack.steps.iter().any(|(s, w)| s == step && matches!(w, Want::Allowed));
        if outcome.starts_with("allowed") && !meant && !problems.iter().any(|p| p.starts_with(step.as_str())) {
            problems.push(format!("{step}: {}", local(outcome)));
        }
    }
    if attack.steps.is_empty() {
        let expected = match attack.job {
            JobEnd::Fails(words) => {
                format!("job fails: {}", words.iter().map(|w| format!("“{w}”")).collect::<Vec<_>>().join(", "))
            }
            _ => "job succeeds".into(),
        };
        let observed = match (&failure, ok) {
            (Some(f), _) => f.clone(),
            (None, Some(true)) => {
                let allowed: Vec<String> = seen.iter().map(|(s, o)| format!("{s} -> {o}")).collect();
                format!("job succeeded; {}", allowed.join("; "))
            }
            _ => "killed".into(),
        };
        rows.push([attack.name.to_string(), expected, observed]);
    }

    match attack.name {
        "sleep" if attacked.is_some() && took > Duration::from_secs(10) => {
            problems.push("the run took more than 10 s".into())
        }
        "escape-output" => {
            let escapes = stderr.bytes().filter(|&b| b == 0x1b).count();
            let forged: Vec<&str> =
                stderr.lines().filter(|l| l.starts_with("error:") || l.starts_with("hint:")).collect();
            if escapes > 0 || !forged.is_empty() {
                problems.push(format!("the host's stderr has {escapes} ESC bytes and forged lines {forged:?}"));
            }
            rows.push([
                "escape-output (host stderr)".into(),
                "no ESC byte, no line starting `error:`/`hint:`".into(),
                format!("{escapes} ESC bytes, {} lines starting `error:`/`hint:`", forged.len()),
            ]);
        }
        "big-label" | "big-batch" | "huge-label" => {
            let longest: Option<i64> =
                open(&bim).query_row("SELECT max(length(UserLabel)) FROM bis_Element", [], |r| r.get(0)).unwrap();
            if longest.unwrap_or(0) > 1 << 20 {
                problems.push(format!("a userLabel of {} bytes was committed", longest.unwrap_or(0)));
            }
        }
        _ => {}
    }

    if ok == Some(false) && file_before.is_some_and(|content| content != snapshot::content(&bim)) {
        problems.push("the failed job changed the file".into());
    }
    let after = victim.rows(&bim);
    if after != before {
        problems.push(format!("the attack changed the victim's rows in {}", changed_tables(&before, &after)));
    }
    let attacked_copy = here.join("after-attack.bim");
    std::fs::copy(&bim, &attacked_copy).unwrap();

    // Before the attacker's unmap, which would take a squatted subject along.
    if attack.name == "squat-future-subject" {
        std::fs::copy(data("site-b.json"), here.join(FUTURE_SOURCE)).unwrap();
        match run(host, here, "asset_register", FUTURE_SOURCE, &[], &mut problems, "the future job's first run") {
            Some(r) if !r.ok => problems.push(format!("the future job's first run failed: {}", local(&error_line(&r)))),
            Some(_) => {
                let name = format!("{VICTIM_CONNECTOR}:{FUTURE_SOURCE}");
                let parent: Option<i64> = open(&bim)
                    .query_row("SELECT ParentId FROM bis_Element WHERE CodeValue = ?1", [&name], |r| r.get(0))
                    .unwrap();
                if parent != Some(1) {
                    problems.push(format!("the future job's subject has parent {parent:?}, not the root subject"));
                }
            }
            None => {}
        }
    }

    // Unmapping the attacker must take only what is its own (a stolen document stays the victim's).
    if ok == Some(true) {
        match run(
            host,
            here,
            "rust_hostile_connector",
            ATTACK_SOURCE,
            &["--unmap"],
            &mut problems,
            "the attacker's unmap",
        ) {
            Some(r) if !r.ok => problems.push(format!("the attacker's unmap failed: {}", local(&error_line(&r)))),
            Some(_) if victim.rows(&bim) != before => problems.push(format!(
                "unmapping the attacker changed the victim's rows in {}",
                changed_tables(&before, &victim.rows(&bim))
            )),
            _ => {}
        }
    }

    match run(host, here, "asset_register", VICTIM_SOURCE, &[], &mut problems, "the victim's next run") {
        Some(r) if !r.ok => problems.push(format!("the victim's next run failed: {}", local(&error_line(&r)))),
        Some(r) if r.totals().0 + r.totals().1 + r.totals().2 != 0 => {
            problems.push(format!("the victim's next run wrote something: {:?}", r.totals()))
        }
        _ => {}
    }

    if attack.name == "steal-document" {
        std::fs::copy(data("site-v2.json"), here.join(VICTIM_SOURCE)).unwrap();
        match run(host, here, "asset_register", VICTIM_SOURCE, &[], &mut problems, "the victim's run of v2") {
            Some(r) if !r.ok => problems.push(format!("the victim's run of v2 failed: {}", local(&error_line(&r)))),
            // As in tests/e2e/connector.rs: A-0010 new; A-0003, A-0001 and its motor changed; A-0007
            // and a part deleted; six unchanged.
            Some(r) if r.class("Generic:PhysicalObject") != (1, 3, 2, 6) => problems.push(format!(
                "the victim's run of v2 did not see the change: {:?}",
                r.class("Generic:PhysicalObject")
            )),
            _ => {}
        }
    }

    match run(host, here, "asset_register", VICTIM_SOURCE, &["--unmap"], &mut problems, "the victim's unmap") {
        Some(r) if !r.ok => problems.push(format!("the victim's unmap failed: {}", local(&error_line(&r)))),
        Some(_) => {
            let conn = open(&bim);
            for (what, code) in [("job subject", VICTIM_SUBJECT), ("RepositoryLink", VICTIM_DOCID)] {
                if element_by_code(&conn, code).is_some() {
                    problems.push(format!("the victim's {what} is still there after its unmap"));
                }
            }
        }
        None => {}
    }
    let unmapped_copy = here.join("after-unmap.bim");
    std::fs::copy(&bim, &unmapped_copy).unwrap();

    Report {
        rows,
        problems,
        files: vec![(attacked_copy, "after the attack"), (unmapped_copy, "after the victim's unmap")],
        _dir: dir,
    }
}

/// Runs tests/compat/check-integrity.js on all files at once (one iTwin.js startup) and returns
/// each file's failed checks.
fn integrity(files: &[&Path]) -> Vec<Vec<String>> {
    let dir = itwin_test_support::compat::compat_dir();
    assert!(
        dir.join("node_modules/@itwin/core-backend").is_dir(),
        "the iTwin.js packages are not installed: run `npm ci --legacy-peer-deps` in tests/compat"
    );
    let output = Command::new("node")
        .arg(dir.join("check-integrity.js"))
        .args(files)
        .current_dir(&dir)
        .output()
        .expect("node is on PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results: Vec<Vec<String>> = files
        .iter()
        .map(|file| {
            let prefix = format!("FAIL {}: ", file.display());
            stdout.lines().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_owned).collect()
        })
        .collect();
    for (file, failed) in files.iter().zip(&results) {
        let ok = stdout.lines().any(|l| l == format!("ok {}", file.display()));
        assert!(
            ok || !failed.is_empty(),
            "check-integrity.js said nothing of {}:\n{stdout}\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    results
}

fn cell(text: &str) -> String {
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let text =
        if text.chars().count() > 300 { format!("{}…", text.chars().take(300).collect::<String>()) } else { text };
    text.replace('|', "\\|")
}

fn write_doc(reports: &[(&Attack, Report)]) -> String {
    let mut doc = String::from(
        "# Containment\n\n\
         Generated by `cargo test --test containment` from the runs it just made; do not edit by hand.\n\n\
         Each attack is made by `tests/guests/rust-hostile-connector` (one attack per run, chosen by its source) \
         against a victim job in the same iModel: the example connector (`asset_register.wasm`) on \
         `guest-examples/rust-asset-register/data/site-v1.json`. Every attack starts from a fresh copy of that \
         iModel, and after it the test checks, besides the attack's own outcome below:\n\n\
         - the victim's rows (every row of its job subject's tree, its RepositoryLink and ExternalSource, every row \
         pointing at them, its code specs) are byte-identical, also after the attacker's unmap;\n\
         - iTwin.js opens the file and its ECDb integrity checks and `foreign_key_check` are clean, after the \
         attack and after the victim's unmap;\n\
         - the victim's next run of the same source writes nothing (0 inserted, updated, deleted);\n\
         - the victim can be unmapped, and its job subject and RepositoryLink are then gone;\n\
         - an attack whose job must fail leaves every row of every table as it was.\n\n\
         Verdicts: **holds** (every check passed), **open** (failed, but a known open attack: \
         `KNOWN_OPEN` in tests/e2e/containment.rs), **FAILS** (failed; the test fails). Class `runtime`: the \
         runtime's limits and output.\n\n",
    );
    let known: Vec<String> = KNOWN_OPEN.iter().map(|a| format!("`{a}`")).collect();
    let _ = writeln!(doc, "Known open: {}.\n", if known.is_empty() { "none".into() } else { known.join(", ") });
    doc.push_str("| class | attack | expected | observed | verdict |\n|---|---|---|---|---|\n");
    for (attack, report) in reports {
        let verdict = match (report.problems.is_empty(), KNOWN_OPEN.contains(&attack.name)) {
            (true, _) => "holds",
            (false, true) => "open",
            (false, false) => "**FAILS**",
        };
        // What else is checked is said once, on the attack's first row.
        for (i, [step, expected, observed]) in report.rows.iter().enumerate() {
            let expected = match i {
                0 if !attack.also.is_empty() => format!("{expected}; {}", attack.also),
                _ => expected.clone(),
            };
            let _ =
                writeln!(doc, "| {} | `{step}` | {} | {} | {verdict} |", attack.class, cell(&expected), cell(observed));
        }
    }
    let failing: Vec<&(&Attack, Report)> = reports.iter().filter(|(_, r)| !r.problems.is_empty()).collect();
    if !failing.is_empty() {
        doc.push_str("\n## Failed checks\n\n");
        for (attack, report) in failing {
            let _ = writeln!(doc, "- `{}`:", attack.name);
            for problem in &report.problems {
                let _ = writeln!(doc, "  - {}", cell(problem));
            }
        }
    }
    doc.push_str("\n## Tested elsewhere in the suite\n\n| hostile act | test |\n|---|---|\n");
    for (act, file, test) in TESTED_ELSEWHERE {
        let _ = writeln!(doc, "| {act} | `{file}`: `{test}` |");
    }
    doc
}

#[test]
fn a_hostile_connector_cannot_reach_another_job() {
    for (_, file, test) in TESTED_ELSEWHERE {
        let text = std::fs::read_to_string(itwin_test_support::repo_root().join(file)).unwrap();
        assert!(text.contains(&format!("fn {test}()")), "{file} has no test {test}");
    }

    let host = PinnedHost::new();
    // The victim, written once; every attack gets a copy (same relative paths, same ids).
    let template = tempfile::tempdir().unwrap();
    std::fs::copy(data("site-v1.json"), template.path().join(VICTIM_SOURCE)).unwrap();
    let first =
        host.run_in(template.path(), &guest("asset_register"), VICTIM_SOURCE, BIM, &[], RUN_LIMIT).expect("finishes");
    assert!(first.ok, "{}\n{}", first.stdout, first.stderr);
    let victim = Victim::read(&template.path().join(BIM));

    // The harness sees a change of the victim: its own run of v2 changes its rows.
    let control = tempfile::tempdir().unwrap();
    std::fs::copy(template.path().join(BIM), control.path().join(BIM)).unwrap();
    std::fs::copy(data("site-v2.json"), control.path().join(VICTIM_SOURCE)).unwrap();
    let before = victim.rows(&control.path().join(BIM));
    let v2 =
        host.run_in(control.path(), &guest("asset_register"), VICTIM_SOURCE, BIM, &[], RUN_LIMIT).expect("finishes");
    assert!(v2.ok, "{}", v2.stderr);
    assert_ne!(victim.rows(&control.path().join(BIM)), before, "the victim's dump misses its own changes");

    let mut reports: Vec<(&Attack, Report)> =
        ATTACKS.iter().map(|a| (a, attack(&host, a, template.path(), &victim))).collect();

    let files: Vec<&Path> = reports.iter().flat_map(|(_, r)| r.files.iter().map(|(f, _)| f.as_path())).collect();
    let checked = integrity(&files);
    let mut checked = checked.into_iter();
    for (_, report) in &mut reports {
        for (_, what) in report.files.clone() {
            for failure in checked.next().expect("one result per file") {
                report.problems.push(format!("iTwin.js integrity {what}: {failure}"));
            }
        }
    }

    let doc = write_doc(&reports);
    std::fs::write(itwin_test_support::repo_root().join("docs/containment.md"), &doc).unwrap();

    let mut failed = Vec::new();
    for (attack, report) in &reports {
        let open = KNOWN_OPEN.contains(&attack.name);
        if report.problems.is_empty() && open {
            failed.push(format!("{} holds now: take it off KNOWN_OPEN", attack.name));
        } else if !report.problems.is_empty() && !open {
            failed.push(format!("{}: {}", attack.name, report.problems.join("; ")));
        }
    }
    assert!(failed.is_empty(), "attacks not contained (see docs/containment.md):\n{}", failed.join("\n"));
}
