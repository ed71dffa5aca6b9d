//! Change detection and element writes for source items, and the untracked writes a connector
//! makes (partitions, models, categories, relationships), all checked against the job's scope.

use serde_json::{json, Value};
use std::borrow::Cow;

use super::{parse_id, ChangeResult, ItemState, SourceItem, SyncError, Synchronizer, DEFAULT_KIND, MAX_DETECTED_NEW};
use itwin_imodel::id64::{self, format as hex};
use itwin_imodel::{Briefcase, CodeScopeType, ExternalSourceAspectRow};

/// The JSON key of an element's children in `update-imodel` props (not an EC property).
const CHILDREN: &str = "children";
/// The key that identifies a child among its siblings across runs.
const CHILD_ID: &str = "childId";

/// An item with its defaults filled in.
struct Resolved {
    id: String,
    kind: String,
    scope: i64,
    version: Option<String>,
    checksum: Option<String>,
}

impl Synchronizer {
    /// Fills the defaults of an item (kind "Element", scope = job subject) and checks it.
    fn resolve(&mut self, bim: &Briefcase, item: &SourceItem) -> Result<Resolved, SyncError> {
        if item.id.is_empty() {
            return Err(SyncError::InvalidProps("a source item needs a non-empty `id`".into()));
        }
        if self.job_subject == 0 {
            return Err(SyncError::OutOfScope(
                "there is no job subject before `initialize-job`: write elements from then on".into(),
            ));
        }
        let scope = match &item.scope {
            Some(s) => parse_id(s, "scope")?,
            None => self.job_subject,
        };
        if scope != self.job_subject && !self.is_document_row(scope) {
            self.require_in_job(bim, scope, "scope")?;
        }
        Ok(Resolved {
            id: item.id.clone(),
            kind: item.kind.clone().unwrap_or_else(|| DEFAULT_KIND.to_owned()),
            scope,
            version: item.version.clone(),
            checksum: item.checksum.clone(),
        })
    }

    pub(super) fn is_document_row(&self, id: i64) -> bool {
        self.documents.values().any(|d| d.record.repository_link == id || d.record.external_source == id)
    }

    /// The framework's rule: equal versions are unchanged; otherwise the checksum (or version)
    /// against the stored checksum (or version).
    fn state_of(item: &Resolved, aspect: &ExternalSourceAspectRow) -> ItemState {
        if item.version.is_some() && item.version == aspect.version {
            return ItemState::Unchanged;
        }
        let ours = item.checksum.as_ref().or(item.version.as_ref());
        let stored = aspect.checksum.as_ref().or(aspect.version.as_ref());
        if ours != stored {
            ItemState::Changed
        } else {
            ItemState::Unchanged
        }
    }

    /// Change detection for one item. A found aspect is marked seen, its element is not.
    ///
    /// # Errors
    /// [`SyncError::InvalidProps`] for an empty id or a scope that is not the job's.
    pub fn detect_changes(&mut self, bim: &mut Briefcase, item: &SourceItem) -> Result<ChangeResult, SyncError> {
        let mut one = self.detect_changes_batch(bim, std::slice::from_ref(item))?;
        Ok(one.remove(0))
    }

    /// Change detection for many items: one indexed lookup each (scope, kind, identifier), so
    /// a call costs the same whatever the size of the job, and nothing of the job is held.
    pub fn detect_changes_batch(
        &mut self,
        bim: &mut Briefcase,
        items: &[SourceItem],
    ) -> Result<Vec<ChangeResult>, SyncError> {
        let resolved: Vec<Resolved> = items.iter().map(|i| self.resolve(bim, i)).collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(resolved.len());
        for item in resolved {
            let Some(aspect) = bim.find_external_source_aspects(item.scope, &item.kind, &item.id)?.into_iter().next()
            else {
                self.remember_new(item);
                out.push(ChangeResult { state: ItemState::New, element_id: None });
                continue;
            };
            let state = Self::state_of(&item, &aspect);
            if self.seen_aspects.insert(aspect.id) && state == ItemState::Unchanged {
                self.count_unchanged(bim, aspect.element_id)?;
            }
            self.detected_elements.insert(aspect.element_id);
            out.push(ChangeResult { state, element_id: Some(aspect.element_id) });
        }
        Ok(out)
    }

    /// Remembers an item found untracked, up to [`MAX_DETECTED_NEW`] of them.
    fn remember_new(&mut self, item: Resolved) {
        if self.detected_new_count < MAX_DETECTED_NEW {
            let by_scope = self.detected_new.entry(item.kind).or_default();
            if by_scope.entry(item.scope).or_default().insert(item.id) {
                self.detected_new_count += 1;
            }
        }
    }

    /// Writes the element of an item: insert when untracked, update in place when tracked and
    /// changed, only marked seen when unchanged. Returns the element id.
    ///
    /// # Errors
    /// Any refusal of the write (invalid props, out of scope, duplicate code, …), with nothing written.
    pub fn update_imodel(&mut self, bim: &mut Briefcase, item: &SourceItem, element: &Value) -> Result<i64, SyncError> {
        let item = self.resolve(bim, item)?;
        let found = self.tracking_aspect(bim, &item)?;
        self.write_item(bim, &item, found, element)
    }

    /// [`Synchronizer::update_imodel`] as one unit: a failure (say, in a child) leaves nothing
    /// of the item written. A new item without children is one element insert and one aspect
    /// insert, each atomic by itself, so it goes without the savepoint, whose page copies cost
    /// about a sixth of a first run (1.3 s of 8.8 s for 100,000 items).
    pub fn update_imodel_atomically(
        &mut self,
        bim: &mut Briefcase,
        item: &SourceItem,
        element: &Value,
    ) -> Result<i64, SyncError> {
        let item = self.resolve(bim, item)?;
        let found = self.tracking_aspect(bim, &item)?;
        let childless = match element.get(CHILDREN) {
            None | Some(Value::Null) => true,
            Some(Value::Array(children)) => children.is_empty(),
            Some(_) => false,
        };
        if found.is_none() && childless {
            return self.write_item(bim, &item, None, element);
        }
        bim.savepoint(|b| self.write_item(b, &item, found, element))
    }

    /// The aspect that tracks an item, if any (the first one, as the framework takes it).
    fn tracking_aspect(
        &mut self,
        bim: &mut Briefcase,
        item: &Resolved,
    ) -> Result<Option<ExternalSourceAspectRow>, SyncError> {
        let detected_new = self.detected_new.get(&item.kind).and_then(|by_scope| by_scope.get(&item.scope));
        if detected_new.is_some_and(|ids| ids.contains(&item.id)) {
            return Ok(None);
        }
        Ok(bim.find_external_source_aspects(item.scope, &item.kind, &item.id)?.into_iter().next())
    }

    fn write_item(
        &mut self,
        bim: &mut Briefcase,
        item: &Resolved,
        found: Option<ExternalSourceAspectRow>,
        element: &Value,
    ) -> Result<i64, SyncError> {
        let mut props = element.clone();
        let obj = props
            .as_object_mut()
            .ok_or_else(|| SyncError::InvalidProps("element props must be a JSON object".into()))?;
        let children = match obj.remove(CHILDREN) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(c)) => c,
            Some(_) => return Err(SyncError::InvalidProps("`children` must be an array of element props".into())),
        };
        let source = self.single_external_source();
        let tracked = found.is_some();
        let id = match found {
            Some(aspect) if Self::state_of(item, &aspect) == ItemState::Unchanged => {
                if self.seen_aspects.insert(aspect.id) {
                    self.count_unchanged(bim, aspect.element_id)?;
                }
                self.on_element_seen(aspect.element_id);
                return Ok(aspect.element_id);
            }
            Some(aspect) => {
                self.update_tracked(bim, aspect.element_id, &mut props)?;
                bim.update_aspect(&json!({
                    "id": hex(aspect.id), "version": item.version, "checksum": item.checksum,
                    "source": source.map(|s| json!({ "id": hex(s) })),
                }))?;
                self.seen_aspects.insert(aspect.id);
                aspect.element_id
            }
            None => {
                let (class, id) = self.insert_tracked(bim, &props)?;
                let aspect = bim.insert_aspect(&json!({
                    "classFullName": "BisCore:ExternalSourceAspect",
                    "element": { "id": hex(id) }, "scope": { "id": hex(item.scope) },
                    "source": source.map(|s| json!({ "id": hex(s) })),
                    "identifier": item.id, "kind": item.kind, "version": item.version, "checksum": item.checksum,
                }));
                if let Err(e) = aspect {
                    // Without its aspect the element would be untracked: take it back out.
                    bim.delete_element(id)?;
                    self.stats.tally(&class).inserted -= 1;
                    return Err(e.into());
                }
                if let Some(ids) = self.detected_new.get_mut(&item.kind).and_then(|s| s.get_mut(&item.scope)) {
                    if ids.remove(&item.id) {
                        self.detected_new_count -= 1;
                    }
                }
                id
            }
        };
        self.on_element_seen(id);
        // A new element has no children yet, so there is nothing to match when none are given.
        if tracked || !children.is_empty() {
            self.write_children(bim, id, item, children)?;
        }
        Ok(id)
    }

    /// Counts an item found unchanged (once per run), under its element's class.
    fn count_unchanged(&mut self, bim: &mut Briefcase, element: i64) -> Result<(), SyncError> {
        let class = bim.element_class_name(element)?.unwrap_or_default();
        self.stats.tally(&class).unchanged += 1;
        Ok(())
    }

    /// Inserts an element of the job; returns its class as given and its id. Scope is judged on
    /// the write as the writer resolves it (see `scope`).
    fn insert_tracked(&mut self, bim: &mut Briefcase, props: &Value) -> Result<(String, i64), SyncError> {
        let model = |_: &Briefcase| Ok(props.get("model").and_then(|m| id64::from_json(m, "model").ok()));
        let props = self.in_imodel_frame(bim, props, model)?;
        let id = bim.insert_element_checked(&props, &mut |b, write| self.check_write(b, write))?;
        let class = props.get("classFullName").and_then(Value::as_str).unwrap_or_default().to_owned();
        self.stats.tally(&class).inserted += 1;
        Ok((class, id))
    }

    /// Updates a tracked element in place. Changing its class is refused (delete + insert is the
    /// way), as the framework does.
    fn update_tracked(&mut self, bim: &mut Briefcase, id: i64, props: &mut Value) -> Result<(), SyncError> {
        self.require_in_job(bim, id, "element")?;
        let class = bim.element_class_name(id)?.ok_or_else(|| SyncError::NotFound(format!("element {}", hex(id))))?;
        if let Some(asked) = props.get("classFullName").and_then(Value::as_str) {
            if !same_class(asked, &class) {
                return Err(SyncError::WrongClass(format!(
                    "element {} is a `{class}`; an update cannot make it a `{asked}` (delete it and insert a new one)",
                    hex(id)
                )));
            }
        }
        props["id"] = json!(hex(id));
        let model = |bim: &Briefcase| Ok(bim.parent_and_model(id)?.map(|(_, model)| model));
        if let Cow::Owned(converted) = self.in_imodel_frame(bim, props, model)? {
            *props = converted;
        }
        bim.update_element_checked(props, &mut |b, write| self.check_write(b, write))?;
        self.stats.tally(&class).updated += 1;
        Ok(())
    }

    /// Children are tracked by aspects scoped to their parent (kind = the item's kind,
    /// identifier = `childId` or position); children no longer listed are deleted now.
    fn write_children(
        &mut self,
        bim: &mut Briefcase,
        parent: i64,
        item: &Resolved,
        children: Vec<Value>,
    ) -> Result<(), SyncError> {
        let mut existing: Vec<ExternalSourceAspectRow> = bim.external_source_aspects_in_scope(parent, &item.kind)?;
        for (index, mut child) in children.into_iter().enumerate() {
            let obj = child
                .as_object_mut()
                .ok_or_else(|| SyncError::InvalidProps("each child must be a JSON object".into()))?;
            let key = match obj.remove(CHILD_ID) {
                Some(Value::String(s)) if !s.is_empty() => s,
                None | Some(Value::Null) => index.to_string(),
                Some(other) => {
                    return Err(SyncError::InvalidProps(format!("`childId` must be a non-empty string, found {other}")))
                }
            };
            if obj.contains_key("parent") {
                return Err(SyncError::InvalidProps(
                    "children get their parent from the host: leave `parent` out".into(),
                ));
            }
            obj.insert("parent".into(), json!({ "id": hex(parent) }));
            let child_item = SourceItem {
                id: key,
                kind: Some(item.kind.clone()),
                scope: Some(hex(parent)),
                version: item.version.clone(),
                checksum: item.checksum.clone(),
            };
            if let Some(position) = existing.iter().position(|a| a.identifier == child_item.id) {
                existing.swap_remove(position);
            }
            self.update_imodel(bim, &child_item, &child)?;
        }
        for gone in existing {
            if bim.element_class_name(gone.element_id)?.is_some() {
                self.delete_tracked_subtree(bim, gone.element_id)?;
            }
        }
        Ok(())
    }

    /// Deletes an element with what it owns, counting it.
    pub(crate) fn delete_tracked_subtree(&mut self, bim: &mut Briefcase, id: i64) -> Result<(), SyncError> {
        for (class, n) in bim.delete_element_by_class(id)? {
            self.stats.tally(&class).deleted += n;
        }
        Ok(())
    }

    /// Inserts an element that change detection does not track.
    ///
    /// # Errors
    /// Any refusal of the write (invalid props, unknown class, out of scope, duplicate code), with nothing written.
    pub fn insert_element(&mut self, bim: &mut Briefcase, props: &Value) -> Result<i64, SyncError> {
        if props.get(CHILDREN).is_some() {
            return Err(SyncError::InvalidProps(
                "`children` is for update-imodel; insert children with their own `parent`".into(),
            ));
        }
        let (_, id) = self.insert_tracked(bim, props)?;
        self.on_element_seen(id);
        Ok(id)
    }

    /// Updates an element of the job (never the job subject itself).
    ///
    /// # Errors
    /// Any refusal of the write, or [`SyncError::NotFound`], with nothing written.
    pub fn update_element(&mut self, bim: &mut Briefcase, props: &Value) -> Result<(), SyncError> {
        let id = id64::from_json(props.get("id").unwrap_or(&Value::Null), "id")
            .map_err(|e| SyncError::InvalidProps(e.to_string()))?;
        self.require_writable(bim, id)?;
        let mut props = props.clone();
        self.update_tracked(bim, id, &mut props)
    }

    /// Deletes an element of the job with its children and sub-models.
    ///
    /// # Errors
    /// [`SyncError::OutOfScope`] for an element not the job's; [`SyncError::NotFound`].
    pub fn delete_element(&mut self, bim: &mut Briefcase, id: i64) -> Result<(), SyncError> {
        self.require_writable(bim, id)?;
        self.delete_tracked_subtree(bim, id)
    }

    fn require_writable(&mut self, bim: &Briefcase, id: i64) -> Result<(), SyncError> {
        if id == self.job_subject {
            return Err(SyncError::OutOfScope(format!("the job subject {} belongs to the host", hex(id))));
        }
        if bim.parent_and_model(id)?.is_none() {
            return Err(SyncError::NotFound(format!("element {}", hex(id))));
        }
        self.require_in_job(bim, id, "element")
    }

    /// Inserts the model of a partition of the job.
    /// The modeled element is judged as the writer resolves it (any spelling of its key).
    ///
    /// # Errors
    /// Any refusal of the write, with nothing written.
    pub fn insert_model(&mut self, bim: &mut Briefcase, props: &Value) -> Result<i64, SyncError> {
        let id = bim.insert_model_checked(props, &mut |b, write| self.check_write(b, write))?;
        let class = props.get("classFullName").and_then(Value::as_str).unwrap_or_default();
        self.stats.tally(class).inserted += 1;
        Ok(id)
    }

    /// Inserts a link-table relationship whose source lies in the job.
    /// Source and target are judged as the writer resolves them (`sourceId` or
    /// `SourceECInstanceId`, any case).
    ///
    /// # Errors
    /// Any refusal of the write (either end out of scope, wrong class), with nothing written.
    pub fn insert_relationship(&mut self, bim: &mut Briefcase, props: &Value) -> Result<i64, SyncError> {
        let id = bim.insert_relationship_checked(props, &mut |b, write| self.check_write(b, write))?;
        let class = props.get("classFullName").and_then(Value::as_str).unwrap_or_default();
        self.stats.tally(class).inserted += 1;
        Ok(id)
    }

    /// The relationships of a class from an element of the job: (relationship, target).
    pub fn find_relationships(
        &mut self,
        bim: &mut Briefcase,
        class: &str,
        source: &str,
    ) -> Result<Vec<(i64, i64)>, SyncError> {
        let source = parse_id(source, "source")?;
        if !self.require_readable(bim, source, "relationship source")? {
            return Ok(Vec::new());
        }
        let mut pairs = bim.relationships_from(class, source)?;
        // Links into another job are that job's business: leave them out.
        let mut readable = Vec::with_capacity(pairs.len());
        for (relationship, target) in pairs.drain(..) {
            if self.owner_if_exists(bim, target)?.is_none_or(|owner| owner.is_readable()) {
                readable.push((relationship, target));
            }
        }
        Ok(readable)
    }

    /// Deletes a relationship whose source lies in the job.
    ///
    /// # Errors
    /// [`SyncError::NotFound`], or [`SyncError::OutOfScope`] when its source is not the job's.
    pub fn delete_relationship(&mut self, bim: &mut Briefcase, class: &str, id: &str) -> Result<(), SyncError> {
        let id = parse_id(id, "id")?;
        let source = bim
            .relationship_source(class, id)?
            .ok_or_else(|| SyncError::NotFound(format!("`{class}` relationship {}", hex(id))))?;
        self.require_in_job(bim, source, "relationship source")?;
        bim.delete_relationship(class, id)?;
        self.stats.tally(class).deleted += 1;
        Ok(())
    }

    /// Finds an element by code; `spec` is a code spec name or id.
    pub fn find_element_by_code(
        &mut self,
        bim: &mut Briefcase,
        spec: &str,
        scope: &str,
        value: &str,
    ) -> Result<Option<i64>, SyncError> {
        let spec = match id64::parse(spec, "spec") {
            Ok(id) => id,
            Err(_) => match bim.code_spec_by_name(spec)? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        let Some(found) = bim.find_element_by_code(spec, parse_id(scope, "scope")?, value)? else { return Ok(None) };
        // Another job's element is not there as far as this job is concerned.
        Ok(self.owner(bim, found)?.is_readable().then_some(found))
    }

    /// Reads an element's props, in the connector's frame (see [`Synchronizer::set_source_units`]).
    ///
    /// # Errors
    /// [`SyncError::OutOfScope`] for an element the job may not read; bad ids as invalid props.
    pub fn element_props(&mut self, bim: &mut Briefcase, id: &str) -> Result<Option<Value>, SyncError> {
        let id = parse_id(id, "id")?;
        if !self.require_readable(bim, id, "element")? {
            return Ok(None);
        }
        let Some(mut props) = bim.element_props(id)? else { return Ok(None) };
        self.convert_to_source_frame(bim, &mut props)?;
        Ok(Some(props))
    }

    /// Returns (or creates) a code spec; code specs are repository-level, written by the host.
    pub fn ensure_code_spec(
        &mut self,
        bim: &mut Briefcase,
        name: &str,
        scope: CodeScopeType,
    ) -> Result<i64, SyncError> {
        // Code specs are named `<connector>:…` by the connector that owns them, so that no
        // connector can take a name another one relies on; BIS's own are shared.
        let shared = name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("bis:"));
        if !(self.owns_code_spec_name(name) || shared && bim.code_spec_by_name(name)?.is_some()) {
            return Err(SyncError::OutOfScope(format!(
                "code spec `{name}`: a connector creates code specs named `{}:…` (its own name) and uses existing `bis:` ones",
                self.connector_name
            )));
        }
        Ok(bim.find_or_insert_code_spec(name, scope)?)
    }
}

/// `BisCore:X` and `BisCore.X` (and any case) name the same class.
fn same_class(a: &str, b: &str) -> bool {
    a.replace('.', ":").eq_ignore_ascii_case(&b.replace('.', ":"))
}
