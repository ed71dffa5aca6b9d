//! One connector job, in the phases and order of the iTwin.js connector framework, as a single
//! transaction: any trap, limit, guest error or host error rolls the iModel back, writes
//! `error.json` and reports the connector, the phase and the cause.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;
use wasmtime::Store;

use crate::job::{DbType, JobArgs};
use crate::lock::{IModelLock, LockError};
use crate::source_mount::SourceMount;
use crate::{
    ConnectorWorld, Console, DeletionMode, FailureCause, GuestState, JobObserver, JobState, LoadError, LogLevel,
    LogLine, LogSource, Origin, Runtime, MAX_COMPONENT_BYTES, SOURCE_MOUNT,
};
use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, RootSubject};
use itwin_sync::{self as sync, Stats, Synchronizer};

/// What a successful job did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The connector's name (its `info`).
    pub connector: String,
    /// The connector's version (its `info`).
    pub connector_version: String,
    /// The code value of the job subject.
    pub job_subject: String,
    /// Inserted / updated / deleted / unchanged per class.
    pub stats: Stats,
    /// The job was an unmap.
    pub unmapped: bool,
    /// Whether the compiled component came from the cache.
    pub component_origin: Origin,
    /// Time to compile or load the component.
    pub component_load: Duration,
    /// Time of the whole job.
    pub duration: Duration,
    /// Time spent in each lifecycle call and host step, in order (for `--verbose`).
    pub phases: Vec<(&'static str, Duration)>,
}

/// Why a job failed: one line naming the connector, the phase and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("connector `{connector}` failed in {phase}: {cause}")]
pub struct JobFailure {
    /// The connector's name, or its file name before `info` answered.
    pub connector: String,
    /// The lifecycle phase or host step that failed.
    pub phase: String,
    /// The cause in the user's terms (one line).
    pub cause: String,
    /// What stopped the job, as the host recorded it.
    pub kind: FailureCause,
    /// What is on disk now, truthfully: the iModel is untouched or no file was written.
    pub on_disk: OnDisk,
}

/// The state of the target file after a failed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDisk {
    /// The file existed and is exactly as before the run.
    Unchanged,
    /// There was no file and none was written.
    NothingWritten,
}

impl OnDisk {
    fn of(existed: bool) -> OnDisk {
        if existed {
            OnDisk::Unchanged
        } else {
            OnDisk::NothingWritten
        }
    }
}

/// Runs a job. The briefcase is written only if every phase succeeds; a new file (and every
/// snapshot) is written aside and renamed over the target only then.
pub fn run(runtime: &Runtime, args: &JobArgs, observer: Box<dyn JobObserver>) -> Result<RunReport, JobFailure> {
    // The deadline covers the whole job: compiling, instantiating (start functions) and every
    // phase. The clock ticks from here.
    let started = Instant::now();
    let deadline = started + args.limits.deadline;
    let _clock = runtime.start_clock();
    let connector_label = args.connector.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let existed = args.output.exists();
    let on_disk = OnDisk::of(existed);
    let fail = |phase: &str, kind: FailureCause, cause: String| JobFailure {
        connector: connector_label.clone(),
        phase: phase.to_owned(),
        cause,
        kind,
        on_disk,
    };
    let failed = |failure: JobFailure| {
        write_error_file(&args.error_file, &failure);
        failure
    };
    // One run per iModel; the lock goes with this process however it ends.
    let _lock = IModelLock::acquire(&args.output, args.wait).map_err(|e| {
        let kind = if matches!(e, LockError::Locked { .. }) { FailureCause::Locked } else { FailureCause::Host };
        failed(fail("open iModel", kind, e.to_string()))
    })?;
    let bytes = read_component(&args.connector).map_err(|(kind, e)| failed(fail("load", kind, e)))?;
    let mut observer = observer;
    let mut notice = |message: String| {
        observer.log(&LogLine { level: LogLevel::Info, source: LogSource::Host, message });
    };
    let loaded = runtime.load_file_until(&bytes, Some(&args.connector), deadline, &mut notice).map_err(|e| {
        let kind = match e.downcast_ref::<LoadError>() {
            Some(LoadError::CompileDeadline) => FailureCause::Deadline,
            Some(LoadError::TooLarge { .. } | LoadError::CompileKilled { .. }) => FailureCause::Limit,
            _ => FailureCause::Load,
        };
        let cause = match kind {
            FailureCause::Deadline => {
                format!("deadline of {} s reached (--timeout) while compiling", args.limits.deadline.as_secs())
            }
            _ => format!("{e:#}"),
        };
        failed(fail("load", kind, cause))
    })?;
    let target = Target::new(args, existed);
    let bim =
        open_briefcase(args, &target).map_err(|e| failed(fail("open iModel", FailureCause::Host, format!("{e:#}"))))?;
    // The sandbox sees the source alone, not the folder it is in (which may hold the iModel).
    let mount = match SourceMount::new(&args.source) {
        Ok(mount) => mount,
        Err(e) => {
            target.discard();
            return Err(failed(fail(
                "open source",
                FailureCause::Host,
                format!("cannot mount {} in the sandbox: {e}", args.source.display()),
            )));
        }
    };
    let job = JobState {
        bim,
        sync: Synchronizer::new("", ""),
        connector_args: args.connector_args.clone(),
        source: Some(args.source.clone()),
    };
    let console = Console::new(observer);
    let store = runtime.store(Some(mount.path()), Some(job), console.clone(), args.limits, deadline);
    let mut store = match store {
        Ok(store) => store,
        Err(e) => {
            target.discard();
            return Err(failed(fail("instantiate", FailureCause::Load, format!("{e:#}"))));
        }
    };
    let world = match runtime.instantiate(&mut store, &loaded.component) {
        Ok(world) => world,
        Err(e) => {
            let explained = crate::explain_instantiation(&store, &e, args.limits);
            let (kind, cause) = (explained.cause, explained.message);
            console.finish();
            abandon(store, &target);
            return Err(failed(fail("instantiate", kind, cause)));
        }
    };
    let mut job = Job { store, world, console, args, connector: connector_label.clone(), on_disk, phases: Vec::new() };
    match job.phases() {
        Ok(mut report) => {
            let data = job.store.into_data().into_job().expect("a run has a job");
            data.bim.close().map_err(|e| failed(fail("close iModel", FailureCause::Host, e.to_string())))?;
            target.publish().map_err(|e| failed(fail("close iModel", FailureCause::Host, e)))?;
            report.component_origin = loaded.origin;
            report.component_load = loaded.load_time;
            report.duration = started.elapsed();
            Ok(report)
        }
        Err(failure) => {
            job.console.finish();
            abandon(job.store, &target);
            Err(failed(failure))
        }
    }
}

/// Reads the component file, refusing one over the size limit before reading it.
fn read_component(path: &Path) -> Result<Vec<u8>, (FailureCause, String)> {
    let size = std::fs::metadata(path)
        .map_err(|e| (FailureCause::Load, format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > MAX_COMPONENT_BYTES {
        let error = LoadError::TooLarge { size, limit: MAX_COMPONENT_BYTES };
        return Err((FailureCause::Limit, error.to_string()));
    }
    std::fs::read(path).map_err(|e| (FailureCause::Load, format!("cannot read {}: {e}", path.display())))
}

/// Rolls a failed job back and removes what it wrote aside.
fn abandon(store: Store<GuestState>, target: &Target) {
    if let Some(data) = store.into_data().into_job() {
        let mut bim = data.bim;
        let _ = bim.rollback();
        let _ = bim.close();
    }
    target.discard();
}

/// The file a run writes: the target itself (an existing standalone iModel, updated in one
/// transaction), or a temporary file beside it renamed over it on success (a snapshot, or a new
/// file), so a failed run never leaves a half-made file or removes the previous one.
struct Target {
    output: std::path::PathBuf,
    aside: Option<std::path::PathBuf>,
}

impl Target {
    fn new(args: &JobArgs, existed: bool) -> Target {
        let aside = (args.db_type == DbType::Snapshot || !existed).then(|| {
            let name = args.output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            args.output.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
        });
        Target { output: args.output.clone(), aside }
    }

    /// The file to open or create.
    fn path(&self) -> &Path {
        self.aside.as_deref().unwrap_or(&self.output)
    }

    /// Moves the finished file into place.
    fn publish(&self) -> Result<(), String> {
        let Some(aside) = &self.aside else { return Ok(()) };
        std::fs::rename(aside, &self.output).map_err(|e| {
            self.discard();
            format!("cannot move the new iModel to {}: {e}", self.output.display())
        })
    }

    /// Removes the file written aside (and SQLite's companions), if any.
    fn discard(&self) {
        if let Some(aside) = &self.aside {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut path = aside.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

fn open_briefcase(args: &JobArgs, target: &Target) -> Result<Briefcase> {
    let root = RootSubject::named(
        &args.output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "iModel".into()),
    );
    // A snapshot is always a fresh file: every document is new, nothing is deleted. It is made
    // aside, so the previous snapshot stays until this one is complete.
    target.discard();
    let opened = (|| -> Result<Briefcase> {
        let mut bim = match args.db_type {
            DbType::Standalone if target.aside.is_none() => Briefcase::open(target.path())?,
            // Written aside: nobody sees it before it is complete, and a failure discards it.
            DbType::Snapshot | DbType::Standalone => Briefcase::create_private(target.path(), &root)?,
        };
        bim.begin()?;
        Ok(bim)
    })();
    if opened.is_err() {
        target.discard();
    }
    opened
}

/// The framework's error file: `{id, message, description, extendedData}`.
fn write_error_file(path: &Path, failure: &JobFailure) {
    let body = json!({
        "id": failure.connector,
        "message": "Failure",
        "description": failure.to_string(),
        "extendedData": { "phase": failure.phase, "cause": failure.cause, "causeKind": failure.kind },
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(path, serde_json::to_vec_pretty(&body).unwrap_or_default());
}

struct Job<'a> {
    store: Store<GuestState>,
    world: ConnectorWorld,
    console: Console,
    args: &'a JobArgs,
    connector: String,
    on_disk: OnDisk,
    phases: Vec<(&'static str, Duration)>,
}

impl Job<'_> {
    fn phases(&mut self) -> Result<RunReport, JobFailure> {
        let info = self.call("info", |w, s| w.itwin_connector_connector().call_info(s).map(Ok))?;
        self.connector = info.name.clone();
        self.store.data_mut().job_mut().expect("a run has a job").sync = Synchronizer::new(&info.name, &info.version);
        // Connectors send source coordinates; the synchronizer shifts them by the global origin.
        self.host("read global origin", |s| {
            let origin = s.bim.spatial_frame()?.global_origin;
            s.sync.set_global_origin(origin);
            Ok(())
        })?;

        let synch_config = self.args.synch_config.clone();
        let config = self
            .host("write synchronization config", |s| s.sync.ensure_config_link(&mut s.bim, synch_config.as_ref()))?;
        let sandbox_source =
            format!("{SOURCE_MOUNT}/{}", self.args.source.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        self.call("open-source-data", |w, s| w.itwin_connector_connector().call_open_source_data(s, &sandbox_source))?;
        self.host("relate config to sources", |s| s.sync.relate_config_to_documents(&mut s.bim, config))?;
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
            self.host("unmap", |s| s.sync.unmap(&mut s.bim, subject, config))?;
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
            self.host("write default view", |s| sync::write_job_view(&mut s.bim, &mut s.sync, &subject_name))?;
            self.host("finish documents", |s| {
                s.sync.finish_documents(&mut s.bim)?;
                let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
                s.bim.update_element(&json!({ "id": hex(config), "lastSuccessfulRun": now }))?;
                Ok(())
            })?;
        }
        self.host("commit", |s| Ok(s.bim.commit()?))?;
        self.forward_output();
        let started = self.store.data().started();
        let state = self.store.data_mut().job_mut().expect("a run has a job");
        Ok(RunReport {
            connector: info.name,
            connector_version: info.version,
            job_subject: subject_name,
            stats: state.sync.stats().clone(),
            unmapped: self.args.unmap,
            component_origin: Origin::Compiled,
            component_load: Duration::ZERO,
            duration: started.elapsed(),
            phases: std::mem::take(&mut self.phases),
        })
    }

    /// Calls a lifecycle export; a trap, a limit or the guest's `err` fails the job.
    fn call<T>(
        &mut self,
        phase: &'static str,
        f: impl FnOnce(&ConnectorWorld, &mut Store<GuestState>) -> wasmtime::Result<Result<T, String>>,
    ) -> Result<T, JobFailure> {
        self.store.data_mut().set_phase(phase);
        let started = Instant::now();
        let result = f(&self.world, &mut self.store);
        self.phases.push((phase, started.elapsed()));
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(message)) => Err(self.failure(
                phase,
                FailureCause::GuestError,
                format!("the connector returned an error: {}", crate::escape(&message)),
            )),
            Err(trap) => {
                let explained = self.explain_trap(&trap);
                Err(self.failure(phase, explained.cause, explained.message))
            }
        }
    }

    /// A host step between lifecycle calls; it starts only while the deadline has not passed.
    fn host<T>(
        &mut self,
        phase: &'static str,
        f: impl FnOnce(&mut JobState) -> Result<T, sync::SyncError>,
    ) -> Result<T, JobFailure> {
        if self.store.data_mut().check_deadline().is_err() {
            let cause = self.store.data().deadline_message(self.args.limits.deadline);
            return Err(self.failure(phase, FailureCause::Deadline, cause));
        }
        let started = Instant::now();
        let state = self.store.data_mut().job_mut().expect("a run has a job");
        let result = f(state).map_err(|e| {
            let kind = if e.is_host_failure() { FailureCause::Host } else { FailureCause::Refused };
            self.failure(phase, kind, e.to_string())
        });
        self.phases.push((phase, started.elapsed()));
        result
    }

    fn failure(&self, phase: &str, kind: FailureCause, cause: String) -> JobFailure {
        JobFailure { connector: self.connector.clone(), phase: phase.to_owned(), cause, kind, on_disk: self.on_disk }
    }

    /// Turns a trap into what happened, in the user's terms: the cause is the one the limiter,
    /// the clock or a host call recorded in the store, or wasmtime's trap code.
    fn explain_trap(&self, error: &wasmtime::Error) -> crate::Explained {
        crate::explain(&self.store, error, self.args.limits)
    }

    /// Ends the guest's output: unfinished lines and the dropped-bytes note go to the log
    /// (complete lines went as they were written).
    fn forward_output(&mut self) {
        self.console.finish();
    }
}
