//! Geometry part instances: the part's own box carried through the instance transform (origin,
//! yaw/pitch/roll, uniform scale), then boxed again, as the native builder does.

use serde_json::Value;

use super::wire::{element_id, member, optional_number, required, xyz, yaw_pitch_roll_degrees};
use super::{Bad, Parsed};
use crate::math::{add, Frame};
use crate::placement::{rotation_matrix, Range3d};

/// `{part, origin?, rotation?: {yaw, pitch, roll}, scale?}`; the part's box comes from `part_range`.
pub fn instance_range(v: &Value, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Parsed<Range3d> {
    let part = element_id(required(v, "part")?, "part")?;
    let part_box = part_range(part).ok_or(Bad::UnknownPart(part))?;
    if part_box.is_empty() {
        return Err(Bad::invalid(format!("geometry part {part:#x} has an empty range")));
    }
    let origin = member(v, "origin").map_or(Ok([0.0; 3]), |o| xyz(o, "origin"))?;
    let [yaw, pitch, roll] = member(v, "rotation").map_or(Ok([0.0; 3]), yaw_pitch_roll_degrees)?;
    // Native applies only a positive scale other than 1 and ignores any other value.
    let scale = optional_number(v, "scale")?.filter(|s| *s > 0.0).unwrap_or(1.0);
    let frame = Frame::from_rows(rotation_matrix(yaw, pitch, roll)).scale_columns([scale; 3]);

    let mut range = Range3d::EMPTY;
    for corner in 0..8 {
        let pick = |axis: usize| if corner & (1 << axis) == 0 { part_box.low[axis] } else { part_box.high[axis] };
        range.extend_point(add(origin, frame.apply([pick(0), pick(1), pick(2)])));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(matches!(instance_range(&json!({"part": "0x99"}), &lookup), Err(Bad::UnknownPart(0x99))));
        assert!(instance_range(&json!({"origin": [0, 0, 0]}), &lookup).is_err());
    }
}
