//! The synchronizer's test fixture, shared by the tests of the modules built on it.

use serde_json::json;

use super::Synchronizer;
use crate::imodel::id64::format as hex;
use crate::imodel::{Briefcase, RootSubject};

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
    let subject = bim
        .insert_element(&json!({
            "classFullName": "BisCore:Subject", "model": "0x1", "parent": { "id": "0x1" },
            "code": { "spec": "bis:Subject", "scope": "0x1", "value": "Test:job" },
        }))
        .unwrap();
    let mut sync = Synchronizer::new("Test", "1.0");
    sync.set_job_subject(subject);
    let partition = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:PhysicalPartition", "model": "0x1", "parent": { "id": hex(subject) },
                "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": "P" },
            }),
        )
        .unwrap();
    let model = sync
        .insert_model(
            &mut bim,
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": hex(partition) } }),
        )
        .unwrap();
    let defs = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:DefinitionPartition", "model": "0x1", "parent": { "id": hex(subject) },
                "code": { "spec": "bis:InformationPartitionElement", "scope": hex(subject), "value": "D" },
            }),
        )
        .unwrap();
    let defs = sync
        .insert_model(
            &mut bim,
            &json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": hex(defs) } }),
        )
        .unwrap();
    let category = sync
        .insert_element(
            &mut bim,
            &json!({
                "classFullName": "BisCore:SpatialCategory", "model": hex(defs),
                "code": { "spec": "bis:SpatialCategory", "scope": hex(defs), "value": "C" },
            }),
        )
        .unwrap();
    Fixture { _dir: dir, bim, sync, model, definitions: defs, category }
}
