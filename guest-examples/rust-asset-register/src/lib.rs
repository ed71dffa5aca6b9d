//! AssetRegister: an example iTwin connector for itwin-host, on the `itwin-connector` SDK.
//!
//! Reads an asset register (JSON, see README.md) and writes it as BIS elements through the host's
//! synchronizer: categories in a definition model, assets (with their parts as children) in a
//! physical model, groups in a group model. Change detection is the host's; the connector only
//! says what each source item is and what it should look like.

mod props;
mod register;

use std::collections::HashMap;

use itwin_connector::props::{PartitionKind, Relationship, GROUP_MEMBERS};
use itwin_connector::{
    checksum, export_connector, item, state_name, sync, Appearance, CodeScope, Connector, Context, Counts,
    DocumentRecord, Error, Group, Info, ItemState, LogLevel, SourceDocument, SourceItem, SpatialCategory,
};
use register::{Asset, Category, Header, ItemSink};

/// Partition (and model) names: how later runs find what `initialize-job` created.
const ASSETS: &str = "Assets";
const DEFINITIONS: &str = "Definitions";
const GROUPS: &str = "Groups";

/// Assets per batch: the guest holds no more than one chunk of the register at a time.
const BATCH: usize = 2_000;

/// One run: the open register and what the lifecycle calls learn about it.
struct AssetRegister {
    header: Header,
    /// The register's path in the sandbox; it is read as a stream in `update-existing-data`.
    source: String,
    /// Whether the document changed (or is new): an unchanged register is not read at all.
    changed: bool,
    document: DocumentRecord,
    /// Category `id` → element id, filled by `import-definitions` for `update-existing-data`.
    categories: HashMap<String, String>,
}

export_connector!(AssetRegister);

impl Connector for AssetRegister {
    fn info() -> Info {
        Info::new(
            "AssetRegister",
            env!("CARGO_PKG_VERSION"),
            "Imports a plant asset register (JSON): categories, assets with their parts, groups",
        )
    }

    fn open_source_data(source: &str) -> Result<Self, Error> {
        // The document is recorded before the items are read: an unchanged register (same
        // revision) is never read beyond its header. As in the framework's own connectors, the
        // revision alone says whether it changed.
        let header = Header::read(source).context(source)?;
        let document = sync::record_document(&SourceDocument {
            docid: header.register_id.clone(),
            description: Some(header.name.clone()),
            last_modified: Some(header.revision.clone()),
            checksum: None,
            url: Some(format!("file://{source}")),
        })
        .context(format_args!("register {}", header.register_id))?;
        let (id, name, revision) = (&header.register_id, &header.name, &header.revision);
        let state = state_name(document.state);
        let message = format!(
            "register {id} ({name}) revision {revision}: document {state} (external source {})",
            document.external_source
        );
        sync::log(LogLevel::Info, message);
        let changed = document.state != ItemState::Unchanged;
        Ok(AssetRegister { header, source: source.to_owned(), changed, document, categories: HashMap::new() })
    }

    fn initialize_job(&mut self) -> Result<(), Error> {
        let physical = sync::insert_partition(PartitionKind::Physical, ASSETS)?;
        sync::insert_partition(PartitionKind::Definition, DEFINITIONS)?;
        sync::insert_partition(PartitionKind::Group, GROUPS)?;
        sync::ensure_code_spec(props::TAG_SPEC, CodeScope::Model).context(props::TAG_SPEC)?;
        let link = Relationship::element_has_links(&physical, &self.document.repository_link);
        sync::insert_relationship(&link).context("link from the Assets partition to the register")?;
        sync::log(
            LogLevel::Info,
            format!("job {} initialised: partitions {ASSETS}, {DEFINITIONS}, {GROUPS}", sync::job_subject()),
        );
        Ok(())
    }

    fn import_definitions(&mut self) -> Result<(), Error> {
        if !self.is_changed() {
            return Ok(());
        }
        let categories = register::read_categories(&self.source).context(&self.source)?;
        let definitions = sync::find_model(DEFINITIONS)?;
        let mut counts = Counts::default();
        for (done, category) in categories.iter().enumerate() {
            let (id, state) =
                sync_category(category, &definitions).context(format_args!("category {}", category.id))?;
            counts.add(state);
            self.categories.insert(category.id.clone(), id);
            sync::progress(done + 1, Some(categories.len()));
        }
        sync::log(LogLevel::Info, format!("categories: {counts}"));
        Ok(())
    }

    fn update_existing_data(&mut self) -> Result<(), Error> {
        if !self.is_changed() {
            return Ok(());
        }
        let size = std::fs::metadata(&self.source).map(|m| m.len()).unwrap_or(0);
        let mut assets = AssetSync {
            categories: &self.categories,
            physical: sync::find_model(ASSETS)?,
            groups: sync::find_model(GROUPS)?,
            size,
            done: 0,
            counts: Counts::default(),
        };
        register::stream_items(&self.source, BATCH, &mut assets).context(&self.source)
    }

    fn unmap_source(&mut self, job_subject_name: &str) -> Result<(), Error> {
        sync::log(LogLevel::Info, format!("unmapping {job_subject_name}: the host removes its elements"));
        Ok(())
    }
}

impl AssetRegister {
    /// Whether the register has to be read: the host keeps the elements of an unchanged
    /// document, so they need not be marked seen one by one.
    fn is_changed(&self) -> bool {
        if !self.changed {
            sync::log(LogLevel::Info, format!("register {} is unchanged: nothing to do", self.header.register_id));
        }
        self.changed
    }
}

/// Writes a category if it is new or changed, and gives its default SubCategory the color.
fn sync_category(category: &Category, definitions: &str) -> Result<(String, ItemState), Error> {
    let item = item(format!("category:{}", category.id), "Category", None, checksum(category));
    let change = sync::detect(&item)?;
    if change.state == ItemState::Unchanged {
        let id = tracked(change.element_id)?;
        sync::seen(&id);
        return Ok((id, ItemState::Unchanged));
    }
    let id = sync::update(&item, &SpatialCategory::new(definitions, &category.name))?;
    sync::set_sub_category_appearance(&id, &Appearance::color(&category.color)?)?;
    Ok((id, change.state))
}

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
        let items: Vec<SourceItem> =
            assets.iter().map(|a| item(a.id.clone(), "Asset", Some(a.version.to_string()), checksum(a))).collect();
        let changes = sync::detect_all(&items).context("assets").map_err(|e| e.to_string())?;
        let (mut seen, mut writes) = (Vec::new(), Vec::new());
        for ((asset, item), change) in assets.iter().zip(items).zip(changes) {
            self.counts.add(change.state);
            if change.state == ItemState::Unchanged {
                seen.push(tracked(change.element_id).map_err(|e| e.to_string())?);
            } else {
                let category = self
                    .categories
                    .get(&asset.category)
                    .ok_or_else(|| format!("asset {}: unknown category {:?}", asset.tag, asset.category))?;
                writes.push((item, props::asset(asset, &self.physical, category)));
            }
        }
        sync::seen_all(&seen);
        sync::update_all(&writes).context("assets").map_err(|e| e.to_string())?;
        self.done += assets.len();
        // The total is estimated from the share of the file read so far, for the host's ETA.
        let estimate = (self.done as f64 * self.size as f64 / read.max(1) as f64) as usize;
        sync::progress(self.done, Some(estimate.max(self.done + 1)));
        Ok(())
    }

    fn groups(&mut self, groups: Vec<register::Group>) -> Result<(), String> {
        sync::progress(self.done, Some(self.done));
        sync::log(LogLevel::Info, format!("assets: {}", self.counts));
        let mut counts = Counts::default();
        for group in &groups {
            counts.add(
                sync_group(group, &self.groups)
                    .context(format_args!("group {}", group.id))
                    .map_err(|e| e.to_string())?,
            );
        }
        sync::log(LogLevel::Info, format!("groups: {counts}"));
        Ok(())
    }
}

/// Writes a group and its membership if it is new or changed: the group is updated in place
/// (it keeps its id) and its ElementGroupsMembers rows are reconciled with the member list.
fn sync_group(group: &register::Group, group_model: &str) -> Result<ItemState, Error> {
    let item = item(format!("group:{}", group.id), "Group", None, checksum(group));
    let change = sync::detect(&item)?;
    if change.state == ItemState::Unchanged {
        sync::seen(&tracked(change.element_id)?);
        return Ok(change.state);
    }
    // Members are the elements tracking the assets: change detection names them.
    let lookups: Vec<SourceItem> = group
        .members
        .iter()
        .map(|m| SourceItem { id: m.clone(), kind: Some("Asset".into()), scope: None, version: None, checksum: None })
        .collect();
    let mut wanted = Vec::with_capacity(lookups.len());
    for (member, found) in group.members.iter().zip(sync::detect_all(&lookups)?) {
        wanted.push(found.element_id.ok_or_else(|| Error::new(format_args!("unknown member {member:?}")))?);
    }
    let id = sync::update(&item, &Group::new(group_model, &group.name))?;
    let existing = sync::find_relationships(GROUP_MEMBERS, &id)?;
    for (relationship, target) in &existing {
        if !wanted.contains(target) {
            sync::delete_relationship(GROUP_MEMBERS, relationship)?;
        }
    }
    for (priority, (member, target)) in group.members.iter().zip(&wanted).enumerate() {
        if !existing.iter().any(|(_, t)| t == target) {
            sync::insert_relationship(&Relationship::group_member(&id, target, priority))
                .context(format_args!("member {member}"))?;
        }
    }
    Ok(change.state)
}

/// The element of a tracked item; the host always names it, so its absence is the host's fault.
fn tracked(element: Option<String>) -> Result<String, Error> {
    element.ok_or_else(|| Error::new("change detection found it tracked but named no element"))
}
