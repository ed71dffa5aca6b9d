//! Deleting the tracked elements a run did not see.

use std::collections::{HashMap, HashSet};

use super::{DeletionMode, ItemState, SyncError, Synchronizer};
use itwin_imodel::{AspectProvenance, Briefcase, TreeRow};

impl Synchronizer {
    /// Deletes tracked elements (elements with an ExternalSourceAspect) that this run did not
    /// see, by `mode`; returns how many elements were deleted.
    ///
    /// * channel: under the job subject, walking into seen and untracked elements as the
    ///   framework's `deleteElementSubTrees` does. Elements whose aspect comes from a document
    ///   found unchanged this run are kept (the framework instead skips deletion entirely when
    ///   any document is unchanged; an element of no known document is kept then too).
    /// * file: reachable from the scopes of documents found changed this run.
    ///
    /// In both modes a child tracked under its parent (written through `children`, aspect scope
    /// = parent) belongs to that parent's update: it stays while its parent stays.
    ///
    /// # Errors
    /// The writer's errors, as [`SyncError::HostFailure`].
    pub fn delete_unseen(&mut self, bim: &mut Briefcase, mode: DeletionMode) -> Result<usize, SyncError> {
        let doomed = match mode {
            DeletionMode::None => return Ok(0),
            DeletionMode::Channel => {
                let aspects = bim.external_source_aspect_provenance()?;
                let tracked = self.tracked_in_channel(&aspects);
                // The walk only ever deletes an unseen tracked element no unchanged document
                // vouches for; when there is none anywhere (an unchanged re-run), skip it.
                if tracked.iter().all(|(id, &vouched)| vouched || self.seen_elements.contains(id)) {
                    Vec::new()
                } else {
                    self.unseen_in_channel(bim, &aspects, &tracked)?
                }
            }
            DeletionMode::File => {
                let aspects = bim.external_source_aspect_provenance()?;
                let changed: Vec<i64> =
                    self.documents().filter(|d| d.state == ItemState::Changed).map(|d| d.repository_link).collect();
                self.unseen_in_files(bim, &aspects, changed)?
            }
        };
        let before = self.stats.total().deleted;
        self.delete_unless_used(bim, doomed)?;
        self.forget_scope();
        Ok(self.stats.total().deleted - before)
    }

    /// Tracked elements, and whether a document found unchanged this run vouches for them: by
    /// the aspect's source, else by its scope (a document's RepositoryLink); an element of no
    /// known document is vouched for when any document is unchanged (the framework's rule).
    fn tracked_in_channel(&self, aspects: &[AspectProvenance]) -> HashMap<i64, bool> {
        let mut unchanged_sources = HashSet::new();
        let mut unchanged_links = HashSet::new();
        let mut other_links = HashSet::new();
        for d in self.documents() {
            if d.state == ItemState::Unchanged {
                unchanged_sources.insert(d.external_source);
                unchanged_links.insert(d.repository_link);
            } else {
                other_links.insert(d.repository_link);
            }
        }
        let any_unchanged = !unchanged_sources.is_empty();
        let mut tracked: HashMap<i64, bool> = HashMap::new();
        for a in aspects {
            let protected = match a.source {
                Some(source) => unchanged_sources.contains(&source),
                None if unchanged_links.contains(&a.scope) => true,
                None if other_links.contains(&a.scope) => false,
                None => any_unchanged,
            };
            *tracked.entry(a.element_id).or_insert(false) |= protected;
        }
        tracked
    }

    /// Walks the job subject's tree (children, then sub-model contents) top down: an unseen
    /// tracked element is deleted with its subtree; seen, kept and untracked elements are walked
    /// into.
    fn unseen_in_channel(
        &self,
        bim: &Briefcase,
        aspects: &[AspectProvenance],
        tracked: &HashMap<i64, bool>,
    ) -> Result<Vec<i64>, SyncError> {
        // (element, scope) of every aspect: a child tracked under its parent has (child, parent).
        let scoped: HashSet<(i64, i64)> = aspects.iter().map(|a| (a.element_id, a.scope)).collect();
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
        // (element, whether it stays as present in the source): the job subject itself is not
        // an item, so its tracked children are judged on their own.
        let mut stack = vec![(self.job_subject, false)];
        while let Some((owner, owner_stays)) = stack.pop() {
            let owned_children = children.get(&owner).into_iter().flatten().map(|&c| (c, true));
            let owned_contents = model_tops.get(&owner).into_iter().flatten().map(|&e| (e, false));
            for (next, is_child) in owned_children.chain(owned_contents) {
                // The repository model contains its own modeled element (the root subject).
                if next == owner {
                    continue;
                }
                let stays = if self.seen_elements.contains(&next) {
                    true
                } else {
                    match tracked.get(&next) {
                        None => {
                            stack.push((next, false));
                            continue;
                        }
                        Some(&protected) => protected || (is_child && owner_stays && scoped.contains(&(next, owner))),
                    }
                };
                if stays {
                    stack.push((next, true));
                } else {
                    doomed.push(next);
                }
            }
        }
        Ok(doomed)
    }

    /// From each changed document's link, every element tracked in that scope, and recursively
    /// in the scope of those elements (seen or not); the unseen ones go, except children
    /// tracked under a parent that stays.
    fn unseen_in_files(
        &self,
        bim: &Briefcase,
        aspects: &[AspectProvenance],
        changed_links: Vec<i64>,
    ) -> Result<Vec<i64>, SyncError> {
        let mut by_scope: HashMap<i64, Vec<i64>> = HashMap::new();
        for a in aspects {
            by_scope.entry(a.scope).or_default().push(a.element_id);
        }
        let mut visited: HashSet<i64> = HashSet::new();
        let mut stays: HashSet<i64> = HashSet::new();
        let mut queue = changed_links;
        let mut doomed = Vec::new();
        while let Some(scope) = queue.pop() {
            for &element in by_scope.get(&scope).into_iter().flatten() {
                if !visited.insert(element) {
                    continue;
                }
                let child_of_scope = || -> Result<bool, SyncError> {
                    Ok(bim.parent_and_model(element)?.and_then(|(parent, _)| parent) == Some(scope))
                };
                if self.seen_elements.contains(&element) || (stays.contains(&scope) && child_of_scope()?) {
                    stays.insert(element);
                } else {
                    doomed.push(element);
                }
                queue.push(element);
            }
        }
        Ok(doomed)
    }

    /// Deletes elements with everything they own. What other elements still use stays, as the
    /// framework's deleter leaves it: a definition in use (with its children), a
    /// DefinitionPartition and its model unless the model is then empty, a Subject unless it is
    /// then childless. Those are tried last (the framework defers them too), so that elements
    /// deleted meanwhile no longer hold them. Anything else still in use is an error.
    fn delete_unless_used(&mut self, bim: &mut Briefcase, ids: Vec<i64>) -> Result<(), SyncError> {
        let mut blocked = Vec::new();
        for id in ids {
            // An earlier subtree delete may already have taken it; and whatever led here, only
            // the job's own elements are ever deleted.
            if bim.element_class_name(id)?.is_none() || !self.is_in_job(bim, id)? {
                continue;
            }
            match self.delete_tracked_subtree(bim, id) {
                Ok(()) => {}
                Err(e) if still_used(&e) => blocked.push((id, e)),
                Err(e) => return Err(e),
            }
        }
        for (id, refused) in blocked {
            if bim.element_class_name(id)?.is_none() {
                continue;
            }
            // Earlier deletes may have freed it.
            match self.delete_tracked_subtree(bim, id) {
                Ok(()) => continue,
                Err(e) if still_used(&e) => {}
                Err(e) => return Err(e),
            }
            let class = bim.element_class_name(id)?.unwrap_or_default();
            if class == "BisCore:Subject" || class == "BisCore:DefinitionPartition" {
                // The failed delete changed nothing: take what can go piece by piece, then the
                // container itself if that emptied it.
                let owned: Vec<i64> = bim
                    .element_tree()?
                    .into_iter()
                    .filter(|r| r.id != id && (r.parent == Some(id) || (r.parent.is_none() && r.model == id)))
                    .map(|r| r.id)
                    .collect();
                self.delete_unless_used(bim, owned)?;
                match self.delete_tracked_subtree(bim, id) {
                    Ok(()) => {}
                    Err(e) if still_used(&e) => {}
                    Err(e) => return Err(e),
                }
            } else if !is_definition(bim, id)? {
                return Err(refused);
            }
        }
        Ok(())
    }
}

/// Whether a delete failed because other elements still refer to the element or its subtree.
fn still_used(e: &SyncError) -> bool {
    matches!(e, SyncError::InvalidProps(m) if m.contains("is still used by other elements"))
}

/// Whether an element is a definition: it lives in a definition model (a DefinitionPartition's,
/// the dictionary's included, or a DefinitionContainer's).
fn is_definition(bim: &mut Briefcase, id: i64) -> Result<bool, SyncError> {
    let Some((_, model)) = bim.parent_and_model(id)? else {
        return Ok(false);
    };
    Ok(matches!(
        bim.element_class_name(model)?.as_deref(),
        Some("BisCore:DefinitionPartition" | "BisCore:DefinitionContainer")
    ))
}
