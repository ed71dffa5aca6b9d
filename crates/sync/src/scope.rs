//! Job scoping: what a connector may write, reference and read, judged on where an element ends
//! up — its final model and parent chain as the writer resolves them — never on how a request
//! was spelled.
//!
//! Every element belongs to the *top* of its tree: the element just below the root subject that
//! its parents and its model's modeled element lead up to. An element whose parent and model lead
//! to different tops belongs to neither (that is how one job's element could sit in another
//! job's model). The job's elements are those whose top is the job subject.

use std::collections::{HashMap, HashSet};

use super::{SyncError, Synchronizer};
use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, Resolved, ResolvedElement, WriteError};

/// The root subject; its model, the repository model, has the same id.
pub(crate) const ROOT: i64 = 1;
/// The dictionary model (and its partition): definitions every job may use.
const DICTIONARY: i64 = 0x10;
/// Deeper trees are refused: the host's walks stay bounded whatever a file holds.
const MAX_DEPTH: usize = 1000;
/// Cached tops are dropped when there are this many (host memory stays bounded; only owners —
/// parents, models, referenced elements — are cached, not every element written).
const TOP_CACHE_LIMIT: usize = 1 << 20;

/// Where an element belongs, seen from one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Under the job subject: the job may write it.
    Job,
    /// The root subject, the dictionary and its definitions: every job may read and refer to them.
    Shared,
    /// A RepositoryLink or ExternalSource this job recorded: readable and referable.
    OwnDocument,
    /// Another job's tree or document, or anything else of the repository.
    Foreign,
}

impl Owner {
    /// Whether a connector may read the element, or point a navigation property or a
    /// relationship's target at it.
    pub(crate) fn is_readable(self) -> bool {
        self != Owner::Foreign
    }
}

/// A tree that cannot be judged: the element is its own ancestor, too deep, or split between two tops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    Cycle,
    TooDeep,
    Split,
}

/// The job's view of who owns what: tops found so far.
#[derive(Default)]
pub(crate) struct ScopeCache {
    tops: HashMap<i64, i64>,
}

impl Synchronizer {
    /// The top of `id`'s tree (see the module docs); `Ok(Err(_))` when the tree is broken.
    fn top_of(&mut self, bim: &Briefcase, id: i64) -> Result<Result<i64, Broken>, WriteError> {
        let mut path = Vec::new();
        self.top_walk(bim, id, &mut path)
    }

    fn top_walk(&mut self, bim: &Briefcase, id: i64, path: &mut Vec<i64>) -> Result<Result<i64, Broken>, WriteError> {
        if id == ROOT {
            return Ok(Ok(ROOT));
        }
        if let Some(&top) = self.scope.tops.get(&id) {
            return Ok(Ok(top));
        }
        if path.contains(&id) {
            return Ok(Err(Broken::Cycle));
        }
        if path.len() >= MAX_DEPTH {
            return Ok(Err(Broken::TooDeep));
        }
        let (parent, model) =
            bim.parent_and_model(id)?.ok_or_else(|| WriteError::NotFound { what: "element".into(), id: hex(id) })?;
        let top = if parent == Some(ROOT) || (parent.is_none() && model == ROOT) {
            id
        } else {
            path.push(id);
            let by_parent = match parent {
                Some(p) => Some(self.top_walk(bim, p, path)?),
                None => None,
            };
            // A model's id is its modeled element's.
            let by_model = if model == ROOT { None } else { Some(self.top_walk(bim, model, path)?) };
            path.pop();
            match (by_parent, by_model) {
                (Some(Err(broken)), _) | (_, Some(Err(broken))) => return Ok(Err(broken)),
                (Some(Ok(a)), Some(Ok(b))) if a != b => return Ok(Err(Broken::Split)),
                (Some(Ok(top)), _) | (None, Some(Ok(top))) => top,
                (None, None) => id,
            }
        };
        if self.scope.tops.len() >= TOP_CACHE_LIMIT {
            self.scope.tops.clear();
        }
        self.scope.tops.insert(id, top);
        Ok(Ok(top))
    }

    /// Who owns element `id` (which must exist), seen from this job.
    pub(crate) fn owner(&mut self, bim: &Briefcase, id: i64) -> Result<Owner, WriteError> {
        let Ok(top) = self.top_of(bim, id)? else { return Ok(Owner::Foreign) };
        Ok(if self.job_subject != 0 && top == self.job_subject {
            Owner::Job
        } else if top == ROOT || top == DICTIONARY {
            Owner::Shared
        } else if self.is_document_row(top) {
            Owner::OwnDocument
        } else {
            Owner::Foreign
        })
    }

    /// Whether `id` lies under the job subject.
    pub(crate) fn is_in_job(&mut self, bim: &Briefcase, id: i64) -> Result<bool, SyncError> {
        Ok(self.job_subject != 0 && self.owner(bim, id)? == Owner::Job)
    }

    /// Refuses requests about elements outside the job subject.
    pub(crate) fn require_in_job(&mut self, bim: &Briefcase, id: i64, what: &str) -> Result<(), SyncError> {
        if self.is_in_job(bim, id)? {
            Ok(())
        } else {
            Err(SyncError::OutOfScope(self.outside(what, id)))
        }
    }

    /// Refuses reads of elements the job may not see (another job's); `Ok(false)` if `id` does
    /// not exist.
    pub(crate) fn require_readable(&mut self, bim: &Briefcase, id: i64, what: &str) -> Result<bool, SyncError> {
        match self.owner_if_exists(bim, id)? {
            None => Ok(false),
            Some(owner) if owner.is_readable() => Ok(true),
            Some(_) => Err(SyncError::OutOfScope(format!("{what} {} belongs to another job", hex(id)))),
        }
    }

    /// [`Synchronizer::owner`], or `None` if `id` does not exist (found by the same lookup).
    pub(crate) fn owner_if_exists(&mut self, bim: &Briefcase, id: i64) -> Result<Option<Owner>, WriteError> {
        match self.owner(bim, id) {
            Ok(owner) => Ok(Some(owner)),
            Err(WriteError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn outside(&self, what: &str, id: i64) -> String {
        if self.job_subject == 0 {
            format!("{what} {}: there is no job subject before `initialize-job`", hex(id))
        } else {
            format!("{what} {} is not under the job subject {}", hex(id), hex(self.job_subject))
        }
    }

    /// Judges a write as the writer resolved it: the element's final model and parent must lie
    /// in the job, a new parent must not make it its own ancestor, its code must be scoped in
    /// the job, and what it refers to must be the job's, shared or the job's own documents.
    pub(crate) fn check_write(&mut self, bim: &Briefcase, write: &Resolved) -> Result<(), WriteError> {
        match write {
            Resolved::Element(element) => self.check_element(bim, element),
            Resolved::Model { id, references, .. } => {
                self.require_job_owned(bim, *id, "the modeled element")?;
                for r in references {
                    self.require_referable(bim, &r.property, r.target)?;
                }
                Ok(())
            }
            Resolved::Relationship { class, source, target } => {
                self.require_job_owned(bim, *source, &format!("the source of `{class}`"))?;
                self.require_referable(bim, &format!("the target of `{class}`"), *target)
            }
        }
    }

    fn check_element(&mut self, bim: &Briefcase, e: &ResolvedElement) -> Result<(), WriteError> {
        let label = if e.inserting { format!("the new `{}`", e.class) } else { format!("element {}", hex(e.id)) };
        if self.job_subject == 0 {
            return Err(WriteError::OutOfScope(format!(
                "{label}: there is no job subject before `initialize-job`: write elements from then on"
            )));
        }
        if e.id == self.job_subject {
            return Err(WriteError::OutOfScope(format!("the job subject {} belongs to the host", hex(e.id))));
        }
        if let Some(parent) = e.parent {
            if e.sets_parent && !e.inserting && self.reaches(bim, parent, e.id)? {
                return Err(WriteError::Invalid(format!(
                    "{label}: parent {} would make it its own ancestor (a parent cycle)",
                    hex(parent)
                )));
            }
            self.require_job_owned(bim, parent, &format!("{label}: its parent"))?;
        }
        if e.model == ROOT {
            // Subjects and partitions of the job live in the repository model, under a parent
            // in the job; nothing else of a connector's may.
            if e.parent.is_none() {
                return Err(WriteError::OutOfScope(format!(
                    "{label}: the repository model takes only elements whose parent is in the job"
                )));
            }
        } else {
            self.require_job_owned(bim, e.model, &format!("{label}: its model"))?;
        }
        // A code's scope is a reference even when the value is empty: the element would keep
        // the scope from being deleted.
        if let Some(code) = &e.code {
            self.require_referable(bim, &format!("{label}: its code scope"), code.scope)?;
        }
        if let Some(code) = e.code.as_ref().filter(|c| c.value.is_some()) {
            let scoped_in_job = self.owner(bim, code.scope)? == Owner::Job;
            let own_spec = || bim.code_spec_name(code.spec).is_some_and(|name| self.owns_code_spec_name(&name));
            if !(scoped_in_job || (code.scope == ROOT && own_spec())) {
                return Err(WriteError::OutOfScope(format!(
                    "{label}: code {:?} is scoped by {}, outside the job: a connector takes codes scoped in its job, or repository-scoped codes of its own code specs",
                    code.value.as_deref().unwrap_or_default(),
                    hex(code.scope)
                )));
            }
        }
        for r in &e.references {
            self.require_referable(bim, &format!("{label}: `{}`", r.property), r.target)?;
        }
        Ok(())
    }

    fn require_job_owned(&mut self, bim: &Briefcase, id: i64, what: &str) -> Result<(), WriteError> {
        match self.top_of(bim, id)? {
            Ok(top) if top == self.job_subject => Ok(()),
            Err(Broken::Cycle) => Err(WriteError::Invalid(format!("{what} {} lies in a parent cycle", hex(id)))),
            Err(Broken::TooDeep) => {
                Err(WriteError::Invalid(format!("{what} {} lies more than {MAX_DEPTH} levels deep", hex(id))))
            }
            _ => Err(WriteError::OutOfScope(self.outside(what, id))),
        }
    }

    fn require_referable(&mut self, bim: &Briefcase, what: &str, id: i64) -> Result<(), WriteError> {
        if self.owner(bim, id)?.is_readable() {
            Ok(())
        } else {
            Err(WriteError::OutOfScope(format!(
                "{what} {} belongs to another job: references may point into the job, the dictionary or the job's own documents",
                hex(id)
            )))
        }
    }

    /// Whether walking up from `from` (parents and models' modeled elements) reaches `target`.
    /// Not cached: it runs when a write changes a parent, the moment a cycle could form.
    fn reaches(&self, bim: &Briefcase, from: i64, target: i64) -> Result<bool, WriteError> {
        let mut stack = vec![from];
        let mut visited = HashSet::new();
        while let Some(id) = stack.pop() {
            if id == target {
                return Ok(true);
            }
            if id == ROOT || !visited.insert(id) {
                continue;
            }
            if visited.len() > MAX_DEPTH * 4 {
                return Err(WriteError::Invalid(format!("element {} lies too deep to check", hex(from))));
            }
            if let Some((parent, model)) = bim.parent_and_model(id)? {
                stack.extend(parent);
                stack.push(model);
            }
        }
        Ok(false)
    }

    /// Whether a code spec name is this connector's: `<connector name>:…`.
    pub(crate) fn owns_code_spec_name(&self, name: &str) -> bool {
        let prefix = format!("{}:", self.connector_name);
        !self.connector_name.is_empty()
            && name.len() > prefix.len()
            && name.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(&prefix))
    }

    /// Forgets cached tops (after deletions).
    pub(crate) fn forget_scope(&mut self) {
        self.scope.tops.clear();
    }
}
