//! Default views: the host makes sure an iModel opens in a viewer looking at what connectors wrote.
//!
//! At the end of every successful run (not an unmap), a job gets one view of its own data: a
//! DisplayStyle3d, a ModelSelector with the job's spatial models, a CategorySelector with the
//! categories their elements use, and a SpatialViewDefinition that frames those models' range
//! from the iso direction with the camera on, as iTwin.js `SpatialViewDefinition.createWithCamera`
//! frames a range. The four are named after the job subject ([`view_name`]: `<subject> view`, not
//! the subject's own name, which lookups by code value expect to be the subject's) and live in a
//! DefinitionModel of the job (partition [`VIEWS_PARTITION`] under the job subject): the
//! job-subject scoping rule holds, they never clash with another job's, and unmapping the job
//! removes them with its tree.
//! Re-runs update them in place when the models, categories or range changed, and write nothing
//! otherwise (a run that wrote nothing does not even look: its view cannot have changed); the
//! display style is written once and then left to the user.
//!
//! The iModel's default view (`dgn_View`/`DefaultView`, what `IModelDb.views.setDefaultViewId`
//! writes) is the first job's view: it is set when the iModel has none or its view is gone, so
//! a viewer opens the same view whichever job ran last. Unmapping the job whose view it is hands
//! the default on to the oldest remaining spatial view ([`repair_default_view`]).

mod camera;
mod props;

use serde_json::{json, Value};

pub use camera::ViewVolume;

use crate::{SyncError, Synchronizer};
use itwin_geometry::placement::Range3d;
use itwin_imodel::id64::format as hex;
use itwin_imodel::Briefcase;
use props::{already_stored, ViewParts};

/// The code value of the job's DefinitionPartition that holds its view.
pub const VIEWS_PARTITION: &str = "itwin-host views";
const PARTITION_SPEC: &str = "bis:InformationPartitionElement";
/// Framed when nothing of the job is in the spatial index and the file has no project extents.
const FALLBACK_RANGE: Range3d = Range3d { low: [-50.0, -50.0, -10.0], high: [50.0, 50.0, 30.0] };

/// What the job's view shows.
struct ViewContent {
    models: Vec<i64>,
    categories: Vec<i64>,
    volume: ViewVolume,
    geolocated: bool,
}

/// The name (code value) of the view, display style and selectors of job subject `job_subject`.
pub fn view_name(job_subject: &str) -> String {
    format!("{job_subject} view")
}

/// Writes or updates the view of the synchronizer's job, whose subject is named `job_subject`,
/// and makes it the iModel's default view if there is none. A job without spatial models gets
/// no view (and loses the one it had).
///
/// # Errors
/// The writer's errors, as [`SyncError::HostFailure`].
pub fn write_job_view(bim: &mut Briefcase, sync: &mut Synchronizer, job_subject: &str) -> Result<(), SyncError> {
    let job = sync.job_subject();
    let name = &view_name(job_subject);
    let partition = find_partition(bim, job)?;
    // Documents (RepositoryLink, ExternalSource) live in the repository model, in no view: a
    // re-run that only recorded a new revision of its source leaves the view as it was.
    let written: usize = (sync.stats().by_class.iter())
        .filter(|(class, _)| !matches!(class.as_str(), "BisCore:RepositoryLink" | "BisCore:ExternalSource"))
        .map(|(_, t)| t.inserted + t.updated + t.deleted)
        .sum();
    if written == 0 {
        // Measuring the job's models takes a pass over all its elements: skip it when they
        // cannot have changed.
        if let Some(view) = existing_view(bim, partition, name)? {
            return make_default_unless_set(bim, view);
        }
    }
    let models = job_spatial_models(bim, sync)?;
    if models.is_empty() {
        if let Some(partition) = partition {
            sync.delete_tracked_subtree(bim, partition)?;
        }
        return repair_default_view(bim);
    }
    let content = view_content(bim, models)?;
    let model = match partition {
        Some(partition) if bim.has_model(partition)? => partition,
        Some(partition) => insert_model(bim, sync, partition)?,
        None => {
            let partition = insert_partition(bim, sync, job)?;
            insert_model(bim, sync, partition)?
        }
    };
    let view = Writer { bim, sync }.write_view(model, name, &content)?;
    make_default_unless_set(bim, view)
}

/// Makes `view` the default view unless an existing element already is.
fn make_default_unless_set(bim: &mut Briefcase, view: i64) -> Result<(), SyncError> {
    match bim.default_view()? {
        Some(current) if bim.parent_and_model(current)?.is_some() => Ok(()),
        _ => Ok(bim.set_default_view(view)?),
    }
}

/// The job's view named `name` in its views partition, if both exist.
fn existing_view(bim: &Briefcase, partition: Option<i64>, name: &str) -> Result<Option<i64>, SyncError> {
    let Some(partition) = partition else { return Ok(None) };
    let spec = code_spec(bim, "bis:ViewDefinition")?;
    Ok(bim.find_element_by_code(spec, partition, name)?)
}

/// Points the default view at an existing view: left alone if it already does, else the oldest
/// spatial view, else removed.
///
/// # Errors
/// The writer's errors, as [`SyncError::HostFailure`].
pub fn repair_default_view(bim: &mut Briefcase) -> Result<(), SyncError> {
    let Some(current) = bim.default_view()? else { return Ok(()) };
    if bim.parent_and_model(current)?.is_some() {
        return Ok(());
    }
    match bim.spatial_views()?.first() {
        Some(&view) => bim.set_default_view(view)?,
        None => bim.clear_default_view()?,
    }
    Ok(())
}

/// The visible spatial models under the job subject.
fn job_spatial_models(bim: &Briefcase, sync: &mut Synchronizer) -> Result<Vec<i64>, SyncError> {
    let mut models = Vec::new();
    for model in bim.visible_spatial_models()? {
        // A model's id is its modeled element's, which lies under the job subject or not.
        if sync.is_in_job(bim, model)? {
            models.push(model);
        }
    }
    Ok(models)
}

fn view_content(bim: &Briefcase, models: Vec<i64>) -> Result<ViewContent, SyncError> {
    let categories = bim.categories_in_models(&models)?;
    let mut range = bim.spatial_index_range(&models)?;
    if range.is_empty() {
        range = bim.project_extents()?.filter(|r| !r.is_empty()).unwrap_or(FALLBACK_RANGE);
    }
    let geolocated = bim.spatial_frame()?.geolocated;
    Ok(ViewContent { models, categories, volume: ViewVolume::iso_camera(&range), geolocated })
}

/// The job's views partition, checked to be ours if something has its code.
fn find_partition(bim: &mut Briefcase, job: i64) -> Result<Option<i64>, SyncError> {
    let spec = code_spec(bim, PARTITION_SPEC)?;
    let Some(id) = bim.find_element_by_code(spec, job, VIEWS_PARTITION)? else { return Ok(None) };
    let class = bim.element_class_name(id)?.unwrap_or_default();
    if class != "BisCore:DefinitionPartition" {
        return Err(SyncError::WrongClass(format!(
            "the job subject {} has a `{class}` {} named {VIEWS_PARTITION:?}, the name the host keeps for the job's views",
            hex(job),
            hex(id)
        )));
    }
    Ok(Some(id))
}

fn insert_partition(bim: &mut Briefcase, sync: &mut Synchronizer, job: i64) -> Result<i64, SyncError> {
    let class = "BisCore:DefinitionPartition";
    let id = bim.insert_element(&json!({
        "classFullName": class, "model": "0x1",
        "parent": { "id": hex(job), "relClassName": "BisCore:SubjectOwnsPartitionElements" },
        "code": { "spec": PARTITION_SPEC, "scope": hex(job), "value": VIEWS_PARTITION },
        "description": "Views itwin-host writes for this job",
    }))?;
    sync.stats_mut().tally(class).inserted += 1;
    Ok(id)
}

fn insert_model(bim: &mut Briefcase, sync: &mut Synchronizer, partition: i64) -> Result<i64, SyncError> {
    let class = "BisCore:DefinitionModel";
    let id = bim.insert_model(&json!({ "classFullName": class, "modeledElement": { "id": hex(partition) } }))?;
    sync.stats_mut().tally(class).inserted += 1;
    Ok(id)
}

fn code_spec(bim: &Briefcase, name: &str) -> Result<i64, SyncError> {
    bim.code_spec_by_name(name)?.ok_or_else(|| SyncError::HostFailure(format!("the iModel has no `{name}` code spec")))
}

/// Whether an existing element is brought up to date.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Update {
    WhenChanged,
    Never,
}

/// Writes the view's elements and relationships, counting what it writes.
struct Writer<'a> {
    bim: &'a mut Briefcase,
    sync: &'a mut Synchronizer,
}

impl Writer<'_> {
    /// The four elements of the view named `name` in definition model `model`; returns the view.
    fn write_view(&mut self, model: i64, name: &str, content: &ViewContent) -> Result<i64, SyncError> {
        let display_style = self.ensure(props::display_style(model, name, content.geolocated), Update::Never)?;
        let model_selector = self.ensure(props::model_selector(model, name), Update::WhenChanged)?;
        self.relate("BisCore:ModelSelectorRefersToModels", model_selector, &content.models)?;
        let category_selector = self.ensure(props::category_selector(model, name), Update::WhenChanged)?;
        self.relate("BisCore:CategorySelectorRefersToCategories", category_selector, &content.categories)?;
        let parts = ViewParts { display_style, model_selector, category_selector };
        self.ensure(props::spatial_view(model, name, &parts, &content.volume), Update::WhenChanged)
    }

    /// Finds the element `props` describe by its code, then inserts it or updates what differs;
    /// returns its id.
    fn ensure(&mut self, props: Value, update: Update) -> Result<i64, SyncError> {
        let class = props["classFullName"].as_str().unwrap_or_default().to_owned();
        let code = &props["code"];
        let spec = code_spec(self.bim, code["spec"].as_str().unwrap_or_default())?;
        let model = self.sync_id(&props["model"])?;
        let value = code["value"].as_str().unwrap_or_default();
        let Some(id) = self.bim.find_element_by_code(spec, model, value)? else {
            let id = self.bim.insert_element(&props)?;
            self.sync.stats_mut().tally(&class).inserted += 1;
            return Ok(id);
        };
        if update == Update::Never {
            return Ok(id);
        }
        let stored = self.bim.element_props(id)?.unwrap_or(Value::Null);
        // Found by its code, which the reader reports with the spec's id rather than its name.
        let mut compared = props.clone();
        compared.as_object_mut().expect("an object").remove("code");
        if already_stored(&compared, &stored) {
            return Ok(id);
        }
        let mut changed = props;
        changed["id"] = json!(hex(id));
        self.bim.update_element(&changed)?;
        self.sync.stats_mut().tally(&class).updated += 1;
        Ok(id)
    }

    /// Makes the `class` relationships from `source` end at exactly `targets`.
    fn relate(&mut self, class: &str, source: i64, targets: &[i64]) -> Result<(), SyncError> {
        let existing = self.bim.relationships_from(class, source)?;
        for &(relationship, target) in &existing {
            if !targets.contains(&target) {
                self.bim.delete_relationship(class, relationship)?;
                self.sync.stats_mut().tally(class).deleted += 1;
            }
        }
        for &target in targets {
            if !existing.iter().any(|&(_, t)| t == target) {
                self.bim.insert_relationship(
                    &json!({ "classFullName": class, "sourceId": hex(source), "targetId": hex(target) }),
                )?;
                self.sync.stats_mut().tally(class).inserted += 1;
            }
        }
        Ok(())
    }

    fn sync_id(&self, value: &Value) -> Result<i64, SyncError> {
        crate::parse_id(value.as_str().unwrap_or_default(), "model")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{fixture, Fixture};
    use crate::Tally;

    /// A job subject with a physical model and a category, in an open transaction.
    type Job = Fixture;

    fn job() -> Job {
        fixture()
    }

    impl Job {
        fn place(&mut self, origin: [f64; 3]) -> i64 {
            let props = json!({
                "classFullName": "Generic:PhysicalObject", "model": hex(self.model), "category": hex(self.category),
                "placement": { "origin": origin, "bbox": { "low": [0, 0, 0], "high": [2, 2, 2] } },
            });
            self.sync.insert_element(&mut self.bim, &props).unwrap()
        }

        fn write_view(&mut self) -> Tally {
            let before = self.sync.stats().total();
            write_job_view(&mut self.bim, &mut self.sync, "Test:job").unwrap();
            let after = self.sync.stats().total();
            Tally {
                inserted: after.inserted - before.inserted,
                updated: after.updated - before.updated,
                deleted: after.deleted - before.deleted,
                unchanged: 0,
            }
        }

        fn view(&mut self) -> Option<(i64, Value)> {
            let spec = self.bim.code_spec_by_name("bis:ViewDefinition").unwrap().unwrap();
            let partition = find_partition(&mut self.bim, self.sync.job_subject()).unwrap()?;
            let id = self.bim.find_element_by_code(spec, partition, &view_name("Test:job")).unwrap()?;
            Some((id, self.bim.element_props(id).unwrap().unwrap()))
        }

        fn targets(&mut self, class: &str, source: &Value) -> Vec<i64> {
            let source = crate::parse_id(source["id"].as_str().unwrap(), "id").unwrap();
            self.bim.relationships_from(class, source).unwrap().into_iter().map(|(_, target)| target).collect()
        }
    }

    #[test]
    fn a_job_gets_a_view_of_its_models_and_categories_that_is_the_default() {
        let mut job = job();
        job.place([0.0, 0.0, 0.0]);
        job.place([10.0, 4.0, 0.0]);
        // Partition, model, display style, two selectors, the view and a row in each selector.
        assert_eq!(job.write_view(), Tally { inserted: 8, ..Default::default() });
        let (view, props) = job.view().expect("the job's view");
        assert_eq!(job.bim.default_view().unwrap(), Some(view));
        assert_eq!(job.targets("BisCore:ModelSelectorRefersToModels", &props["modelSelector"]), vec![job.model]);
        assert_eq!(
            job.targets("BisCore:CategorySelectorRefersToCategories", &props["categorySelector"]),
            vec![job.category]
        );
        let range = job.bim.spatial_index_range(&[job.model]).unwrap();
        let expected = ViewVolume::iso_camera(&range);
        let [yaw, pitch, roll] = expected.angles;
        let orientation =
            json!({ "extents": expected.extents, "origin": expected.origin, "yaw": yaw, "pitch": pitch, "roll": roll });
        assert!(props::already_stored(&orientation, &props), "{props}");
    }

    #[test]
    fn a_rerun_writes_nothing_unless_what_the_view_shows_changed() {
        let mut job = job();
        job.place([0.0, 0.0, 0.0]);
        job.write_view();
        let (view, _) = job.view().unwrap();
        assert_eq!(job.write_view(), Tally::default());
        job.place([100.0, 0.0, 0.0]);
        assert_eq!(job.write_view(), Tally { updated: 1, ..Default::default() });
        let (same, props) = job.view().unwrap();
        assert_eq!(same, view, "updated in place, never duplicated");
        let wider = job.bim.spatial_index_range(&[job.model]).unwrap();
        assert!(props::already_stored(&json!({ "extents": ViewVolume::iso_camera(&wider).extents }), &props));
        assert_eq!(job.write_view(), Tally::default());
    }

    #[test]
    fn an_existing_default_view_is_kept_and_a_dangling_one_replaced() {
        let mut job = job();
        job.place([0.0, 0.0, 0.0]);
        job.bim.set_default_view(0x1).unwrap(); // the root subject: exists, so someone chose it
        job.write_view();
        assert_eq!(job.bim.default_view().unwrap(), Some(0x1));
        job.bim.set_default_view(0xfffff).unwrap();
        job.write_view();
        let (view, _) = job.view().unwrap();
        assert_eq!(job.bim.default_view().unwrap(), Some(view));
    }

    #[test]
    fn a_run_that_wrote_nothing_leaves_the_view_and_only_mends_the_default() {
        let mut job = job();
        job.place([0.0, 0.0, 0.0]);
        job.write_view();
        let (view, _) = job.view().unwrap();
        let subject = job.sync.job_subject();
        job.sync = Synchronizer::new("Test", "1.0");
        job.sync.set_job_subject(subject);
        job.bim.set_default_view(0xfffff).unwrap();
        assert_eq!(job.write_view(), Tally::default());
        assert_eq!(job.bim.default_view().unwrap(), Some(view));
    }

    #[test]
    fn without_spatial_models_the_job_has_no_view_and_the_default_moves_on() {
        let mut job = job();
        job.place([0.0, 0.0, 0.0]);
        job.write_view();
        let (view, _) = job.view().unwrap();
        job.sync.delete_element(&mut job.bim, job.model).unwrap();
        let tally = job.write_view();
        assert_eq!(tally.deleted, 5, "partition (with its model), style, selectors and view: {tally:?}");
        assert!(job.view().is_none());
        assert!(job.bim.parent_and_model(view).unwrap().is_none());
        assert_eq!(job.bim.default_view().unwrap(), None);
    }
}
