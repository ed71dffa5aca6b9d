//! Indexed meshes: the range of all their points, indexed or not (native `PointRange`).

use serde_json::Value;

use super::curves::point_range;
use super::wire::{points, required};
use super::{Bad, Parsed};
use crate::placement::Range3d;

/// `{point: [...], pointIndex: [...], ...}`.
pub fn indexed_mesh_range(v: &Value) -> Parsed<Range3d> {
    if !required(v, "pointIndex")?.is_array() {
        return Err(Bad::invalid("`pointIndex` must be an array"));
    }
    Ok(point_range(&points(required(v, "point")?, "point")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unreferenced_points_count_too() {
        let r = indexed_mesh_range(
            &json!({"point": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]], "pointIndex": [1, 2, 3, 0]}),
        )
        .unwrap();
        assert_eq!((r.low, r.high), ([0.0; 3], [5.0; 3]));
    }

    #[test]
    fn a_mesh_needs_points_and_indices() {
        assert!(indexed_mesh_range(&json!({"point": [[0, 0, 0]]})).is_err());
        assert!(indexed_mesh_range(&json!({"point": [], "pointIndex": []})).is_err());
    }
}
