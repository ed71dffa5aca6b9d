//! Deleting the tracked elements a run did not see.
//!
//! Host memory stays bounded at any job size: the aspects are read as a stream into compressed id
//! sets, and only the elements to delete are listed.

use std::collections::HashSet;

use super::id_set::IdSet;
use super::{DeletionMode, ItemState, SyncError, Synchronizer};
use itwin_imodel::{AspectProvenance, Briefcase};

/// How deep a chain of children each tracked under its parent may be judged; deeper ones are
/// judged on their own (deleted when unseen), as no real source nests items this deep.
const MAX_CHILD_CHAIN: usize = 64;

/// Which documents vouch for the elements of their aspects this run.
struct Vouchers {
    unchanged_sources: HashSet<i64>,
    unchanged_links: HashSet<i64>,
    other_links: HashSet<i64>,
}

impl Vouchers {
    /// Whether a document found unchanged vouches for an aspect's element: by the aspect's
    /// source, else by its scope (a document's RepositoryLink); an element of no known document
    /// is vouched for when any document is unchanged (the framework's rule).
    fn protect(&self, a: &AspectProvenance) -> bool {
        match a.source {
            Some(source) => self.unchanged_sources.contains(&source),
            None if self.unchanged_links.contains(&a.scope) => true,
            None if self.other_links.contains(&a.scope) => false,
            None => !self.unchanged_sources.is_empty(),
        }
    }
}

/// What the aspects say about the job's elements: which are tracked, which a document vouches
/// for, and which are tracked, unseen and not vouched for (the candidates for deletion).
#[derive(Default)]
struct Tracking {
    tracked: IdSet,
    protected: IdSet,
    candidates: IdSet,
}

impl Synchronizer {
    /// Deletes tracked elements (elements with an ExternalSourceAspect) that this run did not
    /// see, by `mode`; returns how many elements were deleted.
    ///
    /// * channel: under the job subject, as the framework's `deleteElementSubTrees` walks it:
    ///   an unseen tracked element goes with its subtree. Elements whose aspect comes from a
    ///   document found unchanged this run are kept (the framework instead skips deletion
    ///   entirely when any document is unchanged; an element of no known document is kept then
    ///   too).
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
            DeletionMode::Channel => self.unseen_in_channel(bim)?,
            DeletionMode::File => {
                let changed: Vec<i64> =
                    self.documents().filter(|d| d.state == ItemState::Changed).map(|d| d.repository_link).collect();
                self.unseen_in_files(bim, changed)?
            }
        };
        let before = self.stats.total().deleted;
        self.delete_unless_used(bim, doomed)?;
        self.forget_scope();
        Ok(self.stats.total().deleted - before)
    }

    fn vouchers(&self) -> Vouchers {
        let mut v = Vouchers {
            unchanged_sources: HashSet::new(),
            unchanged_links: HashSet::new(),
            other_links: HashSet::new(),
        };
        for d in self.documents() {
            if d.state == ItemState::Unchanged {
                v.unchanged_sources.insert(d.external_source);
                v.unchanged_links.insert(d.repository_link);
            } else {
                v.other_links.insert(d.repository_link);
            }
        }
        v
    }

    /// One pass over every aspect (a stream; nothing but id sets is kept).
    fn tracking(&self, bim: &mut Briefcase) -> Result<Tracking, SyncError> {
        let vouchers = self.vouchers();
        let mut t = Tracking::default();
        bim.visit_external_source_aspect_provenance(|a| {
            t.tracked.insert(a.element_id);
            if vouchers.protect(&a) {
                t.protected.insert(a.element_id);
            } else if !self.seen_elements.contains(a.element_id) {
                t.candidates.insert(a.element_id);
            }
        })?;
        Ok(t)
    }

    /// The unseen tracked elements of the job that nothing keeps, in id order (parents before
    /// the children written after them). An element under one that goes is listed too; it is
    /// gone by its turn, and `delete_unless_used` skips it.
    fn unseen_in_channel(&mut self, bim: &mut Briefcase) -> Result<Vec<i64>, SyncError> {
        let t = self.tracking(bim)?;
        let mut doomed = Vec::new();
        for id in t.candidates.iter() {
            // Another job's elements are never this run's to see (or delete).
            if t.protected.contains(id) || !self.is_in_job(bim, id)? || self.kept_by_parent(bim, &t, id, 0)? {
                continue;
            }
            doomed.push(id);
        }
        Ok(doomed)
    }

    /// Whether `id` is a child tracked under its parent (aspect scope = parent) whose parent
    /// stays: seen, vouched for, or itself such a child of a parent that stays. Children of an
    /// untracked parent (or the job subject) are judged on their own.
    fn kept_by_parent(&self, bim: &mut Briefcase, t: &Tracking, id: i64, depth: usize) -> Result<bool, SyncError> {
        if depth >= MAX_CHILD_CHAIN {
            return Ok(false);
        }
        let Some((Some(parent), _)) = bim.parent_and_model(id)? else { return Ok(false) };
        if parent == self.job_subject || !t.tracked.contains(parent) {
            return Ok(false);
        }
        if !bim.external_source_aspects_of(id)?.iter().any(|a| a.scope == parent) {
            return Ok(false);
        }
        Ok(self.seen_elements.contains(parent)
            || t.protected.contains(parent)
            || self.kept_by_parent(bim, t, parent, depth + 1)?)
    }

    /// From each changed document's link, every element tracked in that scope, and recursively
    /// in the scope of those elements (seen or not); the unseen ones go, except children
    /// tracked under a parent that stays.
    fn unseen_in_files(&self, bim: &mut Briefcase, changed_links: Vec<i64>) -> Result<Vec<i64>, SyncError> {
        let mut visited = IdSet::default();
        let mut stays = IdSet::default();
        let mut queue = changed_links;
        let mut doomed = Vec::new();
        while let Some(scope) = queue.pop() {
            for element in bim.elements_tracked_in_scope(scope)? {
                if !visited.insert(element) {
                    continue;
                }
                let child_of_scope = |bim: &mut Briefcase| -> Result<bool, SyncError> {
                    Ok(bim.parent_and_model(element)?.and_then(|(parent, _)| parent) == Some(scope))
                };
                if self.seen_elements.contains(element) || (stays.contains(scope) && child_of_scope(bim)?) {
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
                let owned = bim.owned_elements(id)?;
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
