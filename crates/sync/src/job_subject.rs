//! Job subjects: created by the host only, directly under the root subject, and bound to the
//! connector that created them and to their source.
//!
//! A job subject's `Subject.Job` JSON keeps the framework's keys (`Bridge`, `BridgeVersion`,
//! `BridgeType`) and ours (`ConnectorName`, `Source`). A later run may continue a job only with
//! the same connector name and source; a name that leads to the root subject, to another
//! connector's or another source's job subject, or to a Subject the host did not create as a
//! job subject is refused before the connector writes anything.

use serde_json::{json, Value};

use super::scope::ROOT;
use super::{SyncError, Synchronizer};
use itwin_imodel::id64::format as hex;
use itwin_imodel::Briefcase;

/// What `Subject.Job.Properties.BridgeType` says of job subjects this host creates.
const BRIDGE_TYPE: &str = "WasmConnector";

/// Who a job is: its subject's code value, the connector and the source it was created for.
#[derive(Debug, Clone)]
pub struct JobIdentity<'a> {
    /// The job subject's code value (`<connector>:<source>` unless the connector names it).
    pub subject_name: &'a str,
    /// The connector's name.
    pub connector: &'a str,
    /// The connector's version.
    pub connector_version: &'a str,
    /// The source as the job names it.
    pub source: &'a str,
    /// The channel the job's elements are in (a `BisCore:ChannelRootAspect` on the job
    /// subject); `None` for the shared channel.
    pub channel_key: Option<&'a str>,
}

impl Synchronizer {
    /// Finds the job subject of `job` or creates it under the root subject; true if it was
    /// created now. Refuses (`out-of-scope`) a subject that is not this job's.
    ///
    /// # Errors
    /// [`SyncError::OutOfScope`] when the name is the root subject's or another connector's or source's job subject, or a Subject the host did not create; write errors as host failures.
    pub fn ensure_job_subject(&mut self, bim: &mut Briefcase, job: &JobIdentity<'_>) -> Result<(i64, bool), SyncError> {
        let spec = bim
            .code_spec_by_name("bis:Subject")?
            .ok_or_else(|| SyncError::HostFailure("the iModel has no bis:Subject code spec".into()))?;
        let name = job.subject_name;
        if name.trim().is_empty() {
            return Err(SyncError::InvalidProps("the job subject name is empty".into()));
        }
        let id = match bim.find_element_by_code(spec, ROOT, name)? {
            Some(ROOT) => {
                return Err(SyncError::OutOfScope(format!(
                    "the job subject name {name:?} is the root subject's: a job needs a subject of its own"
                )))
            }
            Some(id) => {
                self.adopt_job_subject(bim, id, job)?;
                (id, false)
            }
            None => {
                let id = bim.insert_element(&json!({
                    "classFullName": "BisCore:Subject", "model": hex(ROOT),
                    "code": { "spec": hex(spec), "scope": hex(ROOT), "value": name },
                    "parent": { "id": hex(ROOT), "relClassName": "BisCore:SubjectOwnsSubjects" },
                    "jsonProperties": { "Subject": { "Job": job_json(job) } },
                }))?;
                self.stats.tally("BisCore:Subject").inserted += 1;
                (id, true)
            }
        };
        if let Some(key) = job.channel_key {
            self.ensure_channel_root(bim, id.0, key)?;
        }
        Ok(id)
    }

    /// Checks that an existing Subject is this job's subject; records the source on job
    /// subjects made before it was recorded.
    fn adopt_job_subject(&mut self, bim: &mut Briefcase, id: i64, job: &JobIdentity<'_>) -> Result<(), SyncError> {
        let name = job.subject_name;
        let props = bim.element_props(id)?.unwrap_or_default();
        let under_root = props.pointer("/parent/id").and_then(Value::as_str) == Some("0x1");
        let is_subject = props.get("classFullName").and_then(Value::as_str) == Some("BisCore:Subject");
        let recorded = props.pointer("/jsonProperties/Subject/Job").cloned().unwrap_or(Value::Null);
        let made_here = recorded.pointer("/Properties/BridgeType").and_then(Value::as_str) == Some(BRIDGE_TYPE);
        if !(under_root && is_subject && made_here) {
            return Err(SyncError::OutOfScope(format!(
                "{name:?} ({}) is not a job subject itwin-host created: a job cannot adopt it",
                hex(id)
            )));
        }
        let owner = recorded.get("Bridge").and_then(Value::as_str).unwrap_or_default();
        if owner != job.connector {
            return Err(SyncError::OutOfScope(format!(
                "job subject {name:?} belongs to connector {owner:?}, not {:?}",
                job.connector
            )));
        }
        match recorded.pointer("/Properties/Source").and_then(Value::as_str) {
            Some(source) if source == job.source => Ok(()),
            Some(source) => Err(SyncError::OutOfScope(format!(
                "job subject {name:?} was created for source {source:?}, not {:?}",
                job.source
            ))),
            None => {
                // Made by a host that did not record sources: this run's source is the job's.
                let mut json = props.get("jsonProperties").cloned().unwrap_or_else(|| json!({}));
                json["Subject"]["Job"]["Properties"]["Source"] = json!(job.source);
                bim.update_element(&json!({ "id": hex(id), "jsonProperties": json }))?;
                Ok(())
            }
        }
    }

    /// Makes the job subject a channel root with `key` unless it already is one.
    fn ensure_channel_root(&mut self, bim: &mut Briefcase, subject: i64, key: &str) -> Result<(), SyncError> {
        if bim.channel_root_owner(subject)?.is_some() {
            return Ok(());
        }
        bim.insert_aspect(&json!({
            "classFullName": "BisCore:ChannelRootAspect",
            "element": { "id": hex(subject), "relClassName": "BisCore:ElementOwnsChannelRootAspect" },
            "owner": key,
        }))?;
        Ok(())
    }
}

/// The connector a job subject records (`Subject.Job.Bridge`), if `subject` is one.
pub(super) fn job_connector(bim: &mut Briefcase, subject: i64) -> Result<Option<String>, SyncError> {
    let props = bim.element_props(subject)?;
    Ok(props.and_then(|p| p.pointer("/jsonProperties/Subject/Job/Bridge")?.as_str().map(str::to_owned)))
}

/// The `Subject.Job` JSON of a new job subject.
fn job_json(job: &JobIdentity<'_>) -> Value {
    json!({
        "Properties": {
            "BridgeVersion": job.connector_version, "BridgeType": BRIDGE_TYPE,
            "ConnectorName": job.connector, "Source": job.source,
        },
        "Bridge": job.connector,
    })
}
