//! Source documents: RepositoryLink + ExternalSource + the document's aspect, written by the host.

use serde_json::json;

use super::{DocumentRecord, ItemState, RecordedDocument, SourceDocument, SyncError, Synchronizer, DOCUMENT_KIND};
use crate::imodel::id64::format as hex;
use crate::imodel::Briefcase;

/// The repository model and root subject: where repository-level rows live, and their scope.
const REPOSITORY: i64 = 1;

impl Synchronizer {
    /// Records a source document (framework `recordDocument`): finds or writes its
    /// RepositoryLink (code spec `bis:LinkElement`, scope 0x1, value = docid) with a
    /// "DocumentWithBeGuid" aspect, and its ExternalSource. The aspect's version and checksum
    /// are written by [`Synchronizer::finish_documents`], only when the job succeeds.
    pub fn record_document(&mut self, bim: &mut Briefcase, doc: &SourceDocument) -> Result<DocumentRecord, SyncError> {
        if doc.docid.is_empty() {
            return Err(SyncError::InvalidProps("a source document needs a non-empty `docid`".into()));
        }
        let key = doc.docid.to_lowercase();
        if let Some(known) = self.documents.get(&key) {
            return Ok(known.record);
        }
        let spec = bim
            .code_spec_by_name("bis:LinkElement")?
            .ok_or_else(|| SyncError::HostFailure("the iModel has no bis:LinkElement code spec".into()))?;
        let link_props = json!({
            "classFullName": "BisCore:RepositoryLink", "model": hex(REPOSITORY),
            "code": { "spec": hex(spec), "scope": hex(REPOSITORY), "value": doc.docid },
            "userLabel": doc.description, "description": doc.description, "url": doc.url,
        });
        let (state, link, aspect) = match bim.find_element_by_code(spec, REPOSITORY, &doc.docid)? {
            Some(link) => {
                let found = bim.find_external_source_aspects(REPOSITORY, DOCUMENT_KIND, &doc.docid)?;
                let aspect = found.into_iter().next().ok_or_else(|| {
                    SyncError::InvalidProps(format!(
                        "a RepositoryLink with code {:?} exists but was not recorded as a document (another scope or kind?)",
                        doc.docid
                    ))
                })?;
                let unchanged = (doc.last_modified.is_some() && doc.last_modified == aspect.version)
                    || (doc.checksum.as_ref().or(doc.last_modified.as_ref())
                        == aspect.checksum.as_ref().or(aspect.version.as_ref()));
                let state = if unchanged { ItemState::Unchanged } else { ItemState::Changed };
                if state == ItemState::Changed {
                    let mut update = link_props.clone();
                    update["id"] = json!(hex(link));
                    bim.update_element(&update)?;
                    self.stats.tally("BisCore:RepositoryLink").updated += 1;
                } else {
                    self.stats.tally("BisCore:RepositoryLink").unchanged += 1;
                }
                (state, link, aspect.id)
            }
            None => {
                let link = bim.insert_element(&link_props)?;
                let aspect = bim.insert_aspect(&json!({
                    "classFullName": "BisCore:ExternalSourceAspect", "element": { "id": hex(link) },
                    "scope": { "id": hex(REPOSITORY) }, "identifier": doc.docid, "kind": DOCUMENT_KIND,
                }))?;
                self.stats.tally("BisCore:RepositoryLink").inserted += 1;
                (ItemState::New, link, aspect)
            }
        };
        let external_source =
            match bim.find_elements_by_navigation("BisCore:ExternalSource", "repository", link)?.first() {
                Some(&existing) => existing,
                None => {
                    self.stats.tally("BisCore:ExternalSource").inserted += 1;
                    bim.insert_element(&json!({
                        "classFullName": "BisCore:ExternalSource", "model": hex(REPOSITORY),
                        "userLabel": doc.docid, "repository": { "id": hex(link) },
                        "connectorName": self.connector_name, "connectorVersion": self.connector_version,
                    }))?
                }
            };
        self.on_element_seen(link);
        let record = DocumentRecord { state, repository_link: link, external_source };
        self.documents.insert(
            key,
            RecordedDocument { record, aspect, version: doc.last_modified.clone(), checksum: doc.checksum.clone() },
        );
        Ok(record)
    }

    /// The documents recorded this run.
    pub fn documents(&self) -> impl Iterator<Item = DocumentRecord> + '_ {
        self.documents.values().map(|d| d.record)
    }

    /// Writes each recorded document's version and checksum: the last step of a successful job,
    /// so a job that fails leaves its documents looking changed to the next run.
    pub fn finish_documents(&mut self, bim: &mut Briefcase) -> Result<(), SyncError> {
        for doc in self.documents.values() {
            bim.update_aspect(&json!({ "id": hex(doc.aspect), "version": doc.version, "checksum": doc.checksum }))?;
        }
        Ok(())
    }
}
