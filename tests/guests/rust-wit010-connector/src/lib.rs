//! A connector of `itwin:connector@0.1.0`, built against a frozen copy of that WIT, so the
//! tests can show that components of an earlier 0.1.x run on the current host.

use serde_json::json;

wit_bindgen::generate!({
    world: "connector-world",
    path: "wit",
});

use exports::itwin::connector::connector::Guest;
use itwin::connector::synchronizer as sync;
use itwin::connector::types::{ConnectorInfo, DeletionMode, SourceDocument, SourceItem, SyncError};

const PARTITION_SPEC: &str = "bis:InformationPartitionElement";

fn describe(e: SyncError) -> String {
    format!("{e:?}")
}

fn find(spec: &str, scope: &str, value: &str) -> Result<String, String> {
    sync::find_element_by_code(spec, scope, value)
        .map_err(describe)?
        .ok_or_else(|| format!("{value} not found under {scope}"))
}

fn partition(subject: &str, class: &str, name: &str) -> Result<String, String> {
    let props = json!({
        "classFullName": class, "model": "0x1",
        "parent": { "id": subject, "relClassName": "BisCore:SubjectOwnsPartitionElements" },
        "code": { "spec": PARTITION_SPEC, "scope": subject, "value": name },
    });
    sync::insert_element(&props.to_string()).map_err(describe)
}

fn model(class: &str, partition: &str) -> Result<String, String> {
    sync::insert_model(&json!({ "classFullName": class, "modeledElement": { "id": partition } }).to_string())
        .map_err(describe)
}

struct Wit010Connector;

impl Guest for Wit010Connector {
    fn info() -> ConnectorInfo {
        ConnectorInfo {
            name: "Wit010Connector".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "a connector of itwin:connector@0.1.0".into(),
            deletion: DeletionMode::Channel,
        }
    }

    fn open_source_data(_source: String) -> Result<(), String> {
        let doc = SourceDocument {
            docid: "wit010-doc".into(),
            description: None,
            last_modified: Some("1".into()),
            checksum: None,
            url: None,
        };
        sync::record_document(&doc).map(|_| ()).map_err(describe)
    }

    fn import_domain_schema() -> Result<(), String> {
        Ok(())
    }

    fn import_dynamic_schema() -> Result<(), String> {
        Ok(())
    }

    fn job_subject_name(_source: String) -> Option<String> {
        None
    }

    fn initialize_job() -> Result<(), String> {
        let subject = sync::job_subject();
        let physical = partition(&subject, "BisCore:PhysicalPartition", "Physical")?;
        model("BisCore:PhysicalModel", &physical)?;
        let definitions = partition(&subject, "BisCore:DefinitionPartition", "Definitions")?;
        let definitions = model("BisCore:DefinitionModel", &definitions)?;
        let category = json!({
            "classFullName": "BisCore:SpatialCategory", "model": definitions,
            "code": { "spec": "bis:SpatialCategory", "scope": definitions, "value": "Things" },
        });
        sync::insert_element(&category.to_string()).map(|_| ()).map_err(describe)
    }

    fn import_definitions() -> Result<(), String> {
        Ok(())
    }

    fn update_existing_data() -> Result<(), String> {
        let subject = sync::job_subject();
        let physical = find(PARTITION_SPEC, &subject, "Physical")?;
        let definitions = find(PARTITION_SPEC, &subject, "Definitions")?;
        let category = find("bis:SpatialCategory", &definitions, "Things")?;
        let item =
            SourceItem { id: "thing".into(), kind: None, scope: None, version: Some("1".into()), checksum: None };
        let props = json!({
            "classFullName": "Generic:PhysicalObject", "model": physical, "category": category,
            "placement": { "origin": [1, 2, 3] },
            "geom": [{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 1, "height": 1, "capped": true } }],
        });
        sync::update_imodel(&item, &props.to_string()).map(|_| ()).map_err(describe)
    }

    fn unmap_source(_job_subject_name: String) -> Result<(), String> {
        Ok(())
    }
}

export!(Wit010Connector);
