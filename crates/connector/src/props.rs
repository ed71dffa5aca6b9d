//! Typed builders for the props every connector writes, serialised to the iTwin.js wire format
//! the synchronizer takes (`ElementProps`, `ModelProps`, relationship props). Structs, not
//! `serde_json::Value` trees: a first run serialises every element, and structs serialise
//! several times faster.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Error;

/// A code: spec (name or id), scope element id and value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Code {
    pub spec: String,
    pub scope: String,
    pub value: String,
}

impl Code {
    /// `spec` by name (`bis:SpatialCategory`, `MyConnector:Tag`) or id, scoped by element `scope`.
    pub fn new(spec: impl Into<String>, scope: impl Into<String>, value: impl Into<String>) -> Code {
        Code { spec: spec.into(), scope: scope.into(), value: value.into() }
    }
}

/// Where an element is: origin and orientation in degrees (yaw about z, then pitch, roll).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub origin: [f64; 3],
    pub angles: Angles,
}

/// Orientation in degrees; zero angles are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Angles {
    #[serde(skip_serializing_if = "is_zero")]
    pub yaw: f64,
    #[serde(skip_serializing_if = "is_zero")]
    pub pitch: f64,
    #[serde(skip_serializing_if = "is_zero")]
    pub roll: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Placement {
    /// At `origin`, not rotated.
    pub fn at(origin: [f64; 3]) -> Placement {
        Placement { origin, angles: Angles::default() }
    }

    /// The same placement turned `degrees` about the vertical axis.
    pub fn yaw(mut self, degrees: f64) -> Placement {
        self.angles.yaw = degrees;
        self
    }

    /// The same placement with this pitch (degrees).
    pub fn pitch(mut self, degrees: f64) -> Placement {
        self.angles.pitch = degrees;
        self
    }

    /// The same placement with this roll (degrees).
    pub fn roll(mut self, degrees: f64) -> Placement {
        self.angles.roll = degrees;
        self
    }
}

/// One entry of an element's geometry (`geom`), in its local coordinates; the host computes the
/// element's box from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Geometry {
    Box(BoxProps),
    Cylinder(CylinderProps),
    Sphere(SphereProps),
    LineString(Vec<[f64; 3]>),
    IndexedMesh(MeshProps),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BoxProps {
    pub base_origin: [f64; 3],
    pub base_x: f64,
    pub base_y: f64,
    pub top_origin: [f64; 3],
    pub capped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CylinderProps {
    pub start: [f64; 3],
    pub end: [f64; 3],
    pub radius: f64,
    pub capped: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SphereProps {
    pub center: [f64; 3],
    pub radius: f64,
}

/// An indexed mesh: points, and faces as one-based indices each closed by 0 (iTwin.js's form).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeshProps {
    pub point: Vec<[f64; 3]>,
    pub point_index: Vec<u32>,
}

impl Geometry {
    /// A closed box: `origin` is its minimum corner, `size` its extents along x, y and z.
    pub fn boxed(origin: [f64; 3], size: [f64; 3]) -> Geometry {
        let [x, y, z] = origin;
        Geometry::Box(BoxProps {
            base_origin: origin,
            base_x: size[0],
            base_y: size[1],
            top_origin: [x, y, z + size[2]],
            capped: true,
        })
    }

    /// A closed cylinder from `start` to `end`.
    pub fn cylinder(start: [f64; 3], end: [f64; 3], radius: f64) -> Geometry {
        Geometry::Cylinder(CylinderProps { start, end, radius, capped: true })
    }

    pub fn sphere(center: [f64; 3], radius: f64) -> Geometry {
        Geometry::Sphere(SphereProps { center, radius })
    }

    pub fn line_string(points: Vec<[f64; 3]>) -> Geometry {
        Geometry::LineString(points)
    }

    /// A mesh of `faces`, each a list of 0-based indices into `points`.
    pub fn mesh(points: Vec<[f64; 3]>, faces: &[Vec<u32>]) -> Geometry {
        let point_index = faces.iter().flat_map(|face| face.iter().map(|i| i + 1).chain([0])).collect();
        Geometry::IndexedMesh(MeshProps { point: points, point_index })
    }
}

/// A physical element (`Generic:PhysicalObject` unless another class is given), optionally with
/// children written with it (matched to existing ones by `child_id` across runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalElement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_id: Option<String>,
    pub class_full_name: String,
    pub model: String,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_label: Option<String>,
    pub placement: Placement,
    pub geom: Vec<Geometry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_properties: Option<Value>,
    /// Properties of the class itself (camelCase names), written at the top level.
    #[serde(flatten)]
    pub properties: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<PhysicalElement>>,
}

impl PhysicalElement {
    /// A `Generic:PhysicalObject` in `model`, of `category`, at `placement`, with no geometry yet.
    pub fn new(model: impl Into<String>, category: impl Into<String>, placement: Placement) -> PhysicalElement {
        PhysicalElement {
            child_id: None,
            class_full_name: "Generic:PhysicalObject".into(),
            model: model.into(),
            category: category.into(),
            code: None,
            user_label: None,
            placement,
            geom: Vec::new(),
            json_properties: None,
            properties: Map::new(),
            children: None,
        }
    }

    pub fn class(mut self, class_full_name: impl Into<String>) -> Self {
        self.class_full_name = class_full_name.into();
        self
    }

    pub fn code(mut self, code: Code) -> Self {
        self.code = Some(code);
        self
    }

    pub fn label(mut self, user_label: impl Into<String>) -> Self {
        self.user_label = Some(user_label.into());
        self
    }

    pub fn geometry(mut self, geometry: Geometry) -> Self {
        self.geom.push(geometry);
        self
    }

    /// `jsonProperties` with `value` under the connector's `namespace`, as the framework's
    /// connectors keep their own data.
    pub fn json_properties(mut self, namespace: &str, value: Value) -> Self {
        let mut map = Map::new();
        map.insert(namespace.to_owned(), value);
        self.json_properties = Some(Value::Object(map));
        self
    }

    /// A property of the element's class (camelCase name).
    pub fn property(mut self, name: &str, value: Value) -> Self {
        self.properties.insert(name.to_owned(), value);
        self
    }

    /// The children: their list replaces the existing children (an empty list removes them all).
    pub fn children(mut self, children: Vec<PhysicalElement>) -> Self {
        self.children = Some(children);
        self
    }

    /// Marks this element as a child matched by `id` across runs.
    pub fn child_id(mut self, id: impl Into<String>) -> Self {
        self.child_id = Some(id.into());
        self
    }
}

/// A `BisCore:SpatialCategory` coded by its name in a definition model. Inserting it also
/// inserts its default SubCategory (id + 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpatialCategory {
    pub class_full_name: &'static str,
    pub model: String,
    pub code: Code,
}

impl SpatialCategory {
    pub fn new(definition_model: impl Into<String>, name: impl Into<String>) -> SpatialCategory {
        let model = definition_model.into();
        let code = Code::new("bis:SpatialCategory", model.clone(), name);
        SpatialCategory { class_full_name: "BisCore:SpatialCategory", model, code }
    }
}

/// How a sub-category draws: colour (`#rrggbb`, stored as TBGR), weight, transparency, visibility.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Appearance {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transp: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invisible: Option<bool>,
}

impl Appearance {
    /// An appearance of this colour (`#rrggbb`).
    pub fn color(hex: &str) -> Result<Appearance, Error> {
        Ok(Appearance { color: Some(tbgr(hex)?), ..Appearance::default() })
    }
}

/// `#rrggbb` as the TBGR integer iModels store (red in the low byte).
pub fn tbgr(hex: &str) -> Result<u32, Error> {
    let digits = hex.strip_prefix('#').filter(|d| d.len() == 6 && d.bytes().all(|b| b.is_ascii_hexdigit()));
    let rgb = digits
        .and_then(|d| u32::from_str_radix(d, 16).ok())
        .ok_or_else(|| Error::new(format_args!("color {hex:?} is not #RRGGBB")))?;
    Ok(((rgb >> 16) & 0xff) | (rgb & 0xff00) | ((rgb & 0xff) << 16))
}

/// A `BisCore:SubCategory` of `category`, in the category's model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubCategory {
    pub class_full_name: &'static str,
    pub model: String,
    pub parent: Parent,
    pub code: Code,
    pub appearance: Appearance,
}

/// A parent reference with its relationship class.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parent {
    pub id: String,
    pub rel_class_name: &'static str,
}

impl SubCategory {
    pub fn new(model: impl Into<String>, category: &str, name: &str, appearance: Appearance) -> SubCategory {
        SubCategory {
            class_full_name: "BisCore:SubCategory",
            model: model.into(),
            parent: Parent { id: category.to_owned(), rel_class_name: "BisCore:CategoryOwnsSubCategories" },
            code: Code::new("bis:SubCategory", category, name),
            appearance,
        }
    }
}

/// A group (`Generic:Group` unless another class is given); members are relationships.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub class_full_name: String,
    pub model: String,
    pub user_label: String,
}

impl Group {
    pub fn new(model: impl Into<String>, user_label: impl Into<String>) -> Group {
        Group { class_full_name: "Generic:Group".into(), model: model.into(), user_label: user_label.into() }
    }
}

/// A link-table relationship with its own properties.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub class_full_name: String,
    pub source_id: String,
    pub target_id: String,
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

impl Relationship {
    pub fn new(class_full_name: &str, source_id: &str, target_id: &str) -> Relationship {
        Relationship {
            class_full_name: class_full_name.to_owned(),
            source_id: source_id.to_owned(),
            target_id: target_id.to_owned(),
            properties: Map::new(),
        }
    }

    pub fn property(mut self, name: &str, value: Value) -> Self {
        self.properties.insert(name.to_owned(), value);
        self
    }

    /// `BisCore:ElementGroupsMembers` from `group` to `member`, with its `memberPriority`.
    pub fn group_member(group: &str, member: &str, priority: usize) -> Relationship {
        Relationship::new(GROUP_MEMBERS, group, member).property("memberPriority", priority.into())
    }

    /// `BisCore:ElementHasLinks` from `element` to a link (e.g. the document's RepositoryLink).
    pub fn element_has_links(element: &str, link: &str) -> Relationship {
        Relationship::new("BisCore:ElementHasLinks", element, link)
    }
}

/// The class of group membership.
pub const GROUP_MEMBERS: &str = "BisCore:ElementGroupsMembers";

/// The kinds of partition a job creates under its subject, each with the model that breaks it
/// down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    /// PhysicalPartition + PhysicalModel: physical elements.
    Physical,
    /// DefinitionPartition + DefinitionModel: categories, types.
    Definition,
    /// GroupInformationPartition + Generic:GroupModel: groups.
    Group,
    /// SpatialLocationPartition + SpatialLocationModel.
    SpatialLocation,
    /// DocumentPartition + DocumentListModel.
    Document,
}

impl PartitionKind {
    /// (partition class, model class).
    pub fn classes(self) -> (&'static str, &'static str) {
        match self {
            PartitionKind::Physical => ("BisCore:PhysicalPartition", "BisCore:PhysicalModel"),
            PartitionKind::Definition => ("BisCore:DefinitionPartition", "BisCore:DefinitionModel"),
            PartitionKind::Group => ("BisCore:GroupInformationPartition", "Generic:GroupModel"),
            PartitionKind::SpatialLocation => ("BisCore:SpatialLocationPartition", "BisCore:SpatialLocationModel"),
            PartitionKind::Document => ("BisCore:DocumentPartition", "BisCore:DocumentListModel"),
        }
    }
}

/// The code spec of partitions: names are unique under their subject.
pub const PARTITION_SPEC: &str = "bis:InformationPartitionElement";

/// A partition under the job subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Partition {
    pub class_full_name: &'static str,
    pub model: &'static str,
    pub parent: Parent,
    pub code: Code,
}

impl Partition {
    pub fn new(kind: PartitionKind, job_subject: &str, name: &str) -> Partition {
        Partition {
            class_full_name: kind.classes().0,
            model: "0x1",
            parent: Parent { id: job_subject.to_owned(), rel_class_name: "BisCore:SubjectOwnsPartitionElements" },
            code: Code::new(PARTITION_SPEC, job_subject, name),
        }
    }
}

/// The model of a partition (its id will be the partition's).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub class_full_name: &'static str,
    pub modeled_element: ModeledElement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeledElement {
    pub id: String,
}

impl Model {
    pub fn new(kind: PartitionKind, partition: &str) -> Model {
        Model { class_full_name: kind.classes().1, modeled_element: ModeledElement { id: partition.to_owned() } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire(value: impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn an_element_with_a_child_in_the_wire_format() {
        let child = PhysicalElement::new("0x20", "0x11", Placement::at([1.0, 0.0, 0.0]))
            .child_id("motor")
            .label("motor")
            .geometry(Geometry::cylinder([0.0; 3], [0.0, 0.0, 1.0], 0.5));
        let element = PhysicalElement::new("0x20", "0x11", Placement::at([1.0, 2.0, 0.0]).yaw(90.0))
            .code(Code::new("X:Tag", "0x20", "P-1"))
            .label("pump")
            .geometry(Geometry::boxed([-0.5, -1.0, 0.0], [1.0, 2.0, 3.0]))
            .json_properties("X", json!({"a": 1}))
            .children(vec![child]);
        assert_eq!(
            wire(&element),
            json!({
                "classFullName": "Generic:PhysicalObject", "model": "0x20", "category": "0x11",
                "code": {"spec": "X:Tag", "scope": "0x20", "value": "P-1"}, "userLabel": "pump",
                "placement": {"origin": [1.0, 2.0, 0.0], "angles": {"yaw": 90.0}},
                "geom": [{"box": {"baseOrigin": [-0.5, -1.0, 0.0], "baseX": 1.0, "baseY": 2.0, "topOrigin": [-0.5, -1.0, 3.0], "capped": true}}],
                "jsonProperties": {"X": {"a": 1}},
                "children": [{
                    "childId": "motor", "classFullName": "Generic:PhysicalObject", "model": "0x20", "category": "0x11",
                    "userLabel": "motor", "placement": {"origin": [1.0, 0.0, 0.0], "angles": {}},
                    "geom": [{"cylinder": {"start": [0.0, 0.0, 0.0], "end": [0.0, 0.0, 1.0], "radius": 0.5, "capped": true}}],
                }],
            })
        );
    }

    #[test]
    fn other_geometry_and_definitions() {
        assert_eq!(
            wire(Geometry::sphere([0.0; 3], 2.0)),
            json!({"sphere": {"center": [0.0, 0.0, 0.0], "radius": 2.0}})
        );
        assert_eq!(
            wire(Geometry::line_string(vec![[0.0; 3], [1.0, 0.0, 0.0]])),
            json!({"lineString": [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]})
        );
        let square = Geometry::mesh(vec![[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]], &[vec![0, 1, 2]]);
        assert_eq!(wire(square)["indexedMesh"]["pointIndex"], json!([1, 2, 3, 0]));
        assert_eq!(tbgr("#ff0000").unwrap(), 0x0000ff);
        assert_eq!(tbgr("#0000ff").unwrap(), 0xff0000);
        assert!(tbgr("red").is_err());
        assert_eq!(
            wire(Partition::new(PartitionKind::Physical, "0x2a", "Assets")),
            json!({"classFullName": "BisCore:PhysicalPartition", "model": "0x1",
                   "parent": {"id": "0x2a", "relClassName": "BisCore:SubjectOwnsPartitionElements"},
                   "code": {"spec": "bis:InformationPartitionElement", "scope": "0x2a", "value": "Assets"}})
        );
        assert_eq!(
            wire(Relationship::group_member("0x30", "0x31", 2)),
            json!({"classFullName": "BisCore:ElementGroupsMembers", "sourceId": "0x30", "targetId": "0x31", "memberPriority": 2})
        );
    }
}
