//! The synchronizer's test fixture, shared by the tests of the modules built on it.

use serde_json::json;

use super::Synchronizer;
use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, RootSubject};

pub(crate) struct Fixture {
    pub _dir: tempfile::TempDir,
    pub bim: Briefcase,
    pub sync: Synchronizer,
    pub model: i64,
    pub definitions: i64,
    pub category: i64,
}

/// A briefcase with a job subject, a physical model, a definition model and a category (all
/// untracked), in an open transaction.
pub(crate) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut bim = Briefcase::create(&dir.path().join("sync.bim"), &RootSubject::named("sync")).unwrap();
    bim.begin().unwrap();
    let (sync, job) = add_job(&mut bim, "Test", "Test:job");
    Fixture { _dir: dir, bim, sync, model: job.model, definitions: job.definitions, category: job.category }
}

/// What [`add_job`] made.
pub(crate) struct Job {
    pub subject: i64,
    pub model: i64,
    pub definitions: i64,
    pub category: i64,
}

/// Adds a job to `bim`: a subject under the root, a physical model, a definition model and a
/// category, written through a synchronizer of connector `connector` (returned, for the job).
pub(crate) fn add_job(bim: &mut Briefcase, connector: &str, subject_name: &str) -> (Synchronizer, Job) {
    let subject = bim
        .insert_element(&json!({
            "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": "bis:Subject", "scope": "0x1", "value": subject_name },
        }))
        .unwrap();
    let mut sync = Synchronizer::new(connector, "1.0");
    sync.set_job_subject(subject);
    let partition = |sync: &mut Synchronizer, bim: &mut Briefcase, class: &str, name: &str| {
        sync.insert_element(
            bim,
            &json!({
                "classFullName": class, "model": "0x1", "parent": { "id": hex(subject) },
                "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": name },
            }),
        )
        .unwrap()
    };
    let physical = partition(&mut sync, bim, "BisCore:PhysicalPartition", "P");
    let model = sync
        .insert_model(
            bim,
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(physical) } }),
        )
        .unwrap();
    let definitions = partition(&mut sync, bim, "BisCore:DefinitionPartition", "D");
    let definitions = sync
        .insert_model(
            bim,
            &json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": hex(definitions) } }),
        )
        .unwrap();
    let category = sync
        .insert_element(
            bim,
            &json!({
                "classFullName": "BisCore:SpatialCategory", "model": hex(definitions),
                "code": { "spec": "bis:SpatialCategory", "scope": hex(definitions), "value": "C" },
            }),
        )
        .unwrap();
    (sync, Job { subject, model, definitions, category })
}
