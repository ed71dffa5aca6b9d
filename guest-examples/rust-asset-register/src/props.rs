//! How register items look in BIS: the SDK's typed props, filled from the source. Pure
//! functions: nothing here talks to the host.

use itwin_connector::props::Code;
use itwin_connector::{Geometry, PhysicalElement, Placement};
use serde_json::Value;

use crate::register::{Asset, Part, Shape};

/// Code spec of asset tags; model-scoped, so two registers in one iModel may reuse a tag.
pub const TAG_SPEC: &str = "AssetRegister:Tag";

/// An asset as a Generic:PhysicalObject coded by its tag, with one child per part. `children`
/// is always present, even empty, so that removing an asset's last part deletes its child.
pub fn asset(asset: &Asset, physical_model: &str, category: &str) -> PhysicalElement {
    let parts = asset.parts.iter().map(|part| asset_part(asset, part, physical_model, category)).collect();
    PhysicalElement::new(physical_model, category, Placement::at(asset.position).yaw(asset.yaw))
        .code(Code::new(TAG_SPEC, physical_model, &asset.tag))
        .label(&asset.name)
        .geometry(solid(asset.shape, asset.size))
        .json_properties("AssetRegister", Value::Object(asset.properties.clone()))
        .children(parts)
}

/// A part: uncoded (tags belong to assets), matched to its existing child by `childId`.
fn asset_part(asset: &Asset, part: &Part, physical_model: &str, category: &str) -> PhysicalElement {
    // Placements are in world coordinates in BIS, also for children: move the part's offset
    // into the asset's rotated frame.
    let origin = add(asset.position, rotate_z(part.offset, asset.yaw));
    PhysicalElement::new(physical_model, category, Placement::at(origin).yaw(asset.yaw))
        .child_id(&part.id)
        .label(&part.name)
        .geometry(solid(part.shape, part.size))
}

/// The solid of `shape` filling the box `[width, depth, height]` that stands on the local
/// origin, centred on it in plan.
fn solid(shape: Shape, [width, depth, height]: [f64; 3]) -> Geometry {
    let (x, y) = (width / 2.0, depth / 2.0);
    match shape {
        Shape::Box => Geometry::boxed([-x, -y, 0.0], [width, depth, height]),
        Shape::Cylinder => Geometry::cylinder([0.0; 3], [0.0, 0.0, height], width.min(depth) / 2.0),
        Shape::HorizontalCylinder => {
            let radius = depth.min(height) / 2.0;
            Geometry::cylinder([-x, 0.0, radius], [x, 0.0, radius], radius)
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
        assert_eq!(solid(Shape::Box, size), Geometry::boxed([-1.0, -0.5, 0.0], size));
        assert_eq!(solid(Shape::Cylinder, size), Geometry::cylinder([0.0; 3], [0.0, 0.0, 0.5], 0.5));
        assert_eq!(
            solid(Shape::HorizontalCylinder, size),
            Geometry::cylinder([-1.0, 0.0, 0.25], [1.0, 0.0, 0.25], 0.25)
        );
    }

    #[test]
    fn parts_are_placed_in_the_assets_rotated_frame() {
        assert_eq!(add([10.0, 5.0, 0.0], rotate_z([0.5, 0.0, 0.2], 90.0)), [10.0, 5.5, 0.2]);
        assert_eq!(add([10.0, 5.0, 0.0], rotate_z([0.5, 0.0, 0.0], 0.0)), [10.5, 5.0, 0.0]);
    }
}
