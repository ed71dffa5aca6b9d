//! Source documents: RepositoryLink + ExternalSource + the document's aspect, written by the host.

use serde_json::json;

use super::job_subject::job_connector;
use super::{DocumentRecord, ItemState, RecordedDocument, SourceDocument, SyncError, Synchronizer, DOCUMENT_KIND};
use itwin_imodel::id64::format as hex;
use itwin_imodel::Briefcase;

/// The repository model and root subject: where repository-level rows live, and their scope.
const REPOSITORY: i64 = 1;

impl Synchronizer {
    /// Records a source document (framework `recordDocument`): finds or writes its
    /// RepositoryLink (code spec `bis:LinkElement`, scope 0x1, value = docid) with a
    /// "DocumentWithBeGuid" aspect, and its ExternalSource. The aspect's version and checksum
    /// are written by [`Synchronizer::finish_documents`], only when the job succeeds.
    ///
    /// # Errors
    /// [`SyncError::OutOfScope`] for a document another job owns; write errors as host failures.
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
        let (state, link, aspect, owner, link_update) = match bim.find_element_by_code(spec, REPOSITORY, &doc.docid)? {
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
                let owner = document_owner(aspect.json_properties.as_deref());
                self.check_document_owner(&doc.docid, owner)?;
                // Before the job subject is known, a document of another connector's job is
                // refused at once; one of this connector's other jobs when the subject is found.
                if let (0, Some(owner)) = (self.job_subject, owner) {
                    if job_connector(bim, owner)?.as_deref() != Some(self.connector_name.as_str()) {
                        return Err(SyncError::OutOfScope(format!(
                            "document {:?} belongs to another connector's job (job subject {}): a document is recorded by one job only",
                            doc.docid,
                            hex(owner)
                        )));
                    }
                }
                // The link's url and label change only when the job succeeds (and so only once
                // the document is known to be this job's): see `finish_documents`.
                let link_update = (state == ItemState::Changed).then(|| {
                    let mut update = link_props.clone();
                    update["id"] = json!(hex(link));
                    update
                });
                if state == ItemState::Changed {
                    self.stats.tally("BisCore:RepositoryLink").updated += 1;
                } else {
                    self.stats.tally("BisCore:RepositoryLink").unchanged += 1;
                }
                (state, link, aspect.id, owner, link_update)
            }
            None => {
                let link = bim.insert_element(&link_props)?;
                let aspect = bim.insert_aspect(&json!({
                    "classFullName": "BisCore:ExternalSourceAspect", "element": { "id": hex(link) },
                    "scope": { "id": hex(REPOSITORY) }, "identifier": doc.docid, "kind": DOCUMENT_KIND,
                }))?;
                self.stats.tally("BisCore:RepositoryLink").inserted += 1;
                (ItemState::New, link, aspect, None, None)
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
            RecordedDocument {
                docid: doc.docid.clone(),
                record,
                aspect,
                owner,
                link_update,
                version: doc.last_modified.clone(),
                checksum: doc.checksum.clone(),
            },
        );
        Ok(record)
    }

    /// The RepositoryLinks of every document this job owns, recorded this run or not: what an
    /// unmap removes besides the job subject's tree.
    ///
    /// # Errors
    /// The reader's errors, as [`SyncError::HostFailure`].
    pub fn owned_document_links(&self, bim: &mut Briefcase) -> Result<Vec<i64>, SyncError> {
        let mut links: Vec<i64> = self.documents().map(|d| d.repository_link).collect();
        for aspect in bim.external_source_aspects_in_scope(REPOSITORY, DOCUMENT_KIND)? {
            if self.job_subject != 0 && document_owner(aspect.json_properties.as_deref()) == Some(self.job_subject) {
                links.push(aspect.element_id);
            }
        }
        links.sort_unstable();
        links.dedup();
        Ok(links)
    }

    /// The documents recorded this run.
    pub fn documents(&self) -> impl Iterator<Item = DocumentRecord> + '_ {
        self.documents.values().map(|d| d.record)
    }

    /// Checks that every document recorded before the job subject was known is this job's: a
    /// document belongs to the job that first recorded it.
    ///
    /// # Errors
    /// [`SyncError::OutOfScope`] when a recorded document belongs to another job of the connector.
    pub fn bind_documents(&self) -> Result<(), SyncError> {
        for doc in self.documents.values() {
            self.check_document_owner(&doc.docid, doc.owner)?;
        }
        Ok(())
    }

    fn check_document_owner(&self, docid: &str, owner: Option<i64>) -> Result<(), SyncError> {
        match owner {
            Some(owner) if self.job_subject != 0 && owner != self.job_subject => Err(SyncError::OutOfScope(format!(
                "document {docid:?} belongs to another job (job subject {}): a document is recorded by one job only",
                hex(owner)
            ))),
            _ => Ok(()),
        }
    }

    /// Writes each recorded document's version, checksum, owner and changed link: the last step
    /// of a successful job, so a job that fails leaves its documents looking changed to the next
    /// run.
    ///
    /// # Errors
    /// The writer's errors, as [`SyncError::HostFailure`].
    pub fn finish_documents(&mut self, bim: &mut Briefcase) -> Result<(), SyncError> {
        self.bind_documents()?;
        let mut owner = serde_json::Map::new();
        owner.insert(OWNER_KEY.into(), json!(hex(self.job_subject)));
        for doc in self.documents.values() {
            if let Some(update) = &doc.link_update {
                bim.update_element(update)?;
            }
            bim.update_aspect(&json!({
                "id": hex(doc.aspect), "version": doc.version, "checksum": doc.checksum, "jsonProperties": owner,
            }))?;
        }
        Ok(())
    }
}

/// The key of a document aspect's JSON that names the job subject owning the document.
const OWNER_KEY: &str = "jobSubject";

/// The job subject a document aspect's JSON names, if any (documents older hosts wrote have none).
fn document_owner(json: Option<&str>) -> Option<i64> {
    let value: serde_json::Value = serde_json::from_str(json?).ok()?;
    itwin_imodel::id64::parse(value.get(OWNER_KEY)?.as_str()?, OWNER_KEY).ok()
}
