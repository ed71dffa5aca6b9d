//! AssetRegister: an example iTwin connector for itwin-host.
//!
//! Reads an asset register (JSON, see README.md) and writes it as BIS elements through the host's
//! synchronizer: categories in a definition model, assets (with their parts as children) in a
//! physical model, groups in a group model. Change detection is the host's; the connector only
//! says what each source item is and what it should look like.

mod props;
mod register;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;

use exports::itwin::connector::connector::Guest;
use itwin::connector::host;
use itwin::connector::synchronizer as sync;
use itwin::connector::types::{
    ChangeResult, CodeScope, ConnectorInfo, DeletionMode, DocumentRecord, ItemState, LogLevel, SourceDocument,
    SourceItem, SyncError,
};
use register::{checksum_of, tbgr_color, Asset, Category, Group, Header, ItemSink};
use serde_json::{json, Value};

wit_bindgen::generate!({ world: "connector-world", path: "../../wit" });

struct AssetRegister;

export!(AssetRegister);

/// Partition (and model) names: how later runs find what `initialize-job` created.
const ASSETS: &str = "Assets";
const DEFINITIONS: &str = "Definitions";
const GROUPS: &str = "Groups";

/// What one run knows between lifecycle calls. The host instantiates the component per run and
/// calls it from one thread, so a thread-local is the whole state.
struct Session {
    header: Header,
    /// The register's path in the sandbox; it is read as a stream in `update-existing-data`.
    source: String,
    /// Whether the document changed (or is new): an unchanged register is not read at all.
    changed: bool,
    document: DocumentRecord,
    /// Category `id` → element id, filled by `import-definitions` for `update-existing-data`.
    categories: HashMap<String, String>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

fn with_session<R>(f: impl FnOnce(&mut Session) -> Result<R, String>) -> Result<R, String> {
    SESSION.with_borrow_mut(|session| f(session.as_mut().ok_or("the source is not open")?))
}

impl Guest for AssetRegister {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            name: "AssetRegister".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Imports a plant asset register (JSON): categories, assets with their parts, groups".into(),
            deletion: DeletionMode::Channel,
        }
    }

    fn open_source_data(source: String) -> Result<(), String> {
        // The document is recorded before the items are read: an unchanged register (same
        // revision) is never read beyond its header, so such a re-run costs next to nothing.
        // As in the framework's own connectors, the revision alone says whether it changed.
        let header = Header::read(&source).map_err(|e| format!("{source}: {e}"))?;
        let document = sync::record_document(&SourceDocument {
            docid: header.register_id.clone(),
            description: Some(header.name.clone()),
            last_modified: Some(header.revision.clone()),
            checksum: None,
            url: Some(format!("file://{source}")),
        })
        .context(format_args!("register {}", header.register_id))?;
        let changed = document.state != ItemState::Unchanged;
        log(
            LogLevel::Info,
            format!(
                "register {} ({}) revision {}: document {} (external source {})",
                header.register_id,
                header.name,
                header.revision,
                state_name(document.state),
                document.external_source,
            ),
        );
        let session = Session { header, source, changed, document, categories: HashMap::new() };
        SESSION.set(Some(session));
        Ok(())
    }

    fn import_domain_schema() -> Result<(), String> {
        log(LogLevel::Debug, "no domain schema needed: assets are Generic:PhysicalObjects");
        Ok(())
    }

    fn import_dynamic_schema() -> Result<(), String> {
        log(LogLevel::Debug, "no dynamic schema needed: asset properties go to jsonProperties");
        Ok(())
    }

    fn job_subject_name(_source: String) -> Option<String> {
        None
    }

    fn initialize_job() -> Result<(), String> {
        with_session(|session| {
            let job = sync::job_subject();
            let physical = insert_partition(&job, "BisCore:PhysicalPartition", ASSETS, "BisCore:PhysicalModel")?;
            insert_partition(&job, "BisCore:DefinitionPartition", DEFINITIONS, "BisCore:DefinitionModel")?;
            insert_partition(&job, "BisCore:GroupInformationPartition", GROUPS, "Generic:GroupModel")?;
            sync::ensure_code_spec(props::TAG_SPEC, CodeScope::Model).context(props::TAG_SPEC)?;
            let link = &session.document.repository_link;
            sync::insert_relationship(&props::relationship("BisCore:ElementHasLinks", &physical, link).to_string())
                .context("link from the Assets partition to the register")?;
            log(LogLevel::Info, format!("job {job} initialised: partitions {ASSETS}, {DEFINITIONS}, {GROUPS}"));
            Ok(())
        })
    }

    fn import_definitions() -> Result<(), String> {
        with_session(|session| {
            if !is_changed(session) {
                return Ok(());
            }
            let categories =
                register::read_categories(&session.source).map_err(|e| format!("{}: {e}", session.source))?;
            let definitions = job_model(DEFINITIONS)?;
            let mut counts = Counts::default();
            for (done, category) in categories.iter().enumerate() {
                let (id, state) = sync_category(category, &definitions)?;
                counts.add(state);
                session.categories.insert(category.id.clone(), id);
                progress(done + 1, categories.len());
            }
            log(LogLevel::Info, format!("categories: {counts}"));
            Ok(())
        })
    }

    fn update_existing_data() -> Result<(), String> {
        with_session(|session| {
            if !is_changed(session) {
                return Ok(());
            }
            let size = std::fs::metadata(&session.source).map(|m| m.len()).unwrap_or(0);
            let mut assets = AssetSync {
                categories: &session.categories,
                physical: job_model(ASSETS)?,
                groups: job_model(GROUPS)?,
                size,
                done: 0,
                counts: Counts::default(),
            };
            register::stream_items(&session.source, BATCH, &mut assets).map_err(|e| format!("{}: {e}", session.source))
        })
    }

    fn unmap_source(job_subject_name: String) -> Result<(), String> {
        log(LogLevel::Info, format!("unmapping {job_subject_name}: the host removes its elements"));
        Ok(())
    }
}

/// Whether the register has to be read: the host keeps the elements of an unchanged document,
/// so they need not be marked seen one by one.
fn is_changed(session: &Session) -> bool {
    if !session.changed {
        log(LogLevel::Info, format!("register {} is unchanged: nothing to do", session.header.register_id));
    }
    session.changed
}

/// Inserts a partition under the job subject and its model; returns the partition's id.
fn insert_partition(job: &str, class: &str, name: &str, model_class: &str) -> Result<String, String> {
    let partition = sync::insert_element(&props::partition(class, job, name).to_string())
        .context(format_args!("partition {name}"))?;
    sync::insert_model(&props::model(model_class, &partition).to_string()).context(format_args!("model {name}"))?;
    Ok(partition)
}

/// The model of the job's partition `name` (a model's id is its partition's). `initialize-job`
/// runs on a job's first run only, so every run looks them up by code.
fn job_model(name: &str) -> Result<String, String> {
    let job = sync::job_subject();
    sync::find_element_by_code(props::PARTITION_SPEC, &job, name)
        .context(format_args!("partition {name}"))?
        .ok_or_else(|| format!("partition {name} is missing under job subject {job}"))
}

/// Writes a category if it is new or changed, and gives its default SubCategory the color.
fn sync_category(category: &Category, definitions: &str) -> Result<(String, ItemState), String> {
    let what = format!("category {}", category.id);
    let item = source_item(format!("category:{}", category.id), "Category", None, checksum_of(category));
    let change = sync::detect_changes(&item).context(&what)?;
    if change.state == ItemState::Unchanged {
        let id = tracked_element(change, &what)?;
        sync::on_element_seen(&id);
        return Ok((id, ItemState::Unchanged));
    }
    let id = sync::update_imodel(&item, &props::category(category, definitions).to_string()).context(&what)?;
    set_subcategory_color(&id, &category.color).context(&what)?;
    Ok((id, change.state))
}

/// Sets the color of a category's default SubCategory (category id + 1), keeping the rest of
/// its appearance.
fn set_subcategory_color(category: &str, color: &str) -> Result<(), SyncError> {
    let sub_category = next_id(category).ok_or_else(|| SyncError::InvalidProps(format!("bad id {category}")))?;
    let props = sync::element_props(&sub_category)?
        .ok_or_else(|| SyncError::NotFound(format!("default SubCategory {sub_category}")))?;
    let props: Value = serde_json::from_str(&props).map_err(|e| SyncError::HostFailure(e.to_string()))?;
    let mut appearance = props.get("appearance").filter(|a| a.is_object()).cloned().unwrap_or_else(|| json!({}));
    appearance["color"] = json!(tbgr_color(color).map_err(SyncError::InvalidProps)?);
    let class = props.get("classFullName").cloned().unwrap_or_else(|| json!("BisCore:SubCategory"));
    sync::update_element(&json!({ "id": sub_category, "classFullName": class, "appearance": appearance }).to_string())
}

/// Assets per batch call: the host takes at most 10,000 items and 64 MiB a call
/// (`detect-changes-batch`, `update-imodel-batch`); 2,000 assets with their parts stay far below
/// both, and the guest holds no more than one chunk of the register at a time.
const BATCH: usize = 2_000;

/// Writes the register's assets a chunk at a time as they are read, then its groups.
struct AssetSync<'a> {
    categories: &'a HashMap<String, String>,
    physical: String,
    groups: String,
    /// The file's size, to estimate how many assets it holds from how far the reading got.
    size: u64,
    done: usize,
    counts: Counts,
}

impl ItemSink for AssetSync<'_> {
    /// Detects the chunk's changes, marks the unchanged seen and writes the others.
    fn assets(&mut self, assets: &[Asset], read: u64) -> Result<(), String> {
        let items: Vec<SourceItem> = assets.iter().map(asset_item).collect();
        let changes = sync::detect_changes_batch(&items).context("assets")?;
        if changes.len() != items.len() {
            return Err(format!("assets: change detection answered {} of {} items", changes.len(), items.len()));
        }
        let mut seen = Vec::new();
        let mut writes = Vec::new();
        let mut written = Vec::new();
        for ((asset, item), change) in assets.iter().zip(items).zip(changes) {
            self.counts.add(change.state);
            if change.state == ItemState::Unchanged {
                seen.push(tracked_element(change, &format!("asset {}", asset.tag))?);
            } else {
                let category = self
                    .categories
                    .get(&asset.category)
                    .ok_or_else(|| format!("asset {}: unknown category {:?}", asset.tag, asset.category))?;
                writes.push((item, props::asset(asset, &self.physical, category)));
                written.push(asset);
            }
        }
        sync::on_elements_seen(&seen);
        let errors: Vec<String> = written
            .into_iter()
            .zip(sync::update_imodel_batch(&writes))
            .filter_map(|(asset, result)| result.err().map(|e| format!("asset {}: {}", asset.tag, describe(&e))))
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        self.done += assets.len();
        // The total is estimated from the share of the file read so far, for the host's ETA.
        let estimate = (self.done as f64 * self.size as f64 / read.max(1) as f64) as usize;
        progress(self.done, estimate.max(self.done + 1));
        Ok(())
    }

    fn groups(&mut self, groups: Vec<Group>) -> Result<(), String> {
        progress(self.done, self.done);
        log(LogLevel::Info, format!("assets: {}", self.counts));
        let mut counts = Counts::default();
        for group in &groups {
            counts.add(sync_group(group, &self.groups)?);
        }
        log(LogLevel::Info, format!("groups: {counts}"));
        Ok(())
    }
}

fn asset_item(asset: &Asset) -> SourceItem {
    source_item(asset.id.clone(), "Asset", Some(asset.version.to_string()), checksum_of(asset))
}

/// Writes a group and its membership if it is new or changed: the group is updated in place
/// (it keeps its id) and its ElementGroupsMembers rows are reconciled with the member list.
/// Members are found through change detection: the element tracking each asset.
fn sync_group(group: &Group, group_model: &str) -> Result<ItemState, String> {
    let what = format!("group {}", group.id);
    let item = source_item(format!("group:{}", group.id), "Group", None, checksum_of(group));
    let change = sync::detect_changes(&item).context(&what)?;
    let state = change.state;
    if state == ItemState::Unchanged {
        sync::on_element_seen(&tracked_element(change, &what)?);
        return Ok(state);
    }
    let wanted = member_elements(group)?;
    let id = sync::update_imodel(&item, &props::group(group, group_model).to_string()).context(&what)?;
    let existing = sync::find_relationships(MEMBERS, &id).context(&what)?;
    for (relationship, target) in &existing {
        if !wanted.contains(target) {
            sync::delete_relationship(MEMBERS, relationship).context(&what)?;
        }
    }
    for (priority, (member, target)) in group.members.iter().zip(&wanted).enumerate() {
        if !existing.iter().any(|(_, t)| t == target) {
            sync::insert_relationship(&props::group_member(&id, target, priority).to_string())
                .context(format_args!("{what}: member {member}"))?;
        }
    }
    Ok(state)
}

/// The elements of a group's members, in order: each must be an asset of the register.
fn member_elements(group: &Group) -> Result<Vec<String>, String> {
    let mut elements = Vec::with_capacity(group.members.len());
    for members in group.members.chunks(BATCH) {
        // No version or checksum: only the tracking element is wanted, nothing is judged.
        let items: Vec<SourceItem> = members
            .iter()
            .map(|m| SourceItem {
                id: m.clone(),
                kind: Some("Asset".into()),
                scope: None,
                version: None,
                checksum: None,
            })
            .collect();
        let found = sync::detect_changes_batch(&items).context(format_args!("group {}", group.id))?;
        for (member, change) in members.iter().zip(found) {
            elements.push(change.element_id.ok_or_else(|| format!("group {}: unknown member {member:?}", group.id))?);
        }
    }
    Ok(elements)
}

/// The relationship between a group and its members.
const MEMBERS: &str = "BisCore:ElementGroupsMembers";

fn source_item(id: String, kind: &str, version: Option<String>, checksum: String) -> SourceItem {
    SourceItem { id, kind: Some(kind.into()), scope: None, version, checksum: Some(checksum) }
}

/// The element of a tracked item; the host always names it, so its absence is the host's fault.
fn tracked_element(change: ChangeResult, what: &str) -> Result<String, String> {
    change.element_id.ok_or_else(|| format!("{what}: change detection found it tracked but named no element"))
}

/// `0x1a` → `0x1b`.
fn next_id(id: &str) -> Option<String> {
    let n = u64::from_str_radix(id.strip_prefix("0x")?, 16).ok()?;
    Some(format!("{:#x}", n.checked_add(1)?))
}

/// Turns the host's refusal into the lifecycle's error string, naming what was being written.
trait Context<T> {
    fn context(self, what: impl Display) -> Result<T, String>;
}

impl<T> Context<T> for Result<T, SyncError> {
    fn context(self, what: impl Display) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {}", describe(&e)))
    }
}

/// `duplicate-code: <host's message>`: the WIT case name keeps the cause searchable.
fn describe(error: &SyncError) -> String {
    let (case, message) = match error {
        SyncError::InvalidProps(m) => ("invalid-props", m),
        SyncError::UnknownClass(m) => ("unknown-class", m),
        SyncError::OutOfScope(m) => ("out-of-scope", m),
        SyncError::DuplicateCode(m) => ("duplicate-code", m),
        SyncError::NotFound(m) => ("not-found", m),
        SyncError::WrongClass(m) => ("wrong-class", m),
        SyncError::HostFailure(m) => ("host-failure", m),
    };
    format!("{case}: {message}")
}

fn state_name(state: ItemState) -> &'static str {
    match state {
        ItemState::Unchanged => "unchanged",
        ItemState::New => "new",
        ItemState::Changed => "changed",
    }
}

fn log(level: LogLevel, message: impl AsRef<str>) {
    host::log(level, message.as_ref());
}

/// How many items change detection found in each state, for the log.
#[derive(Default)]
struct Counts {
    new: usize,
    changed: usize,
    unchanged: usize,
}

impl Counts {
    fn add(&mut self, state: ItemState) {
        match state {
            ItemState::New => self.new += 1,
            ItemState::Changed => self.changed += 1,
            ItemState::Unchanged => self.unchanged += 1,
        }
    }
}

impl Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} new, {} changed, {} unchanged", self.new, self.changed, self.unchanged)
    }
}

/// Progress of the current phase, in items.
fn progress(done: usize, total: usize) {
    host::progress(done as u64, Some(total as u64));
}
