//! The job-level records the framework keeps beside the elements: the SynchronizationConfigLink
//! all sources share, its relationships to each document's ExternalSource, and unmapping a job.

use serde_json::{json, Value};

use itwin_imodel::id64::format as hex;
use itwin_imodel::Briefcase;

use crate::{views, SyncError, Synchronizer};

/// The code value of the SynchronizationConfigLink all sources share (as the framework has it).
const SYNCH_CONFIG: &str = "SynchConfig";
/// The relationship from the config link to each source's ExternalSource.
const SPECIFIES_ROOT_SOURCES: &str = "BisCore:SynchronizationConfigSpecifiesRootSources";

impl Synchronizer {
    /// Finds or writes the SynchronizationConfigLink all sources share; `extra` (the connector's
    /// `synch-config` JSON object) is merged into its props when it is written.
    ///
    /// # Errors
    /// A host failure when the file has no `bis:LinkElement` code spec, or the write fails.
    pub fn ensure_config_link(&mut self, bim: &mut Briefcase, extra: Option<&Value>) -> Result<i64, SyncError> {
        let spec = bim
            .code_spec_by_name("bis:LinkElement")?
            .ok_or_else(|| SyncError::HostFailure("no bis:LinkElement code spec".into()))?;
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

    /// Relates the config link to the ExternalSource of each document recorded in this job.
    ///
    /// # Errors
    /// The writer's error, as a host failure.
    pub fn relate_config_to_documents(&mut self, bim: &mut Briefcase, config: i64) -> Result<(), SyncError> {
        let sources: Vec<i64> = self.documents().map(|d| d.external_source).collect();
        for source in sources {
            if bim.find_relationships(SPECIFIES_ROOT_SOURCES, config, source)?.is_empty() {
                bim.insert_relationship(
                    &json!({ "classFullName": SPECIFIES_ROOT_SOURCES, "sourceId": hex(config), "targetId": hex(source) }),
                )?;
            }
        }
        Ok(())
    }

    /// Removes everything of the job: its subject tree (its view included), its documents'
    /// RepositoryLinks and ExternalSources, and the config link if no other source still uses it.
    ///
    /// # Errors
    /// The writer's error, as a host failure.
    pub fn unmap(&mut self, bim: &mut Briefcase, subject: i64, config: i64) -> Result<(), SyncError> {
        self.delete_tracked_subtree(bim, subject)?;
        // Every document the job owns, also those the connector did not record in this run.
        for link in self.owned_document_links(bim)? {
            for source in bim.find_elements_by_navigation("BisCore:ExternalSource", "repository", link)? {
                self.delete_tracked_subtree(bim, source)?;
            }
            self.delete_tracked_subtree(bim, link)?;
        }
        if bim.relationships_from(SPECIFIES_ROOT_SOURCES, config)?.is_empty() {
            self.delete_tracked_subtree(bim, config)?;
        }
        // The job's view went with its subject tree; the default view may have been it.
        views::repair_default_view(bim)
    }
}
