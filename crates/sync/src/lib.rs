//! The synchronizer: the iTwin.js connector framework's change detection, element writing and
//! deletion, performed by the host on the connector's behalf, with every write checked against
//! the connector's job subject.
//!
//! Semantics follow `@itwin/connector-framework` 2.4 (see DEVELOPERS.md), with its known bugs
//! fixed: children are tracked by their own aspects (scope = parent) instead of copies of the
//! parent's, unlisted children are deleted with the update that drops them, aspects are updated
//! by id, an empty item id is refused, and documents found unchanged protect only their own
//! elements from channel-based deletion instead of turning deletion off.

#![warn(missing_docs)]

mod config_link;
mod deletion;
mod documents;
mod error;
mod frame;
#[cfg(test)]
mod fuzz_tests;
mod id_set;
mod items;
mod job_subject;
mod scope;
#[cfg(test)]
mod scope_tests;
mod stats;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
mod views;

use std::collections::{HashMap, HashSet};

pub use error::SyncError;
pub use frame::SourceFrame;
use id_set::IdSet;
pub use job_subject::JobIdentity;

pub use stats::{Stats, Tally};
pub use views::write_job_view;

use itwin_imodel::{id64, Briefcase};

/// What change detection found (the WIT `item-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Same version, or same checksum.
    Unchanged,
    /// No element has its aspect yet.
    New,
    /// Its version or checksum changed.
    Changed,
}

/// A source item (the WIT `source-item`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceItem {
    /// The item's id in the source (the aspect's Identifier).
    pub id: String,
    /// The aspect's Kind (default `Element`).
    pub kind: Option<String>,
    /// The scope element's id (default the document's ExternalSource).
    pub scope: Option<String>,
    /// The item's version in the source.
    pub version: Option<String>,
    /// The item's checksum.
    pub checksum: Option<String>,
}

/// The answer of change detection (the WIT `change-result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeResult {
    /// What detection found.
    pub state: ItemState,
    /// The element the item was written to, when there is one.
    pub element_id: Option<i64>,
}

/// A source document (the WIT `source-document`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceDocument {
    /// The document's id (the RepositoryLink's identifier).
    pub docid: String,
    /// Its label.
    pub description: Option<String>,
    /// Its modification time, as the version.
    pub last_modified: Option<String>,
    /// Its checksum.
    pub checksum: Option<String>,
    /// Its URL.
    pub url: Option<String>,
}

/// What `record_document` found or wrote (the WIT `document-record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentRecord {
    /// What detection found for the document.
    pub state: ItemState,
    /// Its RepositoryLink.
    pub repository_link: i64,
    /// Its ExternalSource.
    pub external_source: i64,
}

/// How unseen elements are found at the end of a run (the WIT `deletion-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionMode {
    /// Every unseen element of the job's channel (its subject tree) is deleted.
    Channel,
    /// Unseen elements of the documents seen changed are deleted.
    File,
    /// Nothing is deleted.
    None,
}

/// The most items change detection remembers as new between detecting and writing them (sparing
/// the write a second lookup): a connector detects a chunk and writes it, so a few batches' worth
/// is all that helps. Beyond it items are simply looked up again, so host memory stays bounded
/// (an identifier of ~40 bytes each: ~4 MB at the limit).
const MAX_DETECTED_NEW: usize = 100_000;

/// The aspect kind of a document's RepositoryLink, as the framework writes it.
pub const DOCUMENT_KIND: &str = "DocumentWithBeGuid";
/// The aspect kind of items that do not name one.
pub const DEFAULT_KIND: &str = "Element";

/// A recorded document, and the version its aspect gets if the job succeeds.
#[derive(Debug, Clone)]
struct RecordedDocument {
    docid: String,
    record: DocumentRecord,
    aspect: i64,
    /// The job subject the document's aspect names as its owner, if it names one.
    owner: Option<i64>,
    /// The RepositoryLink update a changed document gets when the job succeeds.
    link_update: Option<serde_json::Value>,
    version: Option<String>,
    checksum: Option<String>,
}

/// One job's synchronizer state.
pub struct Synchronizer {
    job_subject: i64,
    connector_name: String,
    connector_version: String,
    documents: HashMap<String, RecordedDocument>,
    /// Elements present in the source this run; deletion keeps them.
    seen_elements: IdSet,
    /// Aspects change detection found this run (each unchanged item is counted once).
    seen_aspects: IdSet,
    /// Elements change detection named to the connector this run: existing elements it may mark
    /// seen without a lookup.
    detected_elements: IdSet,
    /// (scope, kind, identifier) of items change detection found untracked this run, so that
    /// writing them needs no second lookup. Only aspects the synchronizer writes itself can
    /// make such a key tracked, and it takes the key out when it does.
    /// Kind → scope → identifiers, so that lookups borrow the item's strings.
    detected_new: HashMap<String, HashMap<i64, HashSet<String>>>,
    /// How many identifiers `detected_new` holds (at most [`MAX_DETECTED_NEW`]).
    detected_new_count: usize,
    /// Which tree elements belong to (see `scope`).
    scope: scope::ScopeCache,
    /// How the connector's coordinates become the iModel's (units, global origin).
    frame: SourceFrame,
    /// Models known to be spatial (or not), for the global origin.
    spatial_models: HashMap<i64, bool>,
    stats: Stats,
}

impl Synchronizer {
    /// A synchronizer for a connector; its job subject is set once the runner has it
    /// ([`Synchronizer::set_job_subject`]); until then only documents can be recorded.
    pub fn new(connector_name: &str, connector_version: &str) -> Self {
        Synchronizer {
            job_subject: 0,
            connector_name: connector_name.to_owned(),
            connector_version: connector_version.to_owned(),
            documents: HashMap::new(),
            seen_elements: IdSet::default(),
            seen_aspects: IdSet::default(),
            detected_elements: IdSet::default(),
            detected_new: HashMap::new(),
            detected_new_count: 0,
            scope: scope::ScopeCache::default(),
            frame: SourceFrame::default(),
            spatial_models: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// The job subject's id (0 before `initialize-job`).
    pub fn job_subject(&self) -> i64 {
        self.job_subject
    }

    /// Sets the job subject, forgetting what was cached about scope.
    pub fn set_job_subject(&mut self, id: i64) {
        self.job_subject = id;
        self.forget_scope();
    }

    /// Marks an element as present in the source this run: deletion detection keeps it, and
    /// the children tracked under it (written through its `children`); what lies in its
    /// sub-model is judged on its own.
    pub fn on_element_seen(&mut self, id: i64) {
        if self.seen_elements.insert(id) {
            self.stats.seen += 1;
        }
    }

    /// [`Synchronizer::on_element_seen`] for the connector's own requests. Only elements that
    /// exist are remembered (marking anything else changes nothing), so the seen set is bounded
    /// by the iModel, whatever ids a connector sends.
    ///
    /// # Errors
    /// SQLite failures of the existence check.
    pub fn mark_seen(&mut self, bim: &mut Briefcase, id: i64) -> Result<(), SyncError> {
        if self.seen_elements.contains(id) {
            return Ok(());
        }
        if self.detected_elements.contains(id) || bim.element_class_name(id)?.is_some() {
            self.on_element_seen(id);
        }
        Ok(())
    }

    /// Counts of what the job wrote, per class.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub(crate) fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    /// The ExternalSource of the only recorded document, the default `source` of aspects.
    fn single_external_source(&self) -> Option<i64> {
        let mut sources = self.documents.values().map(|d| d.record.external_source);
        match (sources.next(), sources.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }
}

/// Parses an id given by a connector, naming `what` in the error.
///
/// # Errors
/// [`SyncError::InvalidProps`] naming `what` when `text` is not a hex or decimal id.
pub fn parse_id(text: &str, what: &str) -> Result<i64, SyncError> {
    id64::parse(text, what).map_err(|e| SyncError::InvalidProps(e.to_string()))
}
