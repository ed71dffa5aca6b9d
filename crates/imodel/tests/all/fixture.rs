//! A connector-like iModel written through the briefcase writer, with the expectations the
//! iTwin.js checker (tests/compat/check-briefcase.js) verifies.

use itwin_imodel::id64::format as hex;
use itwin_imodel::{Briefcase, WriteError};
use serde_json::{json, Value};

pub struct Fixture {
    /// The contract of tests/compat/check-briefcase.js.
    pub expected: Value,
    pub physical_model: i64,
    pub category: i64,
    pub external_source: i64,
}

/// Collects what was written so the expectations always match the writes.
#[derive(Default)]
struct Expect {
    elements: Vec<Value>,
    aspects: Vec<Value>,
    relationships: Vec<Value>,
    models: Vec<Value>,
}

impl Expect {
    fn element(&mut self, bim: &mut Briefcase, props: Value) -> Result<i64, WriteError> {
        self.element_expecting(bim, props, None)
    }

    /// Inserts `props`; when they name a parent without a relationship, `parent_rel` is the one
    /// the host must have chosen.
    fn element_expecting(
        &mut self,
        bim: &mut Briefcase,
        props: Value,
        parent_rel: Option<&str>,
    ) -> Result<i64, WriteError> {
        let id = bim.insert_element(&props)?;
        let mut expected = props;
        if let Some(rel) = parent_rel {
            expected["parent"]["relClassName"] = json!(rel);
        }
        self.elements.push(json!({ "id": hex(id), "props": expected }));
        Ok(id)
    }

    fn model(&mut self, bim: &mut Briefcase, class: &str, partition: i64) -> Result<i64, WriteError> {
        let id = bim.insert_model(&json!({ "classFullName": class, "modeledElement": { "id": hex(partition) } }))?;
        self.models.push(json!({ "id": hex(id), "classFullName": class, "modeledElement": hex(partition) }));
        Ok(id)
    }
}

pub fn write(bim: &mut Briefcase) -> Result<Fixture, WriteError> {
    bim.begin()?;
    let mut x = Expect::default();
    let subject_spec = bim.code_spec_by_name("bis:Subject")?.expect("seed has bis:Subject");
    let partition_spec = bim.code_spec_by_name("bis:InformationPartitionElement")?.expect("seed spec");
    let link_spec = bim.code_spec_by_name("bis:LinkElement")?.expect("seed spec");
    let category_spec = bim.code_spec_by_name("bis:SpatialCategory")?.expect("seed spec");
    let subcategory_spec = bim.code_spec_by_name("bis:SubCategory")?.expect("seed spec");
    let tag_spec = bim.find_or_insert_code_spec("SiteConnector:Tag", itwin_imodel::CodeScopeType::Model)?;

    let job = x.element(
        bim,
        json!({
            "classFullName": "BisCore:Subject", "model": "0x1",
            "code": { "spec": hex(subject_spec), "scope": "0x1", "value": "SiteConnector:site.json" },
            "parent": { "id": "0x1", "relClassName": "BisCore:SubjectOwnsSubjects" },
            "description": "job subject of the site connector",
            "jsonProperties": { "Subject": { "Job": { "Properties": { "ConnectorName": "SiteConnector" } } } },
        }),
    )?;
    let link = x.element(
        bim,
        json!({
            "classFullName": "BisCore:RepositoryLink", "model": "0x1",
            "code": { "spec": hex(link_spec), "scope": "0x1", "value": "file:///data/site.json" },
            "userLabel": "site.json", "url": "file:///data/site.json", "description": "asset register",
            "repositoryGuid": "12345678-1234-1234-1234-123456789abc", "format": "JSON",
        }),
    )?;
    let source = x.element(
        bim,
        json!({
            "classFullName": "BisCore:ExternalSource", "model": "0x1",
            "userLabel": "site.json",
            "repository": { "id": hex(link), "relClassName": "BisCore:ExternalSourceIsInRepository" },
            "connectorName": "SiteConnector", "connectorVersion": "1.0.0",
        }),
    )?;
    let config = x.element(
        bim,
        json!({
            "classFullName": "BisCore:SynchronizationConfigLink", "model": "0x1",
            "userLabel": "site sync", "lastSuccessfulRun": "2026-11-22T10:00:00.000Z",
        }),
    )?;
    // iTwin.js reads date-times back without a zone suffix.
    x.elements.last_mut().unwrap()["props"]["lastSuccessfulRun"] = json!("2026-11-22T10:00:00.000");
    bim.insert_relationship(&json!({ "classFullName": "BisCore:SynchronizationConfigSpecifiesRootSources", "sourceId": hex(config), "targetId": hex(source) }))?;
    x.relationships.push(json!({ "classFullName": "BisCore.SynchronizationConfigSpecifiesRootSources", "sourceId": hex(config), "targetId": hex(source) }));

    let physical_partition = x.element_expecting(
        bim,
        json!({
            "classFullName": "BisCore:PhysicalPartition", "model": "0x1",
            "code": { "spec": hex(partition_spec), "scope": hex(job), "value": "Physical" },
            "parent": { "id": hex(job) }, "description": "the site's assets",
        }),
        Some("BisCore:SubjectOwnsPartitionElements"),
    )?;
    let physical = x.model(bim, "BisCore:PhysicalModel", physical_partition)?;
    bim.insert_relationship(&json!({ "classFullName": "BisCore:ElementHasLinks", "sourceId": hex(physical_partition), "targetId": hex(link) }))?;
    x.relationships.push(json!({ "classFullName": "BisCore.ElementHasLinks", "sourceId": hex(physical_partition), "targetId": hex(link) }));
    let definition_partition = x.element(
        bim,
        json!({
            "classFullName": "BisCore:DefinitionPartition", "model": "0x1",
            "code": { "spec": hex(partition_spec), "scope": hex(job), "value": "Definitions" },
            "parent": { "id": hex(job), "relClassName": "BisCore:SubjectOwnsPartitionElements" },
        }),
    )?;
    let definitions = x.model(bim, "BisCore:DefinitionModel", definition_partition)?;
    let group_partition = x.element_expecting(
        bim,
        json!({
            "classFullName": "BisCore:GroupInformationPartition", "model": "0x1",
            "code": { "spec": hex(partition_spec), "scope": hex(job), "value": "Groups" },
            "parent": { "id": hex(job) },
        }),
        Some("BisCore:SubjectOwnsPartitionElements"),
    )?;
    let groups = x.model(bim, "Generic:GroupModel", group_partition)?;

    let category = x.element(
        bim,
        json!({
            "classFullName": "BisCore:SpatialCategory", "model": hex(definitions),
            "code": { "spec": hex(category_spec), "scope": hex(definitions), "value": "Pumps" },
            "description": "pumps and their parts", "rank": 2,
        }),
    )?;
    // The default SubCategory came with the category.
    x.elements.push(json!({ "id": hex(category + 1), "props": {
        "classFullName": "BisCore:SubCategory", "model": hex(definitions),
        "code": { "spec": hex(subcategory_spec), "scope": hex(category), "value": "Pumps" },
        "parent": { "id": hex(category), "relClassName": "BisCore:CategoryOwnsSubCategories" },
    }}));
    x.element_expecting(
        bim,
        json!({
            "classFullName": "BisCore:SubCategory", "model": hex(definitions),
            "code": { "spec": hex(subcategory_spec), "scope": hex(category), "value": "Impellers" },
            "parent": { "id": hex(category) }, "description": "rotating parts",
            "appearance": { "color": 255, "weight": 2 },
        }),
        Some("BisCore:CategoryOwnsSubCategories"),
    )?;

    let mut objects = Vec::new();
    for i in 0..4 {
        let mut props = json!({
            "classFullName": "Generic:PhysicalObject", "model": hex(physical), "category": hex(category),
            "code": { "spec": hex(tag_spec), "scope": hex(physical), "value": format!("P-{i:03}") },
            "userLabel": format!("Pump {i}"),
            "federationGuid": format!("aaaaaaaa-bbbb-cccc-dddd-{:012x}", i + 1),
            // The last one lies outside the seed's ±50 m project extents, which must grow.
            "placement": { "origin": [if i == 3 { 480.0 } else { 10.0 * i as f64 }, 20.5, -1.25], "angles": { "yaw": 15.0 * i as f64, "pitch": 5.0 },
                           "bbox": { "low": [-0.5, -0.5, 0.0], "high": [0.5, 0.5, 1.5] } },
            "jsonProperties": { "UserProps": { "ratedFlow": 12.5 + i as f64, "tags": ["a", "b"] } },
        });
        if i == 3 {
            // A child assembly part: the host picks PhysicalElementAssemblesElements.
            props["parent"] = json!({ "id": hex(objects[0]) });
        }
        let id = x.element(bim, props.clone())?;
        if i == 3 {
            x.elements.last_mut().unwrap()["props"]["parent"]["relClassName"] =
                json!("BisCore:PhysicalElementAssemblesElements");
        }
        objects.push(id);
        bim.insert_aspect(&json!({
            "classFullName": "BisCore:ExternalSourceAspect",
            "element": { "id": hex(id), "relClassName": "BisCore:ElementOwnsExternalSourceAspects" },
            "scope": { "id": hex(source), "relClassName": "BisCore:ElementScopesExternalSourceIdentifier" },
            "source": { "id": hex(source) },
            "identifier": format!("asset-{i}"), "kind": "Element", "version": "1", "checksum": format!("sum-{i}"),
            "jsonProperties": { "row": i },
        }))?;
        x.aspects.push(json!({ "elementId": hex(id), "scope": hex(source), "kind": "Element", "identifier": format!("asset-{i}"), "version": "1", "checksum": format!("sum-{i}") }));
    }
    let group = x.element(
        bim,
        json!({
            "classFullName": "Generic:Group", "model": hex(groups),
            "code": { "spec": "0x1", "scope": "0x1", "value": "" }, "userLabel": "Pump station A",
        }),
    )?;
    for (priority, &member) in objects.iter().take(2).enumerate() {
        bim.insert_relationship(&json!({ "classFullName": "BisCore:ElementGroupsMembers", "sourceId": hex(group), "targetId": hex(member), "memberPriority": priority + 7 }))?;
        x.relationships.push(json!({ "classFullName": "BisCore.ElementGroupsMembers", "sourceId": hex(group), "targetId": hex(member), "memberPriority": priority + 7 }));
    }
    bim.commit()?;

    let counts = json!({
        "BisCore.Subject": 2, "BisCore.RepositoryLink": 1, "BisCore.ExternalSource": 1,
        "BisCore.SynchronizationConfigLink": 1, "BisCore.PhysicalPartition": 1, "BisCore.DefinitionPartition": 2,
        "BisCore.GroupInformationPartition": 1, "BisCore.SpatialCategory": 1, "BisCore.SubCategory": 2,
        "Generic.PhysicalObject": 4, "Generic.Group": 1, "BisCore.ExternalSourceAspect": 4,
        "BisCore.ElementGroupsMembers": 2, "BisCore.ElementHasLinks": 1, "BisCore.PhysicalModel": 1,
    });
    let expected = json!({
        "counts": counts,
        "elements": x.elements,
        "models": x.models,
        "aspects": x.aspects,
        "relationships": x.relationships,
        "queries": {
            "identifier": "asset-2", "identifierElementIds": [hex(objects[2])],
            "repositoryLinks": [ { "userLabel": "site.json", "url": "file:///data/site.json" } ],
            "physicalPartitions": [ { "id": hex(physical_partition), "codeValue": "Physical" } ],
        },
        "edit": {
            "physicalModel": hex(physical), "category": hex(category), "definitionModel": hex(definitions),
            "scope": hex(source), "source": hex(source), "updateElement": hex(objects[1]), "deleteElement": hex(objects[3]),
        },
        "duplicateCode": {
            "classFullName": "Generic:PhysicalObject", "model": hex(physical), "category": hex(category),
            "code": { "spec": hex(tag_spec), "scope": hex(physical), "value": "P-002" },
        },
    });
    Ok(Fixture { expected, physical_model: physical, category, external_source: source })
}
