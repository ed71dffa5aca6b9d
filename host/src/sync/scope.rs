//! Job-subject scoping: a connector may only write under its own job subject.

use super::{SyncError, Synchronizer};
use crate::imodel::{id64, Briefcase};

/// The repository model, which holds subjects, partitions and repository-level rows.
const REPOSITORY_MODEL: i64 = 1;

impl Synchronizer {
    /// Whether `id` lies under the job subject: by its parent chain, or by the model it is in
    /// (whose modeled element is then followed the same way).
    pub(crate) fn is_in_job(&mut self, bim: &Briefcase, id: i64) -> Result<bool, SyncError> {
        if self.job_subject == 0 {
            return Ok(false);
        }
        let mut path = Vec::new();
        let mut current = id;
        let verdict = loop {
            if let Some(&known) = self.in_scope.get(&current) {
                break known;
            }
            path.push(current);
            match bim.parent_and_model(current)? {
                None => break false,
                Some((Some(parent), _)) => current = parent,
                Some((None, REPOSITORY_MODEL)) => break false,
                Some((None, model)) => current = model,
            }
        };
        for id in path {
            self.in_scope.insert(id, verdict);
        }
        Ok(verdict)
    }

    /// Refuses writes that would land outside the job subject.
    pub(crate) fn require_in_job(&mut self, bim: &Briefcase, id: i64, what: &str) -> Result<(), SyncError> {
        if self.is_in_job(bim, id)? {
            Ok(())
        } else {
            Err(SyncError::OutOfScope(format!(
                "{what} {} is not under the job subject {}",
                id64::format(id),
                id64::format(self.job_subject)
            )))
        }
    }

    /// The element a new element would belong to: its parent, or else its model.
    pub(crate) fn owner_of_new(props: &serde_json::Value) -> Result<i64, SyncError> {
        let owner = props.get("parent").filter(|p| !p.is_null()).or_else(|| props.get("model"));
        let owner = owner.ok_or_else(|| SyncError::InvalidProps("element props need a `model`".into()))?;
        id64::from_json(owner, "parent or model").map_err(|e| SyncError::InvalidProps(e.to_string()))
    }

    /// Forgets cached scope verdicts for elements that were deleted.
    pub(crate) fn forget_scope(&mut self) {
        let job = self.job_subject;
        self.in_scope.clear();
        self.in_scope.insert(job, true);
    }
}
