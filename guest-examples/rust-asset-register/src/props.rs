//! ElementProps / ModelProps / relationship props in the iTwin.js wire format, as the
//! synchronizer takes them. Pure functions: nothing here talks to the host.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::register::{Asset, Category, Group, Part, Shape};

/// Code spec of asset tags; model-scoped, so two registers in one iModel may reuse a tag.
pub const TAG_SPEC: &str = "AssetRegister:Tag";
pub const PARTITION_SPEC: &str = "bis:InformationPartitionElement";
const CATEGORY_SPEC: &str = "bis:SpatialCategory";

/// A partition under the job subject; `class` is e.g. `BisCore:PhysicalPartition`.
pub fn partition(class: &str, job_subject: &str, name: &str) -> Value {
    json!({
        "classFullName": class,
        "model": "0x1",
        "parent": { "id": job_subject, "relClassName": "BisCore:SubjectOwnsPartitionElements" },
        "code": { "spec": PARTITION_SPEC, "scope": job_subject, "value": name },
    })
}

/// The model breaking down `partition` (its id will equal the partition's).
pub fn model(class: &str, partition: &str) -> Value {
    json!({ "classFullName": class, "modeledElement": { "id": partition } })
}

pub fn relationship(class: &str, source: &str, target: &str) -> Value {
    json!({ "classFullName": class, "sourceId": source, "targetId": target })
}

pub fn category(category: &Category, definition_model: &str) -> Value {
    json!({
        "classFullName": "BisCore:SpatialCategory",
        "model": definition_model,
        "code": { "spec": CATEGORY_SPEC, "scope": definition_model, "value": category.name },
    })
}

/// An asset as a Generic:PhysicalObject coded by its tag, with one child per part, as JSON text.
/// `children` is always present, even empty, so that removing an asset's last part deletes its
/// child. Serialised from structs, not built as a `Value`: a first run writes every asset, and
/// the tree of maps took four times as long.
pub fn asset(asset: &Asset, physical_model: &str, category: &str) -> String {
    let props = AssetProps {
        class_full_name: PHYSICAL_OBJECT,
        model: physical_model,
        category,
        code: Code { spec: TAG_SPEC, scope: physical_model, value: &asset.tag },
        user_label: &asset.name,
        placement: placement(asset.position, asset.yaw),
        geom: [solid(asset.shape, asset.size)],
        json_properties: Namespaced { asset_register: &asset.properties },
        children: asset.parts.iter().map(|part| asset_part(asset, part, physical_model, category)).collect(),
    };
    serde_json::to_string(&props).expect("asset props serialise")
}

const PHYSICAL_OBJECT: &str = "Generic:PhysicalObject";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssetProps<'a> {
    class_full_name: &'static str,
    model: &'a str,
    category: &'a str,
    code: Code<'a>,
    user_label: &'a str,
    placement: Placement,
    geom: [Solid; 1],
    json_properties: Namespaced<'a>,
    children: Vec<PartProps<'a>>,
}

#[derive(Serialize)]
struct Code<'a> {
    spec: &'static str,
    scope: &'a str,
    value: &'a str,
}

/// `jsonProperties` with the connector's data under its namespace, `AssetRegister`.
#[derive(Serialize)]
struct Namespaced<'a> {
    #[serde(rename = "AssetRegister")]
    asset_register: &'a Map<String, Value>,
}

/// A part: uncoded (tags belong to assets), matched to its existing child by `childId`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartProps<'a> {
    child_id: &'a str,
    class_full_name: &'static str,
    model: &'a str,
    category: &'a str,
    user_label: &'a str,
    placement: Placement,
    geom: [Solid; 1],
}

fn asset_part<'a>(asset: &Asset, part: &'a Part, physical_model: &'a str, category: &'a str) -> PartProps<'a> {
    // Placements are in world coordinates in BIS, also for children: move the part's offset
    // into the asset's rotated frame.
    let origin = add(asset.position, rotate_z(part.offset, asset.yaw));
    PartProps {
        child_id: &part.id,
        class_full_name: PHYSICAL_OBJECT,
        model: physical_model,
        category,
        user_label: &part.name,
        placement: placement(origin, asset.yaw),
        geom: [solid(part.shape, part.size)],
    }
}

pub fn group(group: &Group, group_model: &str) -> Value {
    json!({ "classFullName": "Generic:Group", "model": group_model, "userLabel": group.name })
}

pub fn group_member(group: &str, member: &str, priority: usize) -> Value {
    let mut props = relationship("BisCore:ElementGroupsMembers", group, member);
    props["memberPriority"] = json!(priority);
    props
}

/// Origin and yaw (degrees). The host computes the element-aligned box from the geometry.
#[derive(Serialize)]
struct Placement {
    origin: [f64; 3],
    angles: Angles,
}

#[derive(Serialize)]
struct Angles {
    yaw: f64,
}

fn placement(origin: [f64; 3], yaw: f64) -> Placement {
    Placement { origin, angles: Angles { yaw } }
}

/// A `geom` entry in iTwin.js's GeometryStreamProps form, in the element's local coordinates.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
enum Solid {
    Box(BoxProps),
    Cylinder(CylinderProps),
}

#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct BoxProps {
    base_origin: [f64; 3],
    base_x: f64,
    base_y: f64,
    top_origin: [f64; 3],
    capped: bool,
}

#[derive(Debug, PartialEq, Serialize)]
struct CylinderProps {
    start: [f64; 3],
    end: [f64; 3],
    radius: f64,
    capped: bool,
}

/// The solid of `shape` filling the box `[width, depth, height]` that stands on the local
/// origin, centred on it in plan.
fn solid(shape: Shape, [width, depth, height]: [f64; 3]) -> Solid {
    let (x, y) = (width / 2.0, depth / 2.0);
    match shape {
        Shape::Box => Solid::Box(BoxProps {
            base_origin: [-x, -y, 0.0],
            base_x: width,
            base_y: depth,
            top_origin: [-x, -y, height],
            capped: true,
        }),
        Shape::Cylinder => Solid::Cylinder(CylinderProps {
            start: [0.0, 0.0, 0.0],
            end: [0.0, 0.0, height],
            radius: width.min(depth) / 2.0,
            capped: true,
        }),
        Shape::HorizontalCylinder => {
            let radius = depth.min(height) / 2.0;
            Solid::Cylinder(CylinderProps { start: [-x, 0.0, radius], end: [x, 0.0, radius], radius, capped: true })
        }
    }
}

fn rotate_z([x, y, z]: [f64; 3], degrees: f64) -> [f64; 3] {
    let (sin, cos) = degrees.to_radians().sin_cos();
    [round_um(x * cos - y * sin), round_um(x * sin + y * cos), z]
}

fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [round_um(a[0] + b[0]), round_um(a[1] + b[1]), round_um(a[2] + b[2])]
}

/// Rounds to micrometres: cos(90°) is 6e-17, not 0, and such noise would show in the iModel.
fn round_um(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solids_fill_their_size_box() {
        let size = [2.0, 1.0, 0.5];
        let Solid::Box(b) = solid(Shape::Box, size) else { panic!("a box") };
        assert_eq!((b.base_origin, b.top_origin, b.base_x, b.base_y), ([-1.0, -0.5, 0.0], [-1.0, -0.5, 0.5], 2.0, 1.0));
        assert_eq!(
            solid(Shape::Cylinder, size),
            Solid::Cylinder(CylinderProps { start: [0.0; 3], end: [0.0, 0.0, 0.5], radius: 0.5, capped: true })
        );
        assert_eq!(
            solid(Shape::HorizontalCylinder, size),
            Solid::Cylinder(CylinderProps {
                start: [-1.0, 0.0, 0.25],
                end: [1.0, 0.0, 0.25],
                radius: 0.25,
                capped: true
            })
        );
    }

    #[test]
    fn geometry_is_in_the_wire_format() {
        let text = serde_json::to_string(&[solid(Shape::Box, [1.0, 2.0, 3.0])]).unwrap();
        assert_eq!(
            text,
            r#"[{"box":{"baseOrigin":[-0.5,-1.0,0.0],"baseX":1.0,"baseY":2.0,"topOrigin":[-0.5,-1.0,3.0],"capped":true}}]"#
        );
    }

    #[test]
    fn parts_are_placed_in_the_assets_rotated_frame() {
        assert_eq!(add([10.0, 5.0, 0.0], rotate_z([0.5, 0.0, 0.2], 90.0)), [10.0, 5.5, 0.2]);
        assert_eq!(add([10.0, 5.0, 0.0], rotate_z([0.5, 0.0, 0.0], 0.0)), [10.5, 5.0, 0.0]);
    }
}
