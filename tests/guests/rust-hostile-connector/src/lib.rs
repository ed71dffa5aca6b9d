//! Hostile connector for itwin-host's containment tests (`tests/e2e/containment.rs`).
//!
//! Its source file chooses one attack on another job in the same iModel (the victim), with the
//! victim's ids, which the test reads from the file beforehand: reading them through the
//! synchronizer is itself an attack the host refuses. Every attack is attempted for real, so what
//! stops it is the host; each attempt is reported on one log line
//! `ATTACK <attack>[/<step>] -> <outcome>` (grammar in README.md), and an attempt that went
//! through leaves a visible trace in the iModel where it can.

use std::cell::RefCell;
use std::time::Duration;

use serde_json::{json, Value};

wit_bindgen::generate!({
    world: "connector-world",
    path: "../../../wit",
});

use exports::itwin::connector::connector::Guest;
use itwin::connector::host::{self, LogLevel};
use itwin::connector::synchronizer as sync;
use itwin::connector::types::{CodeScope, ConnectorInfo, DeletionMode, SourceDocument, SourceItem, SyncError};

const DEFAULT_NAME: &str = "Hostile";
const PARTITION: &str = "Hostile";
const DEFINITION_PARTITION: &str = "HostileDefs";
const CATEGORY: &str = "HostileCategory";
const PARTITION_SPEC: &str = "bis:InformationPartitionElement";
const CATEGORY_SPEC: &str = "bis:SpatialCategory";
const ASSEMBLY: &str = "BisCore:PhysicalElementAssemblesElements";
const DICTIONARY_MODEL: &str = "0x10";

/// Attacks made by `job-subject-name`: it returns `target`, another job's or the root subject's
/// name. They differ only in the name the connector gives itself (`name` in the source).
const JOB_SUBJECT_ATTACKS: [&str; 3] = ["adopt-subject", "adopt-subject-same-name", "root-subject"];

/// Attacks made in `update-existing-data`, after the connector has written a few elements of its own.
const DATA_ATTACKS: [&str; 22] = [
    "squat-future-subject",
    "reparent-out",
    "case-keys",
    "foreign-model",
    "cycle-self",
    "cycle-pair",
    "update-victim",
    "delete-victim",
    "nav-into-victim",
    "relationship-into-victim",
    "squat-code",
    "squat-code-spec",
    "repository-code",
    "read-victim",
    "read-bim",
    "sleep",
    "escape-output",
    "chatty",
    "big-label",
    "big-batch",
    "huge-label",
    "json-forms",
];

/// Made in `update-existing-data` too, but listed apart: it changes the run's source units.
const NON_FINITE: &str = "non-finite";

/// Made in `open-source-data`, so that an unmapping run (which never reaches
/// `update-existing-data`) repeats it.
const STEAL_DOCUMENT: &str = "steal-document";

/// The parsed source.
struct Source {
    attack: String,
    /// The name or file name the attack aims at (see README.md).
    target: Option<String>,
    /// The victim's ids and names, as the test read them from the file.
    victim: serde_json::Map<String, Value>,
}

impl Source {
    fn parse(text: &str) -> Result<Source, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("the source is not JSON: {e}"))?;
        let attack = value["attack"].as_str().ok_or("the source needs a string \"attack\"")?.to_owned();
        let known = JOB_SUBJECT_ATTACKS.contains(&attack.as_str())
            || DATA_ATTACKS.contains(&attack.as_str())
            || attack == NON_FINITE
            || attack == STEAL_DOCUMENT;
        if !known {
            return Err(format!("unknown attack \"{attack}\""));
        }
        let target = match &value["target"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => return Err(format!("\"target\" must be a string, not {other}")),
        };
        if target.is_none() && (JOB_SUBJECT_ATTACKS.contains(&attack.as_str()) || attack == "read-bim") {
            return Err(format!("attack \"{attack}\" needs a \"target\""));
        }
        let victim = match &value["victim"] {
            Value::Null => serde_json::Map::new(),
            Value::Object(map) => map.clone(),
            other => return Err(format!("\"victim\" must be an object, not {other}")),
        };
        Ok(Source { attack, target, victim })
    }

    /// A victim id or name the attack needs; a source without it is a broken test.
    fn victim(&self, key: &str) -> Result<String, String> {
        self.victim
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("attack \"{}\" needs \"victim\": {{\"{key}\": …}}", self.attack))
    }

    fn target(&self) -> String {
        self.target.clone().expect("checked by parse")
    }
}

thread_local! {
    static SOURCE: RefCell<Option<Source>> = const { RefCell::new(None) };
}

fn with_source<T>(f: impl FnOnce(&Source) -> Result<T, String>) -> Result<T, String> {
    SOURCE.with(|s| match &*s.borrow() {
        Some(source) => f(source),
        None => Err("open-source-data has not run in this instance".into()),
    })
}

fn log(level: LogLevel, message: &str) {
    host::log(level, message);
}

/// `<variant>: <message>`, the variant by its WIT name.
fn describe(err: &SyncError) -> String {
    let (kind, message) = match err {
        SyncError::InvalidProps(m) => ("invalid-props", m),
        SyncError::UnknownClass(m) => ("unknown-class", m),
        SyncError::OutOfScope(m) => ("out-of-scope", m),
        SyncError::DuplicateCode(m) => ("duplicate-code", m),
        SyncError::NotFound(m) => ("not-found", m),
        SyncError::WrongClass(m) => ("wrong-class", m),
        SyncError::HostFailure(m) => ("host-failure", m),
    };
    format!("{kind}: {message}")
}

/// The one line the test reads. Info level: a connector's error-level line would look like the
/// host's own `error:` line, which the escape-output attack is about.
fn report(attack: &str, outcome: &str) {
    log(LogLevel::Info, &format!("ATTACK {attack} -> {outcome}"));
}

/// Reports a synchronizer call; `Ok` is the attack going through, `detail` says what it got.
fn report_call<T>(attack: &str, result: &Result<T, SyncError>, detail: impl FnOnce(&T) -> String) -> bool {
    match result {
        Ok(value) => {
            report(attack, &format!("allowed ({})", detail(value)));
            true
        }
        Err(e) => {
            report(attack, &format!("refused {}", describe(e)));
            false
        }
    }
}

/// A setup call the attack depends on: its refusal fails the job, naming the call.
fn setup<T>(what: &str, result: Result<T, SyncError>) -> Result<T, String> {
    result.map_err(|e| format!("setup {what}: {}", describe(&e)))
}

/// The connector's own models, created by `initialize-job` and found by code afterwards.
struct Own {
    model: String,
    category: String,
}

fn own() -> Result<Own, String> {
    let subject = sync::job_subject();
    let find = |spec: &str, scope: &str, value: &str| {
        setup(&format!("find {value}"), sync::find_element_by_code(spec, scope, value))?
            .ok_or_else(|| format!("setup: {value} not found"))
    };
    let model = find(PARTITION_SPEC, &subject, PARTITION)?;
    let definitions = find(PARTITION_SPEC, &subject, DEFINITION_PARTITION)?;
    let category = find(CATEGORY_SPEC, &definitions, CATEGORY)?;
    Ok(Own { model, category })
}

/// ElementProps of a Generic:PhysicalObject in the connector's own model and category.
fn physical_object(own: &Own, label: &str) -> Value {
    json!({
        "classFullName": "Generic:PhysicalObject",
        "model": own.model,
        "category": own.category,
        "userLabel": label,
        "placement": { "origin": [0.0, 0.0, 0.0] },
    })
}

/// An element of the connector's own, the base of most attacks.
fn insert_own(own: &Own, label: &str) -> Result<String, String> {
    setup(&format!("insert {label}"), sync::insert_element(&physical_object(own, label).to_string()))
}

/// An attack that read something it must not see: its trace is an element carrying what it read.
fn leave_trace(own: &Own, what: &str) {
    let label: String = format!("LEAKED: {what}").chars().take(200).collect();
    let written = sync::insert_element(&physical_object(own, &label).to_string());
    if let Err(e) = written {
        log(LogLevel::Warn, &format!("the trace of a leak was refused: {}", describe(&e)));
    }
}

fn parent(id: &str) -> Value {
    json!({ "id": id, "relClassName": ASSEMBLY })
}

fn initialize() -> Result<(), String> {
    let subject = sync::job_subject();
    let partition = |class: &str, model_class: &str, value: &str| -> Result<String, String> {
        let props = json!({
            "classFullName": class,
            "model": "0x1",
            "parent": { "id": subject, "relClassName": "BisCore:SubjectOwnsPartitionElements" },
            "code": { "spec": PARTITION_SPEC, "scope": subject, "value": value },
        });
        let id = setup("insert partition", sync::insert_element(&props.to_string()))?;
        let model = json!({ "classFullName": model_class, "modeledElement": { "id": id } });
        setup("insert model", sync::insert_model(&model.to_string()))
    };
    partition("BisCore:PhysicalPartition", "BisCore:PhysicalModel", PARTITION)?;
    let definitions = partition("BisCore:DefinitionPartition", "BisCore:DefinitionModel", DEFINITION_PARTITION)?;
    let category = json!({
        "classFullName": "BisCore:SpatialCategory",
        "model": definitions,
        "code": { "spec": CATEGORY_SPEC, "scope": definitions, "value": CATEGORY },
    });
    setup("insert category", sync::insert_element(&category.to_string()))?;
    Ok(())
}

/// The attacks of `update-existing-data`.
fn data_attack(source: &Source) -> Result<(), String> {
    let own = own()?;
    let attack = source.attack.as_str();
    match attack {
        "squat-future-subject" => {
            // A Subject coded like the subject a future job will look for, under this job's subject.
            let props = json!({
                "classFullName": "BisCore:Subject",
                "model": "0x1",
                "parent": { "id": sync::job_subject(), "relClassName": "BisCore:SubjectOwnsSubjects" },
                "code": { "spec": "bis:Subject", "scope": "0x1", "value": source.victim("futureSubject")? },
            });
            report_call(attack, &sync::insert_element(&props.to_string()), |id| format!("inserted {id}"));
        }
        "reparent-out" => {
            let mine = insert_own(&own, "reparented")?;
            let props = json!({ "id": mine, "parent": parent(&source.victim("element")?) });
            report_call(attack, &sync::update_element(&props.to_string()), |_| format!("{mine} moved"));
        }
        "case-keys" => {
            // Keys the writer resolves case-insensitively, spelled so an exact-match check misses them.
            let mut props = physical_object(&own, "case-keys Model");
            let object = props.as_object_mut().expect("object");
            object.remove("model");
            object.insert("Model".into(), json!(source.victim("model")?));
            let inserted = sync::insert_element(&props.to_string());
            report_call(&format!("{attack}/insert-Model"), &inserted, |id| format!("inserted {id}"));

            let mut props = physical_object(&own, "case-keys Parent");
            props["Parent"] = parent(&source.victim("element")?);
            let inserted = sync::insert_element(&props.to_string());
            report_call(&format!("{attack}/insert-Parent"), &inserted, |id| format!("inserted {id}"));

            let mine = insert_own(&own, "case-keys update")?;
            let props = json!({ "id": mine, "Parent": parent(&source.victim("element")?) });
            report_call(&format!("{attack}/update-Parent"), &sync::update_element(&props.to_string()), |_| {
                format!("{mine} moved")
            });
        }
        "foreign-model" => {
            let mine = insert_own(&own, "foreign-model parent")?;
            let mut props = physical_object(&own, "in the victim's model");
            props["model"] = json!(source.victim("model")?);
            props["parent"] = parent(&mine);
            let inserted = sync::insert_element(&props.to_string());
            report_call(&format!("{attack}/victim-model"), &inserted, |id| format!("inserted {id}"));

            // A definition in the dictionary, parented by a definition of this job.
            let props = json!({
                "classFullName": "BisCore:SpatialCategory",
                "model": DICTIONARY_MODEL,
                "parent": { "id": own.category, "relClassName": "BisCore:ElementOwnsChildElements" },
                "code": { "spec": CATEGORY_SPEC, "scope": DICTIONARY_MODEL, "value": "Hostile in the dictionary" },
            });
            let inserted = sync::insert_element(&props.to_string());
            report_call(&format!("{attack}/dictionary"), &inserted, |id| format!("inserted {id}"));
        }
        "cycle-self" => {
            let a = insert_own(&own, "cycle A")?;
            let props = json!({ "id": a, "parent": parent(&a) });
            report_call(attack, &sync::update_element(&props.to_string()), |_| format!("{a} is its own parent"));
        }
        "cycle-pair" => {
            let a = insert_own(&own, "cycle A")?;
            let b = insert_own(&own, "cycle B")?;
            // A under B is an ordinary assembly; B under A then closes the cycle.
            setup("A under B", sync::update_element(&json!({ "id": a, "parent": parent(&b) }).to_string()))?;
            let closing = sync::update_element(&json!({ "id": b, "parent": parent(&a) }).to_string());
            report_call(attack, &closing, |_| format!("{a} and {b} are each other's parent"));
        }
        "update-victim" => {
            let props = json!({ "id": source.victim("element")?, "userLabel": "HIJACKED" });
            report_call(attack, &sync::update_element(&props.to_string()), |_| "label changed".into());
        }
        "delete-victim" => {
            let victim = source.victim("element")?;
            report_call(attack, &sync::delete_element(&victim), |_| format!("{victim} deleted"));
        }
        "nav-into-victim" => {
            let mut props = physical_object(&own, "in the victim's category");
            props["category"] = json!(source.victim("category")?);
            report_call(attack, &sync::insert_element(&props.to_string()), |id| format!("inserted {id}"));
        }
        "relationship-into-victim" => {
            let mine = insert_own(&own, "relationship source")?;
            let to_element = json!({
                "classFullName": "BisCore:ElementGroupsMembers",
                "sourceId": mine, "targetId": source.victim("element")?, "memberPriority": 0,
            });
            let inserted = sync::insert_relationship(&to_element.to_string());
            report_call(&format!("{attack}/element"), &inserted, |id| format!("inserted {id}"));
            // Another job's document is not one of this job's documents.
            let to_link = json!({
                "classFullName": "BisCore:ElementHasLinks", "sourceId": mine, "targetId": source.victim("link")?,
            });
            let inserted = sync::insert_relationship(&to_link.to_string());
            report_call(&format!("{attack}/document"), &inserted, |id| format!("inserted {id}"));
        }
        "squat-code" => {
            // A tag the victim does not use yet, scoped in the victim's model: its next run with
            // that tag would fail on a duplicate code.
            let mut props = physical_object(&own, "squatting a code");
            props["code"] =
                json!({ "spec": source.victim("codeSpec")?, "scope": source.victim("model")?, "value": "P-999" });
            report_call(attack, &sync::insert_element(&props.to_string()), |id| format!("inserted {id}"));
        }
        "squat-code-spec" => {
            let existing = source.victim("codeSpec")?;
            let taken = sync::ensure_code_spec(&existing, CodeScope::Model);
            report_call(&format!("{attack}/existing"), &taken, |id| format!("{existing} is {id}"));
            // A name in the victim's namespace that the victim has not created (yet).
            let prefix = existing.split(':').next().unwrap_or_default();
            let future = format!("{prefix}:Future");
            let created = sync::ensure_code_spec(&future, CodeScope::Model);
            report_call(&format!("{attack}/new"), &created, |id| format!("{future} is {id}"));
        }
        "repository-code" => {
            // The code a future RepositoryLink of that docid would need.
            let mut props = physical_object(&own, "squatting a repository code");
            props["code"] = json!({ "spec": "bis:LinkElement", "scope": "0x1", "value": "future-register" });
            report_call(attack, &sync::insert_element(&props.to_string()), |id| format!("inserted {id}"));
        }
        "read-victim" => read_victim(source, &own)?,
        "read-bim" => read_bim(&source.target(), &own),
        "sleep" => {
            std::thread::sleep(Duration::from_secs(45));
            report(attack, "allowed (slept 45 s)");
        }
        "escape-output" => {
            // Escape sequences (colour, clear screen, window title) and lines that look like the
            // host's own, on stdout, stderr and through host.log.
            println!("\x1b[31mred\x1b[0m\x1b[2J\nerror: forged by the connector on stdout\nhint: forged on stdout");
            eprintln!("\x1b]0;title\x07\nerror: forged by the connector on stderr");
            log(LogLevel::Warn, "\x1b[1A\x1b[2K\rerror: forged through host.log\nhint: forged through host.log");
            report(attack, "allowed (escapes and forged lines sent)");
        }
        "chatty" => {
            // 3 MiB of stdout, then an ordinary write: a chatty connector is not a hostile one.
            let line = "x".repeat(1023);
            for _ in 0..3 * 1024 {
                println!("{line}");
            }
            let id = insert_own(&own, "written after 3 MiB of stdout")?;
            report(attack, &format!("allowed (printed 3 MiB, then inserted {id})"));
        }
        "big-label" | "huge-label" => {
            // 40 MiB: over the props limit, refused; 120 MiB: over what a call may carry at all.
            let label = "x".repeat(if attack == "big-label" { 40 << 20 } else { 120 << 20 });
            let props = physical_object(&own, &label).to_string();
            drop(label);
            report_call(attack, &sync::insert_element(&props), |id| format!("inserted {id}"));
        }
        "big-batch" => {
            // Five items of 15 MiB each: every one under the props limit, 75 MiB together.
            let label = "x".repeat(15 << 20);
            let props = physical_object(&own, &label).to_string();
            drop(label);
            let items: Vec<(SourceItem, String)> = (0..5)
                .map(|i| {
                    let item = SourceItem {
                        id: format!("big-{i}"),
                        kind: None,
                        scope: None,
                        version: Some("1".into()),
                        checksum: None,
                    };
                    (item, props.clone())
                })
                .collect();
            drop(props);
            let results = sync::update_imodel_batch(&items);
            let first = results.into_iter().next().unwrap_or(Ok(String::new()));
            report_call(attack, &first, |id| format!("inserted {id}"));
        }
        "json-forms" => json_forms(source, &own)?,
        other => unreachable!("{other} is not a data attack"),
    }
    Ok(())
}

fn read_victim(source: &Source, own: &Own) -> Result<(), String> {
    let element = source.victim("element")?;
    let props = sync::element_props(&element);
    if report_call("read-victim/element-props", &props, |p| format!("{} bytes", p.as_deref().unwrap_or("").len())) {
        if let Ok(Some(props)) = &props {
            leave_trace(own, props);
        }
    }

    let (spec, model, value) = (source.victim("codeSpec")?, source.victim("model")?, source.victim("codeValue")?);
    match sync::find_element_by_code(&spec, &model, &value) {
        Ok(Some(id)) => {
            report("read-victim/find-element-by-code", &format!("allowed (found {id})"));
            leave_trace(own, &format!("{value} is {id}"));
        }
        Ok(None) => report("read-victim/find-element-by-code", "not found"),
        Err(e) => report("read-victim/find-element-by-code", &format!("refused {}", describe(&e))),
    }

    let group = source.victim("group")?;
    let found = sync::find_relationships("BisCore:ElementGroupsMembers", &group);
    if report_call("read-victim/find-relationships", &found, |rows| format!("{} relationships", rows.len())) {
        leave_trace(own, &format!("{} members of {group}", found.map(|r| r.len()).unwrap_or(0)));
    }
    Ok(())
}

/// Reads the iModel being written (and its WAL) through the source mount, then lists the mount.
fn read_bim(bim: &str, own: &Own) {
    for name in [bim.to_owned(), format!("{bim}-wal")] {
        let path = format!("/source/{name}");
        match std::fs::read(&path) {
            Ok(bytes) => {
                report(&format!("read-bim/{name}"), &format!("allowed ({} bytes)", bytes.len()));
                leave_trace(own, &format!("{path}: {} bytes", bytes.len()));
            }
            Err(e) => report(&format!("read-bim/{name}"), &format!("blocked {}: {path}: {e}", io_kind(&e))),
        }
    }
    let listing = std::fs::read_dir("/source").map(|entries| {
        let mut names: Vec<String> =
            entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    });
    match listing {
        Ok(names) if names.iter().any(|n| n == bim || n.starts_with(&format!("{bim}-"))) => {
            report("read-bim/list", &format!("allowed (/source lists {})", names.join(", ")));
            leave_trace(own, &format!("/source lists {}", names.join(", ")));
        }
        Ok(names) => report("read-bim/list", &format!("blocked only-source: /source lists {}", names.join(", "))),
        Err(e) => report("read-bim/list", &format!("blocked {}: /source: {e}", io_kind(&e))),
    }
}

fn io_kind(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not-found",
        std::io::ErrorKind::PermissionDenied => "permission-denied",
        _ => "other",
    }
}

/// Coordinates that cannot be stored: a literal beyond f64 (JSON has no infinity), and a finite
/// value that the source units scale beyond f64.
fn non_finite(own: &Own) -> Result<(), String> {
    let props = format!(
        r#"{{"classFullName":"Generic:PhysicalObject","model":"{}","category":"{}","userLabel":"origin 1e309","placement":{{"origin":[1e309,0,0]}}}}"#,
        own.model, own.category
    );
    report_call("non-finite/1e309", &sync::insert_element(&props), |id| format!("inserted {id}"));

    setup("set-source-units 1000", sync::set_source_units(1000.0))?;
    let mut props = physical_object(own, "origin 1e308 km");
    props["placement"]["origin"] = json!([1e308, 0.0, 0.0]);
    report_call("non-finite/units", &sync::insert_element(&props.to_string()), |id| format!("inserted {id}"));
    Ok(())
}

/// The JSON forms of the batch calls (WIT 0.1.2) are judged as the typed calls are.
fn json_forms(source: &Source, own: &Own) -> Result<(), String> {
    let mut props = physical_object(own, "in the victim's model, by JSON");
    props["model"] = json!(source.victim("model")?);
    let batch = json!([{ "item": { "id": "json-1", "version": "1" }, "element": props }]).to_string();
    match sync::update_imodel_json(batch.as_bytes()) {
        Ok(answers) => match serde_json::from_str::<Value>(&answers).map_err(|e| e.to_string())?[0].clone() {
            Value::Object(answer) if answer.contains_key("error") => {
                let error = &answer["error"];
                let (kind, message) = (error["kind"].as_str().unwrap_or("?"), error["message"].as_str().unwrap_or("?"));
                report("json-forms/victim-model", &format!("refused {kind}: {message}"));
            }
            other => report("json-forms/victim-model", &format!("allowed ({other})")),
        },
        Err(e) => report("json-forms/victim-model", &format!("refused {}", describe(&e))),
    }
    let answer = sync::detect_changes_json(br#"[{"id": 1}]"#);
    report_call("json-forms/not-items", &answer, |a| format!("answered {a}"));
    // 70 MiB: over the 64 MiB a batch may carry, under what a call may carry at all.
    let big =
        format!("[{{\"item\": {{\"id\": \"big\"}}, \"element\": {{\"userLabel\": \"{}\"}}}}]", "x".repeat(70 << 20));
    report_call("json-forms/big-batch", &sync::update_imodel_json(big.as_bytes()), |a| format!("answered {a}"));
    drop(big);
    let ids: Vec<String> = (0..100_001).map(|i| format!("0x{i:x}")).collect();
    let ids = serde_json::to_string(&ids).map_err(|e| e.to_string())?;
    report_call("json-forms/many-ids", &sync::on_elements_seen_json(ids.as_bytes()), |_| "marked".into());
    // Checksums are a service, not an attack; 17 MiB is over what one call may take.
    let outcome = |sums: Result<String, String>| {
        sums.map_or_else(|e| format!("refused error: {e}"), |h| format!("allowed ({h})"))
    };
    report("json-forms/checksums", &outcome(host::checksums_json(br#"[{}]"#)));
    let big = serde_json::to_string(&["x".repeat(17 << 20)]).map_err(|e| e.to_string())?;
    report("json-forms/big-checksums", &outcome(host::checksums_json(big.as_bytes())));
    Ok(())
}

/// The name from the job's connector args, else from the source (read through the host, which
/// knows the source before `open-source-data`), else the default.
fn configured_name() -> String {
    let from_args = serde_json::from_str::<Value>(&host::connector_args())
        .ok()
        .and_then(|args| args["name"].as_str().map(str::to_owned));
    let from_source = || {
        let size = host::source_size().ok()?;
        let bytes = host::read_source(0, u32::try_from(size).ok()?).ok()?;
        serde_json::from_slice::<Value>(&bytes).ok()?["name"].as_str().map(str::to_owned)
    };
    from_args.or_else(from_source).unwrap_or_else(|| DEFAULT_NAME.to_owned())
}

struct HostileConnector;

impl Guest for HostileConnector {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            name: configured_name(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "itwin-host's hostile test connector: one attack on another job, chosen by its source"
                .to_string(),
            deletion: DeletionMode::Channel,
        }
    }

    fn open_source_data(path: String) -> Result<(), String> {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
        let source = Source::parse(&text)?;
        if source.attack == STEAL_DOCUMENT {
            let docid = source.victim("docid")?;
            let recorded = sync::record_document(&SourceDocument {
                docid: docid.clone(),
                description: Some("stolen by a hostile connector".into()),
                last_modified: Some("stolen".into()),
                checksum: None,
                url: Some("file:///stolen".into()),
            });
            report_call(STEAL_DOCUMENT, &recorded, |r| {
                format!("link {}, source {}", r.repository_link, r.external_source)
            });
        }
        SOURCE.with(|s| *s.borrow_mut() = Some(source));
        Ok(())
    }

    fn import_domain_schema() -> Result<(), String> {
        Ok(())
    }

    fn import_dynamic_schema() -> Result<(), String> {
        Ok(())
    }

    fn job_subject_name(_source: String) -> Option<String> {
        SOURCE.with(|s| {
            let source = s.borrow();
            let source = source.as_ref()?;
            JOB_SUBJECT_ATTACKS.contains(&source.attack.as_str()).then(|| source.target())
        })
    }

    fn initialize_job() -> Result<(), String> {
        initialize()
    }

    fn import_definitions() -> Result<(), String> {
        with_source(|source| {
            if JOB_SUBJECT_ATTACKS.contains(&source.attack.as_str()) {
                // The host let the run go on with a job subject that is not this job's.
                report(&source.attack, &format!("allowed (job subject {})", sync::job_subject()));
            }
            Ok(())
        })
    }

    fn update_existing_data() -> Result<(), String> {
        with_source(|source| {
            let attack = source.attack.as_str();
            if JOB_SUBJECT_ATTACKS.contains(&attack) {
                // The trace of an adopted subject: the victim's element, relabelled.
                let props = json!({ "id": source.victim("element")?, "userLabel": format!("HIJACKED by {attack}") });
                if let Err(e) = sync::update_element(&props.to_string()) {
                    log(LogLevel::Warn, &format!("the trace of {attack} was refused: {}", describe(&e)));
                }
                Ok(())
            } else if attack == NON_FINITE {
                non_finite(&own()?)
            } else if DATA_ATTACKS.contains(&attack) {
                data_attack(source)
            } else {
                Ok(())
            }
        })
    }

    fn unmap_source(_job_subject_name: String) -> Result<(), String> {
        Ok(())
    }
}

export!(HostileConnector);
