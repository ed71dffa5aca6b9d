//! Test connector for itwin-host's integration tests.
//!
//! Everything it does beyond a fixed, minimal synchronisation is driven by its source file (a
//! small JSON document, see README.md): which lifecycle phase fails and how, and which hostile
//! act (reading outside the sandbox, writing the source, sockets, environment, endless loop,
//! endless allocation, writes outside the job's scope, printing) it attempts. Hostile acts are
//! attempted for real, so that what stops them is the host's sandbox, not this crate.

use std::cell::RefCell;

use serde_json::{json, Value};

wit_bindgen::generate!({
    world: "connector-world",
    path: "../../../wit",
});

use exports::itwin::connector::connector::Guest;
use itwin::connector::host::{self, LogLevel};
use itwin::connector::synchronizer as sync;
use itwin::connector::types::{ConnectorInfo, DeletionMode, ItemState, SourceDocument, SourceItem, SyncError};

/// The connector's name: a constant, as `info` is called before `open-source-data`.
const NAME: &str = "TestConnector";

const PARTITION: &str = "Test";
const DEFINITION_PARTITION: &str = "TestDefs";
const CATEGORY: &str = "TestCategory";
const PARTITION_SPEC: &str = "bis:InformationPartitionElement";
const CATEGORY_SPEC: &str = "bis:SpatialCategory";
const ROOT_SUBJECT: &str = "0x1";
const REPOSITORY_MODEL: &str = "0x1";

/// The lifecycle phases that return a `result`, by their WIT names.
const PHASES: [&str; 7] = [
    "open-source-data",
    "import-domain-schema",
    "import-dynamic-schema",
    "initialize-job",
    "import-definitions",
    "update-existing-data",
    "unmap-source",
];

const FAIL_HOWS: [&str; 3] = ["error", "trap", "after-write"];

const HOSTILE_ACTS: [&str; 11] = [
    "read-outside",
    "write-source",
    "socket",
    "env",
    "loop",
    "memory",
    "out-of-scope",
    "stdout",
    // Containment acts (runtime).
    "sleep",
    "chatty",
    "escape",
];

/// One item of the source.
struct Item {
    id: String,
    version: Option<String>,
    checksum: Option<String>,
    label: String,
    /// Placement origin, in the source's unit.
    origin: [f64; 3],
    /// GeometryStreamProps, in the source's unit.
    geom: Option<Value>,
}

/// The source file, parsed.
struct Source {
    docid: String,
    revision: String,
    /// Metres per source unit, declared with `set-source-units` when given.
    units: Option<f64>,
    /// Read each written element back and fail unless its origin is the one sent.
    check_read_back: bool,
    items: Vec<Item>,
    /// `(phase, how)`.
    fail: Option<(String, String)>,
    /// `(act, phase)`.
    hostile: Option<(String, String)>,
}

/// Ids found or created this run.
#[derive(Default)]
struct Ids {
    physical_model: Option<String>,
    definition_model: Option<String>,
    category: Option<String>,
}

#[derive(Default)]
struct State {
    source: Option<Source>,
    ids: Ids,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn log(level: LogLevel, message: &str) {
    host::log(level, &format!("{NAME}: {message}"));
}

/// One line for a refusal of the synchronizer: `<variant>: <message>`.
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

fn opt_string(value: &Value, key: &str) -> Result<Option<String>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("source: \"{key}\" must be a string, not {other}")),
    }
}

fn parse_source(text: &str) -> Result<Source, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("source is not valid JSON: {e}"))?;
    if !root.is_object() {
        return Err("source must be a JSON object".to_string());
    }
    let docid = opt_string(&root, "docid")?.unwrap_or_else(|| "test-doc".to_string());
    let revision = opt_string(&root, "revision")?.unwrap_or_else(|| "1".to_string());

    let mut items = Vec::new();
    match root.get("items") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (index, entry) in list.iter().enumerate() {
                let id = opt_string(entry, "id")?
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| format!("source: items[{index}] needs a non-empty \"id\""))?;
                let label = opt_string(entry, "label")?.unwrap_or_else(|| id.clone());
                let origin = match entry.get("origin") {
                    None | Some(Value::Null) => [0.0; 3],
                    Some(value) => {
                        point(value).ok_or_else(|| format!("source: items[{index}].origin must be [x, y, z]"))?
                    }
                };
                let geom = match entry.get("geom") {
                    None | Some(Value::Null) => None,
                    Some(value @ Value::Array(_)) => Some(value.clone()),
                    Some(other) => return Err(format!("source: items[{index}].geom must be an array, not {other}")),
                };
                items.push(Item {
                    version: opt_string(entry, "version")?,
                    checksum: opt_string(entry, "checksum")?,
                    label,
                    id,
                    origin,
                    geom,
                });
            }
        }
        Some(other) => return Err(format!("source: \"items\" must be an array, not {other}")),
    }

    let fail = match root.get("fail") {
        None | Some(Value::Null) => None,
        Some(fail) => {
            let phase = opt_string(fail, "phase")?.ok_or_else(|| "source: \"fail\" needs a \"phase\"".to_string())?;
            if !PHASES.contains(&phase.as_str()) {
                return Err(format!("source: unknown fail.phase \"{phase}\""));
            }
            let how = opt_string(fail, "how")?.unwrap_or_else(|| "error".to_string());
            if !FAIL_HOWS.contains(&how.as_str()) {
                return Err(format!("source: unknown fail.how \"{how}\""));
            }
            Some((phase, how))
        }
    };

    let hostile = match opt_string(&root, "hostile")? {
        None => None,
        Some(act) => {
            if !HOSTILE_ACTS.contains(&act.as_str()) {
                return Err(format!("source: unknown hostile act \"{act}\""));
            }
            let phase = opt_string(&root, "hostilePhase")?.unwrap_or_else(|| "update-existing-data".to_string());
            if !PHASES.contains(&phase.as_str()) {
                return Err(format!("source: unknown hostilePhase \"{phase}\""));
            }
            Some((act, phase))
        }
    };

    let units = match root.get("units") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_f64().ok_or_else(|| format!("source: \"units\" must be a number, not {value}"))?),
    };
    let check_read_back = match root.get("checkReadBack") {
        None | Some(Value::Null) => false,
        Some(value) => {
            value.as_bool().ok_or_else(|| format!("source: \"checkReadBack\" must be true or false, not {value}"))?
        }
    };

    Ok(Source { docid, revision, units, check_read_back, items, fail, hostile })
}

/// The source through `host.source-size` and `host.read-source`, in small pieces so that offsets
/// and the file's end are exercised; the caller compares it with what WASI read.
fn read_via_host() -> Result<Vec<u8>, String> {
    let size = host::source_size().map_err(|e| format!("source-size: {e}"))?;
    let mut bytes = Vec::new();
    loop {
        let piece = host::read_source(bytes.len() as u64, 7).map_err(|e| format!("read-source: {e}"))?;
        if piece.is_empty() {
            break;
        }
        bytes.extend(piece);
    }
    if bytes.len() as u64 != size {
        return Err(format!("read-source gave {} bytes, source-size says {size}", bytes.len()));
    }
    if !host::read_source(size + 10, 7).map_err(|e| format!("read-source past the end: {e}"))?.is_empty() {
        return Err("read-source past the end gave bytes".into());
    }
    Ok(bytes)
}

/// `[x, y, z]` as numbers.
fn point(value: &Value) -> Option<[f64; 3]> {
    let items = value.as_array().filter(|a| a.len() == 3)?;
    Some([items[0].as_f64()?, items[1].as_f64()?, items[2].as_f64()?])
}

/// Runs `f` with the parsed source; an error if `open-source-data` has not run in this instance.
fn with_source<T>(f: impl FnOnce(&Source) -> T) -> Result<T, String> {
    STATE.with(|state| {
        let state = state.borrow();
        let source =
            state.source.as_ref().ok_or_else(|| "open-source-data has not run in this instance".to_string())?;
        Ok(f(source))
    })
}

fn fail_how(phase: &str) -> Option<String> {
    with_source(|s| match &s.fail {
        Some((p, how)) if p == phase => Some(how.clone()),
        _ => None,
    })
    .ok()
    .flatten()
}

fn hostile_act(phase: &str) -> Option<String> {
    with_source(|s| match &s.hostile {
        Some((act, p)) if p == phase => Some(act.clone()),
        _ => None,
    })
    .ok()
    .flatten()
}

/// Step 1 of every phase: `fail.how` "error" or "trap" for this phase.
fn fail_early(phase: &str) -> Result<(), String> {
    match fail_how(phase).as_deref() {
        Some("error") => Err(format!("test failure in {phase}")),
        Some("trap") => panic!("test trap in {phase}"),
        _ => Ok(()),
    }
}

/// Last step of every phase: the hostile act of this phase, then `fail.how` "after-write".
fn finish(phase: &str) -> Result<(), String> {
    if let Some(act) = hostile_act(phase) {
        if let Some(outcome) = hostile(&act)? {
            return outcome;
        }
    }
    if fail_how(phase).as_deref() == Some("after-write") {
        return match write_marker("written-before-failure", "written before failure") {
            Ok(id) => {
                log(LogLevel::Info, &format!("wrote {id} before failing in {phase}"));
                Err(format!("test failure in {phase}"))
            }
            Err(refused) => {
                log(LogLevel::Warn, &format!("the write before failing was refused: {refused}"));
                Err(format!("test failure in {phase} (the write before it was refused: {refused})"))
            }
        };
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The job's partitions, models and category.

fn find(spec: &str, scope: &str, value: &str) -> Result<Option<String>, String> {
    sync::find_element_by_code(spec, scope, value)
        .map_err(|e| format!("find-element-by-code({spec}, {scope}, {value}): {}", describe(&e)))
}

/// Looks up the job's ids (a model's id is its partition's); `None` where absent.
fn lookup_ids() -> Result<Ids, String> {
    let known = STATE.with(|s| {
        let s = s.borrow();
        (s.ids.physical_model.clone(), s.ids.definition_model.clone(), s.ids.category.clone())
    });
    if let (Some(physical), Some(definition), Some(category)) = known {
        return Ok(Ids {
            physical_model: Some(physical),
            definition_model: Some(definition),
            category: Some(category),
        });
    }
    let subject = sync::job_subject();
    let physical_model = find(PARTITION_SPEC, &subject, PARTITION)?;
    let definition_model = find(PARTITION_SPEC, &subject, DEFINITION_PARTITION)?;
    let category = match &definition_model {
        Some(model) => find(CATEGORY_SPEC, model, CATEGORY)?,
        None => None,
    };
    let ids = Ids { physical_model, definition_model, category };
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.ids.physical_model = ids.physical_model.clone();
        s.ids.definition_model = ids.definition_model.clone();
        s.ids.category = ids.category.clone();
    });
    Ok(ids)
}

/// The physical model and category, which must exist.
fn model_and_category() -> Result<(String, String), String> {
    let ids = lookup_ids()?;
    match (ids.physical_model, ids.category) {
        (Some(model), Some(category)) => Ok((model, category)),
        _ => Err(format!("partition \"{PARTITION}\" or category \"{CATEGORY}\" not found under the job subject")),
    }
}

fn physical_object(model: &str, category: &str, label: &str, origin: [f64; 3], geom: Option<&Value>) -> String {
    let mut props = json!({
        "classFullName": "Generic:PhysicalObject",
        "model": model,
        "category": category,
        "userLabel": label,
        "placement": { "origin": origin },
    });
    if let Some(geom) = geom {
        props["geom"] = geom.clone();
    }
    props.to_string()
}

fn source_item(id: &str, version: Option<String>, checksum: Option<String>) -> SourceItem {
    SourceItem { id: id.to_string(), kind: Some("Element".to_string()), scope: None, version, checksum }
}

/// A real write through `update-imodel`, for "after-write" and for leaks: a
/// Generic:PhysicalObject in the job's model and category, which must exist.
fn write_marker(item_id: &str, label: &str) -> Result<String, String> {
    let (model, category) = model_and_category()?;
    let props = physical_object(&model, &category, label, [0.0; 3], None);
    sync::update_imodel(&source_item(item_id, Some("1".to_string()), None), &props)
        .map_err(|e| format!("update-imodel {item_id}: {}", describe(&e)))
}

/// A hostile act was not stopped: leave a trace in the iModel (element "leaked", userLabel
/// `label`) and let the phase succeed. If that write is refused, fail with `label` in the error,
/// so the leak shows either way.
fn leaked(label: String) -> Result<Option<Result<(), String>>, String> {
    log(LogLevel::Error, &label);
    match write_marker("leaked", &label) {
        Ok(_) => Ok(Some(Ok(()))),
        Err(refused) => Ok(Some(Err(format!("{label} (the leak element was refused: {refused})")))),
    }
}

fn initialize() -> Result<(), String> {
    let subject = sync::job_subject();
    let partition = |class: &str, value: &str| {
        json!({
            "classFullName": class,
            "model": REPOSITORY_MODEL,
            "parent": { "id": subject, "relClassName": "BisCore:SubjectOwnsPartitionElements" },
            "code": { "spec": PARTITION_SPEC, "scope": subject, "value": value },
        })
        .to_string()
    };
    let model = |class: &str, partition: &str| {
        json!({
            "classFullName": class,
            "modeledElement": { "id": partition, "relClassName": "BisCore:ModelModelsElement" },
        })
        .to_string()
    };
    let insert = |props: String| sync::insert_element(&props).map_err(|e| format!("insert-element: {}", describe(&e)));
    let insert_model =
        |props: String| sync::insert_model(&props).map_err(|e| format!("insert-model: {}", describe(&e)));

    let physical_partition = insert(partition("BisCore:PhysicalPartition", PARTITION))?;
    let physical_model = insert_model(model("BisCore:PhysicalModel", &physical_partition))?;
    let definition_partition = insert(partition("BisCore:DefinitionPartition", DEFINITION_PARTITION))?;
    let definition_model = insert_model(model("BisCore:DefinitionModel", &definition_partition))?;
    let category = insert(
        json!({
            "classFullName": "BisCore:SpatialCategory",
            "model": definition_model,
            "code": { "spec": CATEGORY_SPEC, "scope": definition_model, "value": CATEGORY },
        })
        .to_string(),
    )?;
    log(
        LogLevel::Info,
        &format!("physical model {physical_model}, definition model {definition_model}, category {category}"),
    );
    STATE.with(|s| {
        s.borrow_mut().ids = Ids {
            physical_model: Some(physical_model),
            definition_model: Some(definition_model),
            category: Some(category),
        };
    });
    Ok(())
}

fn update_items() -> Result<(), String> {
    let (model, category) = model_and_category()?;
    let (items, check_read_back) = with_source(|s| {
        let items = s
            .items
            .iter()
            .map(|i| (i.id.clone(), i.version.clone(), i.checksum.clone(), i.label.clone(), i.origin, i.geom.clone()))
            .collect::<Vec<_>>();
        (items, s.check_read_back)
    })?;
    let total = items.len() as u64;
    for (done, (id, version, checksum, label, origin, geom)) in items.into_iter().enumerate() {
        let item = source_item(&id, version, checksum);
        let change = sync::detect_changes(&item).map_err(|e| format!("detect-changes {id}: {}", describe(&e)))?;
        match (change.state, change.element_id) {
            (ItemState::Unchanged, Some(element)) => sync::on_element_seen(&element),
            _ => {
                let props = physical_object(&model, &category, &label, origin, geom.as_ref());
                let element =
                    sync::update_imodel(&item, &props).map_err(|e| format!("update-imodel {id}: {}", describe(&e)))?;
                if check_read_back {
                    read_back(&id, &element, origin)?;
                }
            }
        }
        host::progress(done as u64 + 1, Some(total));
    }
    Ok(())
}

/// `element-props` answers in the connector's unit and frame: the origin is the one sent.
fn read_back(id: &str, element: &str, sent: [f64; 3]) -> Result<(), String> {
    let props = sync::element_props(element)
        .map_err(|e| format!("element-props {element}: {}", describe(&e)))?
        .ok_or_else(|| format!("element-props {element}: no such element"))?;
    let props: Value = serde_json::from_str(&props).map_err(|e| format!("element-props {element}: {e}"))?;
    let read =
        point(&props["placement"]["origin"]).ok_or_else(|| format!("item {id}: no placement origin in {props}"))?;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    if !read.iter().zip(sent).all(|(a, b)| close(*a, b)) {
        return Err(format!("item {id}: sent origin {sent:?}, read back {read:?}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Hostile acts. Each returns `Ok(Some(outcome))` to end the phase with `outcome`, or `Ok(None)`
// to let it go on.

fn hostile(act: &str) -> Result<Option<Result<(), String>>, String> {
    log(LogLevel::Info, &format!("attempting hostile act \"{act}\""));
    match act {
        "read-outside" => {
            let mut errors = Vec::new();
            for path in ["/etc/passwd", "/source/../../etc/passwd"] {
                match std::fs::read(path) {
                    Ok(bytes) => {
                        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(20)]);
                        return leaked(format!("LEAKED:{head}"));
                    }
                    Err(e) => errors.push(format!("{path}: {e}")),
                }
            }
            Ok(Some(Err(format!("read-outside blocked: {}", errors.join("; ")))))
        }
        "write-source" => match std::fs::write("/source/evil.txt", "x") {
            Ok(()) => leaked("LEAKED:write".to_string()),
            Err(e) => Ok(Some(Err(format!("write-source blocked: /source/evil.txt: {e}")))),
        },
        "socket" => match std::net::TcpStream::connect("127.0.0.1:80") {
            Ok(_) => leaked("LEAKED:socket".to_string()),
            Err(e) => Ok(Some(Err(format!("socket blocked: 127.0.0.1:80: {e}")))),
        },
        "env" => Ok(Some(Err(format!(
            "env: {} variables, args: {}",
            std::env::vars_os().count(),
            std::env::args_os().count()
        )))),
        "loop" => endless_loop(),
        "memory" => endless_allocation(),
        "out-of-scope" => Ok(Some(out_of_scope())),
        "stdout" => {
            println!("test-connector stdout 1");
            println!("test-connector stdout 2");
            println!("test-connector stdout 3");
            eprintln!("test-connector stderr 1");
            eprintln!("test-connector stderr 2");
            Ok(None)
        }
        // Containment acts (runtime): a blocking WASI sleep, a flood of output, terminal escapes.
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(45));
            Ok(Some(Err("sleep: woke after 45 s".to_string())))
        }
        "chatty" => {
            let line = "c".repeat(1023);
            for _ in 0..3 * 1024 {
                println!("{line}");
            }
            Ok(None)
        }
        "escape" => {
            println!("\x1b[31mred\x1b[0m");
            println!("error: fake host error\rhint: fake hint");
            eprintln!("escape stderr");
            println!("escape stdout after stderr");
            log(LogLevel::Error, "error: fake\nhint: fake \x1b[2J");
            Ok(None)
        }
        other => Err(format!("unknown hostile act \"{other}\"")),
    }
}

/// Never returns: the host's deadline must stop it.
fn endless_loop() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

/// Never returns normally: the host's memory cap must stop it (a failed `memory.grow` makes the
/// allocator abort, which is a trap).
fn endless_allocation() -> ! {
    const CHUNK: usize = 16 << 20;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for byte in chunk.iter_mut().step_by(4096) {
            *byte = 1;
        }
        chunks.push(std::hint::black_box(chunk));
        std::hint::black_box(&chunks);
    }
}

/// Three writes outside the job's scope; each must be refused as `out-of-scope`.
fn out_of_scope() -> Result<(), String> {
    let insert = sync::insert_element(
        &json!({
            "classFullName": "BisCore:Subject",
            "model": REPOSITORY_MODEL,
            "parent": { "id": ROOT_SUBJECT, "relClassName": "BisCore:SubjectOwnsSubjects" },
            "code": { "spec": "bis:Subject", "scope": ROOT_SUBJECT, "value": "Hijacked" },
        })
        .to_string(),
    )
    .map(|_| ());
    let update = sync::update_element(&json!({ "id": ROOT_SUBJECT, "userLabel": "hijacked" }).to_string());
    let delete = sync::delete_element("0xe");

    let results = [("insert-element", insert), ("update-element", update), ("delete-element", delete)];
    if results.iter().any(|(_, r)| r.is_ok()) {
        let allowed: Vec<&str> = results.iter().filter(|(_, r)| r.is_ok()).map(|(name, _)| *name).collect();
        log(LogLevel::Error, &format!("out-of-scope writes were allowed: {}", allowed.join(", ")));
        return Ok(());
    }
    let all_out_of_scope = results.iter().all(|(_, r)| matches!(r, Err(SyncError::OutOfScope(_))));
    let messages: Vec<String> = results
        .iter()
        .map(|(name, r)| match r {
            Err(e) => format!("{name}: {}", describe(e)),
            Ok(()) => unreachable!(),
        })
        .collect();
    if all_out_of_scope {
        Err(format!("out-of-scope refused: {}", messages.join("; ")))
    } else {
        Err(format!("out-of-scope writes refused with wrong errors: {}", messages.join("; ")))
    }
}

// ---------------------------------------------------------------------------------------------
// The lifecycle.

struct TestConnector;

impl Guest for TestConnector {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            name: NAME.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "itwin-host's test connector, driven by its source file".to_string(),
            deletion: DeletionMode::Channel,
        }
    }

    fn open_source_data(source: String) -> Result<(), String> {
        const PHASE: &str = "open-source-data";
        let text = std::fs::read_to_string(&source).map_err(|e| format!("reading {source}: {e}"))?;
        if read_via_host()? != text.as_bytes() {
            return Err("host.read-source gave other bytes than the sandbox's file".into());
        }
        let parsed = parse_source(&text)?;
        let (docid, revision, units) = (parsed.docid.clone(), parsed.revision.clone(), parsed.units);
        STATE.with(|s| *s.borrow_mut() = State { source: Some(parsed), ids: Ids::default() });
        fail_early(PHASE)?;
        if let Some(metres_per_unit) = units {
            sync::set_source_units(metres_per_unit)
                .map_err(|e| format!("set-source-units {metres_per_unit}: {}", describe(&e)))?;
        }
        let record = sync::record_document(&SourceDocument {
            docid: docid.clone(),
            description: None,
            last_modified: Some(revision),
            checksum: None,
            url: None,
        })
        .map_err(|e| format!("record-document {docid}: {}", describe(&e)))?;
        log(
            LogLevel::Info,
            &format!(
                "document {docid}: {:?}, link {}, source {}",
                record.state, record.repository_link, record.external_source
            ),
        );
        finish(PHASE)
    }

    fn import_domain_schema() -> Result<(), String> {
        const PHASE: &str = "import-domain-schema";
        fail_early(PHASE)?;
        finish(PHASE)
    }

    fn import_dynamic_schema() -> Result<(), String> {
        const PHASE: &str = "import-dynamic-schema";
        fail_early(PHASE)?;
        finish(PHASE)
    }

    fn job_subject_name(_source: String) -> Option<String> {
        None
    }

    fn initialize_job() -> Result<(), String> {
        const PHASE: &str = "initialize-job";
        fail_early(PHASE)?;
        initialize()?;
        finish(PHASE)
    }

    fn import_definitions() -> Result<(), String> {
        const PHASE: &str = "import-definitions";
        fail_early(PHASE)?;
        model_and_category()?;
        finish(PHASE)
    }

    fn update_existing_data() -> Result<(), String> {
        const PHASE: &str = "update-existing-data";
        fail_early(PHASE)?;
        update_items()?;
        finish(PHASE)
    }

    fn unmap_source(job_subject_name: String) -> Result<(), String> {
        const PHASE: &str = "unmap-source";
        log(LogLevel::Info, &format!("unmapping {job_subject_name}"));
        fail_early(PHASE)?;
        finish(PHASE)
    }
}

export!(TestConnector);
