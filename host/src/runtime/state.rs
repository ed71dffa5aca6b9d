//! What a job's store holds, and the host side of the `host` and `synchronizer` imports.

use std::time::Instant;

use serde_json::Value;
use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{
    itwin::connector as wit, ChangeResult, CodeScope, DocumentRecord, ItemState, LogLevel, SourceDocument, SourceItem,
    SyncError,
};
use crate::imodel::id64::format as hex;
use crate::imodel::{Briefcase, CodeScopeType};
use crate::sync::{self, Synchronizer};

/// A line of the job's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Receives the guest's log lines and progress as they happen (the CLI prints them).
pub trait JobObserver: Send {
    fn log(&mut self, line: &LogLine);
    fn progress(&mut self, phase: &str, done: u64, total: Option<u64>);
}

/// The store's data: the sandbox, the briefcase and the synchronizer of one job.
pub struct JobState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub bim: Briefcase,
    pub sync: Synchronizer,
    pub phase: &'static str,
    pub connector_args: Value,
    /// The source file, for `host.read-source` (the sandbox mounts its folder for WASI guests).
    pub source: Option<std::path::PathBuf>,
    pub observer: Box<dyn JobObserver>,
    /// The first host failure; the guest is trapped and the job fails with this.
    pub host_failure: Option<String>,
    pub started: Instant,
}

impl WasiView for JobState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl JobState {
    /// Passes a synchronizer result to the guest; a host failure traps it instead.
    fn answer<T>(&mut self, result: Result<T, sync::SyncError>) -> wasmtime::Result<Result<T, SyncError>> {
        match result {
            Ok(v) => Ok(Ok(v)),
            Err(e) if e.is_host_failure() => {
                let message = e.to_string();
                self.host_failure = Some(message.clone());
                Err(wasmtime::format_err!("{message}"))
            }
            Err(e) => Ok(Err(to_wit_error(e))),
        }
    }
}

/// The most `host.read-source` returns per call: the bytes pass through host memory first.
const READ_SOURCE_CAP: u32 = 16 << 20;

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
        S::HostFailure(m) | S::OverBudget(m) => SyncError::HostFailure(m),
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
    serde_json::from_str(text).map_err(|e| sync::SyncError::InvalidProps(format!("not JSON: {e}")))
}

impl wit::types::Host for JobState {}

impl wit::host::Host for JobState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.observer.log(&LogLine { level, message });
        Ok(())
    }

    fn progress(&mut self, done: u64, total: Option<u64>) -> wasmtime::Result<()> {
        self.observer.progress(self.phase, done, total);
        Ok(())
    }

    fn connector_args(&mut self) -> wasmtime::Result<String> {
        Ok(self.connector_args.to_string())
    }

    fn source_size(&mut self) -> wasmtime::Result<Result<u64, String>> {
        let Some(path) = &self.source else { return Ok(Err("this job has no source file".into())) };
        Ok(std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("cannot read the source: {e}")))
    }

    fn read_source(&mut self, offset: u64, length: u32) -> wasmtime::Result<Result<Vec<u8>, String>> {
        let Some(path) = &self.source else { return Ok(Err("this job has no source file".into())) };
        Ok(read_range(path, offset, length.min(READ_SOURCE_CAP)).map_err(|e| format!("cannot read the source: {e}")))
    }
}

impl wit::synchronizer::Host for JobState {
    fn job_subject(&mut self) -> wasmtime::Result<String> {
        Ok(hex(self.sync.job_subject()))
    }

    fn record_document(&mut self, doc: SourceDocument) -> wasmtime::Result<Result<DocumentRecord, SyncError>> {
        let doc = sync::SourceDocument {
            docid: doc.docid,
            description: doc.description,
            last_modified: doc.last_modified,
            checksum: doc.checksum,
            url: doc.url,
        };
        let result = self.sync.record_document(&mut self.bim, &doc).map(|r| DocumentRecord {
            state: state_to_wit(r.state),
            repository_link: hex(r.repository_link),
            external_source: hex(r.external_source),
        });
        self.answer(result)
    }

    fn detect_changes(&mut self, item: SourceItem) -> wasmtime::Result<Result<ChangeResult, SyncError>> {
        let result = self.sync.detect_changes(&mut self.bim, &item_from_wit(item)).map(change_to_wit);
        self.answer(result)
    }

    fn detect_changes_batch(
        &mut self,
        items: Vec<SourceItem>,
    ) -> wasmtime::Result<Result<Vec<ChangeResult>, SyncError>> {
        let items: Vec<sync::SourceItem> = items.into_iter().map(item_from_wit).collect();
        let result = self
            .sync
            .detect_changes_batch(&mut self.bim, &items)
            .map(|all| all.into_iter().map(change_to_wit).collect());
        self.answer(result)
    }

    fn update_imodel(&mut self, item: SourceItem, element: String) -> wasmtime::Result<Result<String, SyncError>> {
        let result = parse_json(&element)
            .and_then(|props| self.sync.update_imodel_atomically(&mut self.bim, &item_from_wit(item), &props))
            .map(hex);
        self.answer(result)
    }

    fn update_imodel_batch(
        &mut self,
        items: Vec<(SourceItem, String)>,
    ) -> wasmtime::Result<Vec<Result<String, SyncError>>> {
        let mut out = Vec::with_capacity(items.len());
        for (item, element) in items {
            let result = parse_json(&element)
                .and_then(|props| self.sync.update_imodel_atomically(&mut self.bim, &item_from_wit(item), &props))
                .map(hex);
            out.push(self.answer(result)?);
        }
        Ok(out)
    }

    fn on_element_seen(&mut self, id: String) -> wasmtime::Result<()> {
        if let Ok(id) = sync::parse_id(&id, "id") {
            // Over budget, the guest is trapped and the job fails; nothing else is refused.
            let result = self.sync.mark_seen(id);
            let _ = self.answer(result)?;
        }
        Ok(())
    }

    fn on_elements_seen(&mut self, ids: Vec<String>) -> wasmtime::Result<()> {
        for id in ids {
            self.on_element_seen(id)?;
        }
        Ok(())
    }

    fn insert_element(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let result = parse_json(&props).and_then(|p| self.sync.insert_element(&mut self.bim, &p)).map(hex);
        self.answer(result)
    }

    fn update_element(&mut self, props: String) -> wasmtime::Result<Result<(), SyncError>> {
        let result = parse_json(&props).and_then(|p| self.sync.update_element(&mut self.bim, &p));
        self.answer(result)
    }

    fn delete_element(&mut self, id: String) -> wasmtime::Result<Result<(), SyncError>> {
        let result = sync::parse_id(&id, "id").and_then(|id| self.sync.delete_element(&mut self.bim, id));
        self.answer(result)
    }

    fn insert_model(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let result = parse_json(&props).and_then(|p| self.sync.insert_model(&mut self.bim, &p)).map(hex);
        self.answer(result)
    }

    fn insert_relationship(&mut self, props: String) -> wasmtime::Result<Result<String, SyncError>> {
        let result = parse_json(&props).and_then(|p| self.sync.insert_relationship(&mut self.bim, &p)).map(hex);
        self.answer(result)
    }

    fn find_relationships(
        &mut self,
        class: String,
        source: String,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, SyncError>> {
        let result = self
            .sync
            .find_relationships(&mut self.bim, &class, &source)
            .map(|rows| rows.into_iter().map(|(r, t)| (hex(r), hex(t))).collect());
        self.answer(result)
    }

    fn delete_relationship(&mut self, class: String, id: String) -> wasmtime::Result<Result<(), SyncError>> {
        let result = self.sync.delete_relationship(&mut self.bim, &class, &id);
        self.answer(result)
    }

    fn find_element_by_code(
        &mut self,
        spec: String,
        scope: String,
        value: String,
    ) -> wasmtime::Result<Result<Option<String>, SyncError>> {
        let result = self.sync.find_element_by_code(&mut self.bim, &spec, &scope, &value).map(|id| id.map(hex));
        self.answer(result)
    }

    fn element_props(&mut self, id: String) -> wasmtime::Result<Result<Option<String>, SyncError>> {
        let result = self.sync.element_props(&mut self.bim, &id).map(|p| p.map(|v| v.to_string()));
        self.answer(result)
    }

    fn ensure_code_spec(&mut self, name: String, scope: CodeScope) -> wasmtime::Result<Result<String, SyncError>> {
        let scope = match scope {
            CodeScope::Repository => CodeScopeType::Repository,
            CodeScope::Model => CodeScopeType::Model,
            CodeScope::ParentElement => CodeScopeType::ParentElement,
            CodeScope::RelatedElement => CodeScopeType::RelatedElement,
        };
        let result = self.sync.ensure_code_spec(&mut self.bim, &name, scope).map(hex);
        self.answer(result)
    }

    fn set_source_units(&mut self, metres_per_unit: f64) -> wasmtime::Result<Result<(), SyncError>> {
        let result = self.sync.set_source_units(metres_per_unit);
        self.answer(result)
    }
}
