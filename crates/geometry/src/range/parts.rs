//! Geometry part instances: the part's own box carried through the instance transform (origin,
//! yaw/pitch/roll, uniform scale), then boxed again, as the native builder does.

use crate::codec::GeometryError;
use crate::math::add;
use crate::model::PartInstance;
use crate::placement::Range3d;

/// The box of the `index`th entry, a part instance; the part's box comes from `part_range`.
pub(crate) fn instance_range(
    instance: &PartInstance,
    index: usize,
    part_range: &dyn Fn(i64) -> Option<Range3d>,
) -> Result<Range3d, GeometryError> {
    let part = instance.part;
    let at = || format!("geom[{index}].geomPart.part");
    let part_box = part_range(part).ok_or_else(|| GeometryError::UnknownPart { at: at(), part })?;
    if part_box.is_empty() {
        return Err(GeometryError::json(&at(), format!("geometry part {part:#x} has an empty range")));
    }
    let m = instance.matrix();
    let mut range = Range3d::EMPTY;
    for corner in 0..8 {
        let pick = |axis: usize| if corner & (1 << axis) == 0 { part_box.low[axis] } else { part_box.high[axis] };
        let local = [pick(0), pick(1), pick(2)];
        let moved = [0, 1, 2].map(|i| m[i][0] * local[0] + m[i][1] * local[1] + m[i][2] * local[2]);
        range.extend_point(add(instance.origin, moved));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::codec::GeometryError;
    use crate::placement::Range3d;

    fn instance_range(entry: &Value, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Result<Range3d, GeometryError> {
        crate::range::local_range(&json!([{ "geomPart": entry }]), part_range)
    }

    const UNIT_BOX: Range3d = Range3d { low: [0.0; 3], high: [1.0, 2.0, 3.0] };

    fn lookup(id: i64) -> Option<Range3d> {
        (id == 0x15).then_some(UNIT_BOX)
    }

    #[test]
    fn plain_instance_is_the_part_box() {
        assert_eq!(instance_range(&json!({"part": "0x15"}), &lookup).unwrap(), UNIT_BOX);
    }

    #[test]
    fn rotated_scaled_moved_instance() {
        // Box 2×4×6 after scale 2, turned 30° about z, moved by (1,1,1).
        let r =
            instance_range(&json!({"part": "0x15", "origin": [1, 1, 1], "rotation": {"yaw": 30}, "scale": 2}), &lookup)
                .unwrap();
        let (s, c) = 30f64.to_radians().sin_cos();
        let expected = ([1.0 - 4.0 * s, 1.0, 1.0], [1.0 + 2.0 * c, 1.0 + 2.0 * s + 4.0 * c, 7.0]);
        for i in 0..3 {
            assert!((r.low[i] - expected.0[i]).abs() < 1e-12 && (r.high[i] - expected.1[i]).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn non_positive_scale_is_ignored() {
        assert_eq!(instance_range(&json!({"part": "0x15", "scale": -3}), &lookup).unwrap(), UNIT_BOX);
    }

    #[test]
    fn unknown_part_is_an_error() {
        assert!(matches!(
            instance_range(&json!({"part": "0x99"}), &lookup),
            Err(GeometryError::UnknownPart { part: 0x99, .. })
        ));
        assert!(instance_range(&json!({"origin": [0, 0, 0]}), &lookup).is_err());
    }
}
