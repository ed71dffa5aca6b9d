//! One connector job, in the phases and order of the iTwin.js connector framework, as a single
//! transaction: any trap, limit, guest error or host error rolls the iModel back, writes
//! `error.json` and reports the connector, the phase and the cause.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use serde_json::{json, Value};
use wasmtime::Store;

use crate::imodel::id64::format as hex;
use crate::imodel::{Briefcase, RootSubject};
use crate::job::{DbType, JobArgs};
use crate::runtime::{
    ConnectorWorld, DeletionMode, GuestOutput, JobObserver, JobState, LogLevel, LogLine, Origin, Runtime, SOURCE_MOUNT,
};
use crate::source_mount::SourceMount;
use crate::sync::{self, Stats, Synchronizer};
use crate::views;

/// The code value of the SynchronizationConfigLink all sources share (as the framework has it).
const SYNCH_CONFIG: &str = "SynchConfig";

/// What a successful job did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub connector: String,
    pub connector_version: String,
    pub job_subject: String,
    pub stats: Stats,
    pub unmapped: bool,
    pub component_origin: Origin,
    pub component_load: Duration,
    pub duration: Duration,
    /// Time spent in each lifecycle call and host step, in order (for `--verbose`).
    pub phases: Vec<(&'static str, Duration)>,
}

/// Why a job failed: one line naming the connector, the phase and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("connector `{connector}` failed in {phase}: {cause}")]
pub struct JobFailure {
    pub connector: String,
    pub phase: String,
    pub cause: String,
}

/// Runs a job. The briefcase is written only if every phase succeeds.
pub fn run(runtime: &Runtime, args: &JobArgs, observer: Box<dyn JobObserver>) -> Result<RunReport, JobFailure> {
    let started = Instant::now();
    let connector_label = args.connector.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let fail = |phase: &str, cause: anyhow::Error| JobFailure {
        connector: connector_label.clone(),
        phase: phase.to_owned(),
        cause: format!("{cause:#}"),
    };
    let bytes = std::fs::read(&args.connector)
        .with_context(|| format!("cannot read {}", args.connector.display()))
        .map_err(|e| fail("load", e))?;
    let loaded = runtime.load(&bytes).map_err(|e| fail("load", e.context("not a connector component")))?;
    let bim = open_briefcase(args).map_err(|e| fail("open iModel", e))?;
    // The sandbox sees the source alone, not the folder it is in (which may hold the iModel).
    let mount = SourceMount::new(&args.source)
        .map_err(|e| fail("open source", anyhow!("cannot mount {} in the sandbox: {e}", args.source.display())))?;
    let (mut store, world, output) = runtime
        .instantiate(&loaded.component, mount.path(), bim, observer, args.limits)
        .map_err(|e| fail("instantiate", e))?;
    store.data_mut().connector_args = args.connector_args.clone();
    store.data_mut().source = Some(args.source.clone());
    let _clock = runtime.start_clock();
    let mut job =
        Job { store, world, output, args, forwarded: 0, connector: connector_label.clone(), phases: Vec::new() };
    match job.phases() {
        Ok(mut report) => {
            let state = job.store.into_data();
            state.bim.close().map_err(|e| fail("close iModel", e.into()))?;
            report.component_origin = loaded.origin;
            report.component_load = loaded.load_time;
            report.duration = started.elapsed();
            Ok(report)
        }
        Err(failure) => {
            let _ = job.forward_output();
            let state = job.store.into_data();
            let mut bim = state.bim;
            let _ = bim.rollback();
            let _ = bim.close();
            if args.db_type == DbType::Snapshot {
                let _ = std::fs::remove_file(&args.output);
            }
            write_error_file(&args.error_file, &failure);
            Err(failure)
        }
    }
}

fn open_briefcase(args: &JobArgs) -> Result<Briefcase> {
    let root = RootSubject::named(
        &args.output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "iModel".into()),
    );
    let mut bim = match args.db_type {
        DbType::Snapshot => {
            // A snapshot is always a fresh file: every document is new, nothing is deleted.
            if args.output.exists() {
                std::fs::remove_file(&args.output)
                    .with_context(|| format!("cannot replace {}", args.output.display()))?;
            }
            Briefcase::create(&args.output, &root)?
        }
        DbType::Standalone if args.output.exists() => Briefcase::open(&args.output)?,
        DbType::Standalone => Briefcase::create(&args.output, &root)?,
    };
    bim.begin()?;
    Ok(bim)
}

/// The framework's error file: `{id, message, description, extendedData}`.
fn write_error_file(path: &Path, failure: &JobFailure) {
    let body = json!({
        "id": failure.connector,
        "message": "Failure",
        "description": failure.to_string(),
        "extendedData": { "phase": failure.phase, "cause": failure.cause },
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(path, serde_json::to_vec_pretty(&body).unwrap_or_default());
}

struct Job<'a> {
    store: Store<JobState>,
    world: ConnectorWorld,
    output: GuestOutput,
    args: &'a JobArgs,
    forwarded: usize,
    connector: String,
    phases: Vec<(&'static str, Duration)>,
}

impl Job<'_> {
    fn phases(&mut self) -> Result<RunReport, JobFailure> {
        let info = self.call("info", |w, s| w.itwin_connector_connector().call_info(s).map(Ok))?;
        self.connector = info.name.clone();
        self.store.data_mut().sync = Synchronizer::new(&info.name, &info.version);
        // Connectors send source coordinates; the synchronizer shifts them by the global origin.
        self.host("read global origin", |s| {
            let origin = s.bim.spatial_frame()?.global_origin;
            s.sync.set_global_origin(origin);
            Ok(())
        })?;

        let synch_config = self.args.synch_config.clone();
        let config = self.host("write synchronization config", |s| ensure_config_link(s, synch_config.as_ref()))?;
        let sandbox_source =
            format!("{SOURCE_MOUNT}/{}", self.args.source.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        self.call("open-source-data", |w, s| w.itwin_connector_connector().call_open_source_data(s, &sandbox_source))?;
        self.host("relate config to sources", |s| relate_config_to_documents(s, config))?;
        self.call("import-domain-schema", |w, s| w.itwin_connector_connector().call_import_domain_schema(s))?;
        self.call("import-dynamic-schema", |w, s| w.itwin_connector_connector().call_import_dynamic_schema(s))?;

        let source_text = self.args.source.to_string_lossy().into_owned();
        let asked = self.call("job-subject-name", |w, s| {
            w.itwin_connector_connector().call_job_subject_name(s, &source_text).map(Ok)
        })?;
        let subject_name = asked.unwrap_or_else(|| format!("{}:{}", info.name, source_text));
        let channel_key = self.args.channel.key(&info.name);
        let identity = sync::JobIdentity {
            subject_name: &subject_name,
            connector: &info.name,
            connector_version: &info.version,
            source: &source_text,
            channel_key: channel_key.as_deref(),
        };
        let (subject, created) = self.host("write job subject", |s| {
            let (subject, created) = s.sync.ensure_job_subject(&mut s.bim, &identity)?;
            s.sync.set_job_subject(subject);
            // Documents recorded in open-source-data must be this job's before anything is written.
            s.sync.bind_documents()?;
            Ok((subject, created))
        })?;

        if self.args.unmap {
            self.call("unmap-source", |w, s| w.itwin_connector_connector().call_unmap_source(s, &subject_name))?;
            self.host("unmap", |s| unmap(s, subject, config))?;
        } else {
            // The framework calls initialize-job on every run although it is documented as
            // once per job; we call it when the job subject is new.
            if created {
                self.call("initialize-job", |w, s| w.itwin_connector_connector().call_initialize_job(s))?;
            }
            self.call("import-definitions", |w, s| w.itwin_connector_connector().call_import_definitions(s))?;
            self.call("update-existing-data", |w, s| w.itwin_connector_connector().call_update_existing_data(s))?;
            let mode = match (self.args.db_type, info.deletion) {
                (DbType::Snapshot, _) | (_, DeletionMode::None) => sync::DeletionMode::None,
                (_, DeletionMode::Channel) => sync::DeletionMode::Channel,
                (_, DeletionMode::File) => sync::DeletionMode::File,
            };
            self.host("detect deletions", |s| {
                s.sync.delete_unseen(&mut s.bim, mode)?;
                Ok(())
            })?;
            self.host("write default view", |s| views::write_job_view(&mut s.bim, &mut s.sync, &subject_name))?;
            self.host("finish documents", |s| {
                s.sync.finish_documents(&mut s.bim)?;
                let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
                s.bim.update_element(&json!({ "id": hex(config), "lastSuccessfulRun": now }))?;
                Ok(())
            })?;
        }
        self.host("commit", |s| Ok(s.bim.commit()?))?;
        self.forward_output().ok();
        let state = self.store.data();
        Ok(RunReport {
            connector: info.name,
            connector_version: info.version,
            job_subject: subject_name,
            stats: state.sync.stats().clone(),
            unmapped: self.args.unmap,
            component_origin: Origin::Compiled,
            component_load: Duration::ZERO,
            duration: state.started.elapsed(),
            phases: std::mem::take(&mut self.phases),
        })
    }

    /// Calls a lifecycle export; a trap, a limit or the guest's `err` fails the job.
    fn call<T>(
        &mut self,
        phase: &'static str,
        f: impl FnOnce(&ConnectorWorld, &mut Store<JobState>) -> wasmtime::Result<Result<T, String>>,
    ) -> Result<T, JobFailure> {
        self.store.data_mut().phase = phase;
        let started = Instant::now();
        let result = f(&self.world, &mut self.store);
        self.phases.push((phase, started.elapsed()));
        self.forward_output().ok();
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(self.failure(phase, format!("the connector returned an error: {message}"))),
            Err(trap) => {
                let cause = self.explain_trap(&trap);
                Err(self.failure(phase, cause))
            }
        }
    }

    /// A host step between lifecycle calls.
    fn host<T>(
        &mut self,
        phase: &'static str,
        f: impl FnOnce(&mut JobState) -> Result<T, sync::SyncError>,
    ) -> Result<T, JobFailure> {
        let started = Instant::now();
        let result = f(self.store.data_mut()).map_err(|e| self.failure(phase, e.to_string()));
        self.phases.push((phase, started.elapsed()));
        result
    }

    fn failure(&self, phase: &str, cause: String) -> JobFailure {
        JobFailure { connector: self.connector.clone(), phase: phase.to_owned(), cause }
    }

    /// Turns a trap into what happened, in the user's terms.
    fn explain_trap(&self, error: &wasmtime::Error) -> String {
        if let Some(failure) = &self.store.data().host_failure {
            return format!("host failure: {failure}");
        }
        let limits = self.args.limits;
        let text = format!("{error:?}");
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => {
                return format!("deadline of {} s reached (--timeout)", limits.deadline.as_secs())
            }
            Some(wasmtime::Trap::OutOfFuel) => {
                return format!("fuel limit of {} reached (--fuel)", limits.fuel.unwrap_or(u64::MAX))
            }
            _ => {}
        }
        if text.contains("growing memory") || text.contains("memory size") || text.contains("memory allocation") {
            return format!("memory limit of {} MiB reached (--memory-limit)", limits.memory >> 20);
        }
        let trap = match error.downcast_ref::<wasmtime::Trap>() {
            Some(trap) => trap.to_string(),
            None => error.root_cause().to_string(),
        };
        // A Rust panic prints its location and message to stderr before trapping: name them.
        let stderr: Vec<String> =
            self.output.lines().into_iter().filter(|(is_err, _)| *is_err).map(|(_, l)| l).collect();
        let panic = stderr.iter().rposition(|l| l.contains("panicked at")).map(|i| {
            let at = stderr[i].split("panicked at ").nth(1).unwrap_or_default().trim_end_matches(':');
            let message = stderr.get(i + 1).map(String::as_str).unwrap_or_default();
            format!(" (panicked at {at}: {message})")
        });
        format!("trap: {trap}{}", panic.unwrap_or_default())
    }

    /// Sends what the guest printed since the last call to the log.
    fn forward_output(&mut self) -> Result<()> {
        let lines = self.output.lines();
        let new: Vec<(bool, String)> = lines.into_iter().skip(self.forwarded).collect();
        self.forwarded += new.len();
        let state = self.store.data_mut();
        for (is_err, line) in new {
            let level = if is_err { LogLevel::Warn } else { LogLevel::Info };
            state.observer.log(&LogLine {
                level,
                message: format!("[guest {}] {line}", if is_err { "stderr" } else { "stdout" }),
            });
        }
        Ok(())
    }
}

/// Finds or writes the SynchronizationConfigLink all sources share.
fn ensure_config_link(state: &mut JobState, extra: Option<&Value>) -> Result<i64, sync::SyncError> {
    let bim = &mut state.bim;
    let spec = bim
        .code_spec_by_name("bis:LinkElement")?
        .ok_or_else(|| sync::SyncError::HostFailure("no bis:LinkElement code spec".into()))?;
    if let Some(id) = bim.find_element_by_code(spec, 1, SYNCH_CONFIG)? {
        return Ok(id);
    }
    let mut props = json!({
        "classFullName": "BisCore:SynchronizationConfigLink", "model": "0x1",
        "code": { "spec": hex(spec), "scope": "0x1", "value": SYNCH_CONFIG },
    });
    if let Some(Value::Object(more)) = extra {
        props.as_object_mut().expect("object").extend(more.clone());
    }
    Ok(bim.insert_element(&props)?)
}

/// SynchronizationConfigSpecifiesRootSources from the config link to each document's ExternalSource.
fn relate_config_to_documents(state: &mut JobState, config: i64) -> Result<(), sync::SyncError> {
    let sources: Vec<i64> = state.sync.documents().map(|d| d.external_source).collect();
    for source in sources {
        let class = "BisCore:SynchronizationConfigSpecifiesRootSources";
        if state.bim.find_relationships(class, config, source)?.is_empty() {
            state.bim.insert_relationship(
                &json!({ "classFullName": class, "sourceId": hex(config), "targetId": hex(source) }),
            )?;
        }
    }
    Ok(())
}

/// Removes everything of the job: its subject tree (its view included), its documents'
/// RepositoryLinks and ExternalSources, and the config link if no other source still uses it.
fn unmap(state: &mut JobState, subject: i64, config: i64) -> Result<(), sync::SyncError> {
    state.sync.delete_tracked_subtree(&mut state.bim, subject)?;
    let documents: Vec<sync::DocumentRecord> = state.sync.documents().collect();
    for doc in documents {
        for source in
            state.bim.find_elements_by_navigation("BisCore:ExternalSource", "repository", doc.repository_link)?
        {
            state.sync.delete_tracked_subtree(&mut state.bim, source)?;
        }
        state.sync.delete_tracked_subtree(&mut state.bim, doc.repository_link)?;
    }
    let still_used = state.bim.connection().query_row(
        "SELECT count(*) FROM bis_ElementRefersToElements r JOIN ec_Class c ON c.Id = r.ECClassId \
         WHERE c.Name = 'SynchronizationConfigSpecifiesRootSources' AND r.SourceId = ?1",
        [config],
        |r| r.get::<_, i64>(0),
    );
    if still_used.map_err(|e| sync::SyncError::HostFailure(e.to_string()))? == 0 {
        state.sync.delete_tracked_subtree(&mut state.bim, config)?;
    }
    // The job's view went with its subject tree; the default view may have been it.
    views::repair_default_view(&mut state.bim)
}
