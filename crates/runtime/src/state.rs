//! What a job's store holds, and the host side of the `host` and `synchronizer` imports.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::clocks::WasiClocksCtxView;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{
    itwin::connector as wit, ChangeResult, CodeScope, DocumentRecord, ItemState, LogLevel, SourceDocument, SourceItem,
    SyncError,
};
use super::caps::{self, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_ID_LIST, MAX_PROPS_BYTES, MAX_READ_SOURCE};
use super::clock::DeadlineClockView;
use super::json_calls;
use super::limiter::TotalLimiter;
use super::output::Console;
use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, CodeScopeType};
use itwin_sync::{self as sync, Synchronizer};

/// Where a line of the job's log comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// `host.log`: the connector's own message (escaped).
    Connector,
    /// A line the guest printed to stdout (escaped).
    Stdout,
    /// A line the guest printed to stderr (escaped).
    Stderr,
    /// The host's own note about the job (e.g. dropped output).
    Host,
}

/// A line of the job's log. Guest text in `message` is already escaped to one visible line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level (guest output is info, stderr warn).
    pub level: LogLevel,
    /// Who wrote it.
    pub source: LogSource,
    /// The escaped text.
    pub message: String,
}

/// Receives the guest's log lines and progress as they happen (the CLI prints them).
pub trait JobObserver: Send {
    /// A log line, as it is written.
    fn log(&mut self, line: &LogLine);
    /// `done` of `total` (if known) items in `phase`.
    fn progress(&mut self, phase: &str, done: u64, total: Option<u64>);
}

/// Why a job stopped, as the part of the host that stopped it recorded it (never guessed from
/// the text of an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureCause {
    /// The job's wall-clock deadline (`--timeout`), seen by the epoch clock or a host call.
    Deadline,
    /// The instruction budget (`--fuel`).
    Fuel,
    /// The store's memory bound (`--memory-limit`), seen by the limiter.
    Memory,
    /// A lifecycle function returned `err`.
    GuestError,
    /// Any other trap of the guest.
    Trap,
    /// The host failed (SQLite, I/O) while serving the guest or in a host step.
    Host,
    /// A bound on what the host accepts: component size, compile memory, a call's size.
    Limit,
    /// The component could not be read, compiled or instantiated.
    Load,
    /// Another run holds the iModel.
    Locked,
    /// A host step refused what the connector asked for (a job subject or document that is not
    /// the job's).
    Refused,
}

/// The iModel side of a job: present in a real run, absent for `info`. Host steps between
/// lifecycle calls work on it directly.
pub struct JobState {
    pub bim: Briefcase,
    pub sync: Synchronizer,
    pub connector_args: Value,
    /// The source file, for `host.read-source` (the sandbox mounts its folder for WASI guests).
    pub source: Option<PathBuf>,
}

/// What a host call found wrong in a guest request that is not an error the WIT can carry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HostStop {
    #[error("deadline reached")]
    Deadline,
    #[error("{0}")]
    Host(String),
    #[error("{0}")]
    Limit(String),
}

/// A store's data, built once per job: the sandbox, the limits, the log and, in a job (not for
/// `info`), the briefcase and synchronizer.
pub struct GuestState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: TotalLimiter,
    console: Console,
    deadline: Instant,
    phase: &'static str,
    /// What stopped the job, recorded by whoever stopped it; the first one wins.
    cause: Option<FailureCause>,
    /// The message of a host failure or refusal that trapped the guest.
    stop_message: Option<String>,
    job: Option<JobState>,
    started: Instant,
    /// `done` of `total` in the current phase, as the connector last reported it.
    progress: Option<(u64, Option<u64>)>,
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl GuestState {
    pub(crate) fn new(
        wasi: WasiCtx,
        memory_limit: usize,
        console: Console,
        deadline: Instant,
        job: Option<JobState>,
    ) -> Self {
        GuestState {
            wasi,
            table: ResourceTable::new(),
            limiter: TotalLimiter::new(memory_limit),
            console,
            deadline,
            phase: "instantiate",
            cause: None,
            stop_message: None,
            job,
            started: Instant::now(),
            progress: None,
        }
    }

    pub(crate) fn limiter(&mut self) -> &mut TotalLimiter {
        &mut self.limiter
    }

    pub(crate) fn deadline_clock(&mut self) -> DeadlineClockView<'_> {
        DeadlineClockView {
            inner: WasiClocksCtxView { ctx: self.wasi.clocks(), table: &mut self.table },
            deadline: self.deadline,
        }
    }

    /// The phase the guest is in (for progress reports).
    pub fn set_phase(&mut self, phase: &'static str) {
        self.phase = phase;
        self.progress = None;
    }

    /// Why the job stopped at its deadline (see [`deadline_message`]).
    pub fn deadline_message(&self, deadline: std::time::Duration) -> String {
        deadline_message(deadline, self.started.elapsed(), self.progress)
    }

    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn console(&self) -> &Console {
        &self.console
    }

    /// What stopped the job, if a part of the host recorded it (the limiter's flag included).
    pub fn cause(&self) -> Option<FailureCause> {
        if self.limiter.hit() {
            return Some(FailureCause::Memory);
        }
        self.cause
    }

    /// The message of the host failure or refusal that stopped the guest.
    pub fn stop_message(&self) -> Option<&str> {
        self.stop_message.as_deref()
    }

    /// Records why the job stops (the first cause wins) and returns the trap for the guest.
    pub(crate) fn stop(&mut self, stop: HostStop) -> wasmtime::Error {
        if self.cause.is_none() {
            self.cause = Some(match &stop {
                HostStop::Deadline => FailureCause::Deadline,
                HostStop::Host(_) => FailureCause::Host,
                HostStop::Limit(_) => FailureCause::Limit,
            });
            self.stop_message = Some(stop.to_string());
        }
        stop.into()
    }

    /// The epoch clock's check: past the deadline, the guest traps with the deadline cause.
    pub(crate) fn check_deadline(&mut self) -> wasmtime::Result<()> {
        if Instant::now() >= self.deadline {
            return Err(self.stop(HostStop::Deadline));
        }
        Ok(())
    }

    /// The job's iModel side, or a trap for a guest calling the synchronizer without one.
    fn job(&mut self) -> wasmtime::Result<&mut JobState> {
        if self.job.is_none() {
            let message = format!("synchronizer calls need a job; {} runs without an iModel", self.phase);
            return Err(self.stop(HostStop::Host(message)));
        }
        Ok(self.job.as_mut().expect("checked"))
    }

    /// The synchronizer with its briefcase, for one host call.
    fn parts(&mut self) -> wasmtime::Result<(&mut Synchronizer, &mut Briefcase)> {
        let job = self.job()?;
        Ok((&mut job.sync, &mut job.bim))
    }

    /// Passes a synchronizer result to the guest; a host failure traps it instead.
    fn answer<T>(&mut self, result: Result<T, sync::SyncError>) -> wasmtime::Result<Result<T, SyncError>> {
        Ok(self.refusal_or_stop(result)?.map_err(to_wit_error))
    }

    /// A synchronizer result as the guest may see it: a refusal stays one, a host failure stops
    /// the job.
    fn refusal_or_stop<T>(
        &mut self,
        result: Result<T, sync::SyncError>,
    ) -> wasmtime::Result<Result<T, sync::SyncError>> {
        match result {
            Err(e) if e.is_host_failure() => Err(self.stop(HostStop::Host(e.to_string()))),
            result => Ok(result),
        }
    }
}

/// Why a job stopped at its deadline, with how far it got and, when the connector reported its
/// progress (`done` of `total`), how long the whole job would take at this pace: the
/// `--timeout` to give it.
fn deadline_message(
    deadline: std::time::Duration,
    elapsed: std::time::Duration,
    progress: Option<(u64, Option<u64>)>,
) -> String {
    let reached = format!("deadline of {} s reached (--timeout)", deadline.as_secs());
    match progress {
        Some((done, Some(total))) if done > 0 && done < total => {
            let needed = elapsed.as_secs_f64() * total as f64 / done as f64;
            // A fifth more than the pace says, rounded up to a minute.
            let suggested = ((needed * 1.2 / 60.0).ceil() as u64).max(1) * 60;
            format!("{reached} at {done} of {total} items; at this pace the job needs about {needed:.0} s (--timeout {suggested})")
        }
        _ => reached,
    }
}

/// Refuses props text over [`MAX_PROPS_BYTES`] before parsing it.
fn check_props_size(what: &str, text: &str) -> Result<(), sync::SyncError> {
    if text.len() > MAX_PROPS_BYTES {
        return Err(sync::SyncError::InvalidProps(format!(
            "{what} of {} bytes: over the limit of {} MiB per call",
            text.len(),
            MAX_PROPS_BYTES >> 20
        )));
    }
    Ok(())
}

/// Refuses a batch over [`MAX_BATCH_ITEMS`] items or [`MAX_BATCH_BYTES`] bytes of text.
fn check_batch(what: &str, len: usize, bytes: usize) -> Result<(), sync::SyncError> {
    if len > MAX_BATCH_ITEMS {
        return Err(sync::SyncError::InvalidProps(format!(
            "{what} of {len} items: over the limit of {MAX_BATCH_ITEMS} per call"
        )));
    }
    if bytes > MAX_BATCH_BYTES {
        return Err(sync::SyncError::InvalidProps(format!(
            "{what} of {} MiB: over the limit of {} MiB per call (send fewer items a call)",
            bytes >> 20,
            MAX_BATCH_BYTES >> 20
        )));
    }
    Ok(())
}

/// The text a source item carries across the boundary.
fn item_bytes(item: &SourceItem) -> usize {
    let optional = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    item.id.len() + optional(&item.kind) + optional(&item.scope) + optional(&item.version) + optional(&item.checksum)
}

/// Up to `length` bytes of `path` from `offset` (fewer at its end).
fn read_range(path: &std::path::Path, offset: u64, length: u32) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    file.take(u64::from(length)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn to_wit_error(e: sync::SyncError) -> SyncError {
    use sync::SyncError as S;
    match e {
        S::InvalidProps(m) => SyncError::InvalidProps(m),
        S::UnknownClass(m) => SyncError::UnknownClass(m),
        S::OutOfScope(m) => SyncError::OutOfScope(m),
        S::DuplicateCode(m) => SyncError::DuplicateCode(m),
        S::NotFound(m) => SyncError::NotFound(m),
        S::WrongClass(m) => SyncError::WrongClass(m),
        S::HostFailure(m) => SyncError::HostFailure(m),
    }
}

fn state_to_wit(s: sync::ItemState) -> ItemState {
    match s {
        sync::ItemState::Unchanged => ItemState::Unchanged,
        sync::ItemState::New => ItemState::New,
        sync::ItemState::Changed => ItemState::Changed,
    }
}

fn item_from_wit(item: SourceItem) -> sync::SourceItem {
    sync::SourceItem { id: item.id, kind: item.kind, scope: item.scope, version: item.version, checksum: item.checksum }
}

fn change_to_wit(c: sync::ChangeResult) -> ChangeResult {
    ChangeResult { state: state_to_wit(c.state), element_id: c.element_id.map(hex) }
}

fn parse_json(text: &str) -> Result<Value, sync::SyncError> {
    check_props_size("props", text)?;
    serde_json::from_str(text).map_err(|e| sync::SyncError::InvalidProps(format!("not JSON: {e}")))
}

impl wit::types::Host for GuestState {}

impl wit::host::Host for GuestState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.console.log(level, &caps::truncate_log(&message));
        Ok(())
    }

    fn progress(&mut self, done: u64, total: Option<u64>) -> wasmtime::Result<()> {
        self.progress = Some((done, total));
        self.console.progress(self.phase, done, total);
        Ok(())
    }

    fn connector_args(&mut self) -> wasmtime::Result<String> {
        Ok(self.job.as_ref().map_or_else(|| "{}".to_owned(), |j| j.connector_args.to_string()))
    }

    fn source_size(&mut self) -> wasmtime::Result<Result<u64, String>> {
        let Some(path) = self.job.as_ref().and_then(|j| j.source.as_ref()) else {
            return Ok(Err("this job has no source file".into()));
        };
        Ok(std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("cannot read the source: {e}")))
    }

    fn read_source(&mut self, offset: u64, length: u32) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let Some(path) = self.job.as_ref().and_then(|j| j.source.as_ref()) else {
            return Ok(Err("this job has no source file".into()));
        };
        Ok(read_range(path, offset, length.min(MAX_READ_SOURCE)).map_err(|e| format!("cannot read the source: {e}")))
    }

    fn checksums_json(&mut self, values: Vec<u8>) -> wasmtime::Result<Result<String, String>> {
        self.check_deadline()?;
        Ok(json_calls::checksums(&values))
    }
}

impl wit::synchronizer::Host for GuestState {
    fn job_subject(&mut self) -> wasmtime::Result<String> {
        Ok(hex(self.job()?.sync.job_subject()))
    }

    fn record_document(&mut self, doc: SourceDocument) -> wasmtime::Result<Result<DocumentRecord, SyncError>> {
        let doc = sync::SourceDocument {
            docid: doc.docid,
            description: doc.description,
            last_modified: doc.last_modified,
            checksum: doc.checksum,
            url: doc.url,
        };
        let (sync, bim) = self.parts()?;
        let result = sync.record_document(bim, &doc).map(|r| DocumentRecord {
            state: state_to_wit(r.state),
            repository_link: hex(r.repository_link),
            external_source: hex(r.external_source),
        });
        self.answer(result)
    }

    fn detect_changes(&mut self, item: SourceItem) -> wasmtime::Result<Result<ChangeResult, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync.detect_changes(bim, &item_from_wit(item)).map(change_to_wit);
        self.answer(result)
    }

    fn detect_changes_batch(
        &mut self,
        items: Vec<SourceItem>,
    ) -> wasmtime::Result<Result<Vec<ChangeResult>, SyncError>> {
        if let Err(refusal) = check_batch("detect-changes-batch", items.len(), items.iter().map(item_bytes).sum()) {
            return self.answer(Err(refusal));
        }
        // Detection only reads, and the batch is bounded: the deadline is checked around it
        // rather than per item, which would lose the batch's one lookup per scope.
        self.check_deadline()?;
        let items: Vec<sync::SourceItem> = items.into_iter().map(item_from_wit).collect();
        let (sync, bim) = self.parts()?;
        let result = sync.detect_changes_batch(bim, &items).map(|all| all.into_iter().map(change_to_wit).collect());
        self.check_deadline()?;
        self.answer(result)
    }

    fn detect_changes_json(&mut self, items: Vec<u8>) -> wasmtime::Result<Result<String, SyncError>> {
        let items =
            match check_batch("detect-changes-json", 0, items.len()).and_then(|()| json_calls::detect_items(&items)) {
                Ok(items) => items,
                Err(refusal) => return self.answer(Err(refusal)),
            };
        self.check_deadline()?;
        let (sync, bim) = self.parts()?;
        let result = sync.detect_changes_batch(bim, &items).map(json_calls::changes);
        self.check_deadline()?;
        self.answer(result)
    }

    fn update_imodel(&mut self, item: SourceItem, element: String) -> wasmtime::Result<Result<String, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = parse_json(&element)
            .and_then(|props| sync.update_imodel_atomically(bim, &item_from_wit(item), &props))
            .map(hex);
        self.answer(result)
    }

    fn update_imodel_batch(
        &mut self,
        items: Vec<(SourceItem, String)>,
    ) -> wasmtime::Result<Vec<Result<String, SyncError>>> {
        let bytes = items.iter().map(|(item, props)| item_bytes(item) + props.len()).sum();
        if let Err(refusal) = check_batch("update-imodel-batch", items.len(), bytes) {
            // The WIT gives this call a result per item: each says why none was written.
            return Ok(vec![Err(to_wit_error(refusal)); items.len()]);
        }
        let mut out = Vec::with_capacity(items.len());
        for (item, element) in items {
            self.check_deadline()?;
            let (sync, bim) = self.parts()?;
            let result = parse_json(&element)
                .and_then(|props| sync.update_imodel_atomically(bim, &item_from_wit(item), &props))
                .map(hex);
            out.push(self.answer(result)?);
        }
        Ok(out)
    }

    fn update_imodel_json(&mut self, batch: Vec<u8>) -> wasmtime::Result<Result<String, SyncError>> {
        let writes = match check_batch("update-imodel-json", 0, batch.len()).and_then(|()| json_calls::writes(&batch)) {
            Ok(writes) => writes,
            Err(refusal) => return self.answer(Err(refusal)),
        };
        let mut out = Vec::with_capacity(writes.len());
        for (item, element) in writes {
            self.check_deadline()?;
            let (sync, bim) = self.parts()?;
            let result = parse_json(element).and_then(|props| sync.update_imodel_atomically(bim, &item, &props));
            out.push(json_calls::written(self.refusal_or_stop(result)?));
        }
        Ok(Ok(serde_json::Value::Array(out).to_string()))
    }

    fn on_element_seen(&mut self, id: String) -> wasmtime::Result<()> {
        let (sync, bim) = self.parts()?;
        // An id that is not one (or names no element) changes nothing: this call has no error.
        let result = match sync::parse_id(&id, "id") {
            Ok(id) => sync.mark_seen(bim, id),
            Err(_) => Ok(()),
        };
        // Only a failure of the host's own lookup is left, and it fails the job.
        self.answer(result).map(|_| ())
    }

    fn on_elements_seen_json(&mut self, ids: Vec<u8>) -> wasmtime::Result<Result<(), SyncError>> {
        // json_calls::ids refuses more than on-elements-seen takes: that call cannot stop the job.
        match json_calls::ids(&ids) {
            Ok(ids) => self.on_elements_seen(ids).map(Ok),
            Err(refusal) => self.answer(Err(refusal)),
        }
    }

    fn on_elements_seen(&mut self, ids: Vec<String>) -> wasmtime::Result<()> {
        if ids.len() > MAX_ID_LIST {
            // This call has no error to return: refusing it stops the job with the reason.
            let message = format!("on-elements-seen of {} ids: over the limit of {MAX_ID_LIST} per call", ids.len());
            return Err(self.stop(HostStop::Limit(message)));
        }
        for id in ids {
            self.check_deadline()?;
            self.on_element_seen(id)?;
        }
        Ok(())
    }

    fn insert_element(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = parse_json(&props).and_then(|p| sync.insert_element(bim, &p)).map(hex);
        self.answer(result)
    }

    fn update_element(&mut self, props: String) -> wasmtime::Result<Result<(), SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = parse_json(&props).and_then(|p| sync.update_element(bim, &p));
        self.answer(result)
    }

    fn delete_element(&mut self, id: String) -> wasmtime::Result<Result<(), SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync::parse_id(&id, "id").and_then(|id| sync.delete_element(bim, id));
        self.answer(result)
    }

    fn insert_model(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = parse_json(&props).and_then(|p| sync.insert_model(bim, &p)).map(hex);
        self.answer(result)
    }

    fn insert_relationship(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = parse_json(&props).and_then(|p| sync.insert_relationship(bim, &p)).map(hex);
        self.answer(result)
    }

    fn find_relationships(
        &mut self,
        class: String,
        source: String,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync
            .find_relationships(bim, &class, &source)
            .map(|rows| rows.into_iter().map(|(r, t)| (hex(r), hex(t))).collect());
        self.answer(result)
    }

    fn delete_relationship(&mut self, class: String, id: String) -> wasmtime::Result<Result<(), SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync.delete_relationship(bim, &class, &id);
        self.answer(result)
    }

    fn find_element_by_code(
        &mut self,
        spec: String,
        scope: String,
        value: String,
    ) -> wasmtime::Result<Result<Option<String>, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync.find_element_by_code(bim, &spec, &scope, &value).map(|id| id.map(hex));
        self.answer(result)
    }

    fn element_props(&mut self, id: String) -> wasmtime::Result<Result<Option<String>, SyncError>> {
        let (sync, bim) = self.parts()?;
        let result = sync.element_props(bim, &id).map(|p| p.map(|v| v.to_string()));
        self.answer(result)
    }

    fn ensure_code_spec(&mut self, name: String, scope: CodeScope) -> wasmtime::Result<Result<String, SyncError>> {
        let scope = match scope {
            CodeScope::Repository => CodeScopeType::Repository,
            CodeScope::Model => CodeScopeType::Model,
            CodeScope::ParentElement => CodeScopeType::ParentElement,
            CodeScope::RelatedElement => CodeScopeType::RelatedElement,
        };
        let (sync, bim) = self.parts()?;
        let result = sync.ensure_code_spec(bim, &name, scope).map(hex);
        self.answer(result)
    }

    fn set_source_units(&mut self, metres_per_unit: f64) -> wasmtime::Result<Result<(), SyncError>> {
        let result = self.job()?.sync.set_source_units(metres_per_unit);
        self.answer(result)
    }
}

impl GuestState {
    /// The job's iModel side, once the store is done with.
    pub fn into_job(self) -> Option<JobState> {
        self.job
    }

    /// The job's iModel side for a host step; `None` in a store made for `info`.
    pub fn job_mut(&mut self) -> Option<&mut JobState> {
        self.job.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn props_over_the_limit_are_invalid_props_not_a_trap() {
        let big = format!("{{\"userLabel\": \"{}\"}}", "x".repeat(MAX_PROPS_BYTES));
        match parse_json(&big) {
            Err(sync::SyncError::InvalidProps(m)) => assert!(m.contains("over the limit of 16 MiB per call"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(parse_json("{\"userLabel\": \"small\"}").is_ok());
    }

    #[test]
    fn a_deadline_names_the_timeout_the_job_needs_at_its_pace() {
        let (deadline, elapsed) = (std::time::Duration::from_secs(600), std::time::Duration::from_secs(600));
        assert_eq!(
            deadline_message(deadline, elapsed, Some((400_000, Some(1_000_000)))),
            "deadline of 600 s reached (--timeout) at 400000 of 1000000 items; at this pace the job needs about 1500 s (--timeout 1800)"
        );
        // Without a total (or before any progress) there is no pace to go by.
        for progress in [None, Some((5, None)), Some((0, Some(10)))] {
            assert_eq!(deadline_message(deadline, elapsed, progress), "deadline of 600 s reached (--timeout)");
        }
    }

    #[test]
    fn long_or_large_batches_are_refused_with_a_reason() {
        let refusal = |len, bytes| match check_batch("update-imodel-batch", len, bytes).map_err(to_wit_error) {
            Err(SyncError::InvalidProps(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refusal(MAX_BATCH_ITEMS + 1, 0),
            "update-imodel-batch of 10001 items: over the limit of 10000 per call"
        );
        assert_eq!(
            refusal(10, MAX_BATCH_BYTES + 1),
            "update-imodel-batch of 64 MiB: over the limit of 64 MiB per call (send fewer items a call)"
        );
        assert!(check_batch("detect-changes-batch", MAX_BATCH_ITEMS, MAX_BATCH_BYTES).is_ok());
    }
}
