//! Deleting the tracked elements a run did not see.

use std::collections::{HashMap, HashSet};

use super::{DeletionMode, ItemState, SyncError, Synchronizer};
use crate::imodel::{Briefcase, TreeRow};

impl Synchronizer {
    /// Deletes tracked elements (elements with an ExternalSourceAspect) that this run did not
    /// see, by `mode`; returns how many elements were deleted.
    ///
    /// * channel: under the job subject. Elements whose aspect comes from a document found
    ///   unchanged this run are kept (the framework instead skips deletion entirely when any
    ///   document is unchanged).
    /// * file: reachable from the scopes of documents found changed this run.
    pub fn delete_unseen(&mut self, bim: &mut Briefcase, mode: DeletionMode) -> Result<usize, SyncError> {
        let aspects = bim.all_external_source_aspects()?;
        let doomed = match mode {
            DeletionMode::None => return Ok(0),
            DeletionMode::Channel => {
                let unchanged_sources: HashSet<i64> =
                    self.documents().filter(|d| d.state == ItemState::Unchanged).map(|d| d.external_source).collect();
                let mut tracked: HashMap<i64, bool> = HashMap::new();
                for a in &aspects {
                    let protected = a.source.is_some_and(|s| unchanged_sources.contains(&s));
                    let entry = tracked.entry(a.element_id).or_insert(false);
                    *entry |= protected;
                }
                self.unseen_in_channel(bim, &tracked)?
            }
            DeletionMode::File => {
                let changed: Vec<i64> =
                    self.documents().filter(|d| d.state == ItemState::Changed).map(|d| d.repository_link).collect();
                self.unseen_in_files(&aspects, changed)
            }
        };
        let mut deleted = 0;
        for id in doomed {
            // An earlier subtree delete may already have taken it.
            if bim.element_class_name(id)?.is_some() {
                let before = self.stats.total().deleted;
                self.delete_tracked_subtree(bim, id)?;
                deleted += self.stats.total().deleted - before;
            }
        }
        self.forget_scope();
        Ok(deleted)
    }

    /// Walks the job subject's tree (children, then sub-model contents); a seen element keeps
    /// its whole subtree, an unseen tracked one is deleted with it, untracked ones are walked.
    fn unseen_in_channel(&self, bim: &Briefcase, tracked: &HashMap<i64, bool>) -> Result<Vec<i64>, SyncError> {
        let rows = bim.element_tree()?;
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut model_tops: HashMap<i64, Vec<i64>> = HashMap::new();
        for TreeRow { id, parent, model } in rows {
            match parent {
                Some(p) => children.entry(p).or_default().push(id),
                None => model_tops.entry(model).or_default().push(id),
            }
        }
        let mut doomed = Vec::new();
        let mut stack = vec![self.job_subject];
        while let Some(id) = stack.pop() {
            let owned = children.get(&id).into_iter().flatten().chain(model_tops.get(&id).into_iter().flatten());
            for &next in owned {
                // The repository model contains its own modeled element (the root subject).
                if next == id || self.seen_elements.contains(&next) {
                    continue;
                }
                match tracked.get(&next) {
                    Some(false) => doomed.push(next),
                    Some(true) => {}
                    None => stack.push(next),
                }
            }
        }
        Ok(doomed)
    }

    /// From each changed document's link, every element tracked in that scope, and recursively
    /// in the scope of those elements; the unseen ones go.
    fn unseen_in_files(&self, aspects: &[crate::imodel::ExternalSourceAspectRow], changed_links: Vec<i64>) -> Vec<i64> {
        let mut by_scope: HashMap<i64, Vec<i64>> = HashMap::new();
        for a in aspects {
            by_scope.entry(a.scope).or_default().push(a.element_id);
        }
        let mut visited: HashSet<i64> = HashSet::new();
        let mut queue = changed_links;
        let mut doomed = Vec::new();
        while let Some(scope) = queue.pop() {
            for &element in by_scope.get(&scope).into_iter().flatten() {
                if !visited.insert(element) {
                    continue;
                }
                if !self.seen_elements.contains(&element) {
                    doomed.push(element);
                }
                queue.push(element);
            }
        }
        doomed
    }
}
