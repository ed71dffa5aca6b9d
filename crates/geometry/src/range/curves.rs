//! Curve primitives and the curve collections made of them. Lines and points contribute their
//! points, arcs their exact elliptic range, collections the union of their members.

use serde_json::Value;

use super::ellipse::Ellipse;
use super::wire::{points, required, required_xyz, xyz};
use super::{single_member, Bad, Parsed};
use crate::placement::Range3d;

/// The range of `{key: value}` when `key` names a curve primitive or collection, else `None`.
pub fn range(key: &str, value: &Value) -> Option<Parsed<Range3d>> {
    Some(match key {
        "lineSegment" => line_segment(value),
        "lineString" | "pointString" => points(value, key).map(|p| point_range(&p)),
        "arc" => arc(value).map(|a| a.range()),
        "path" | "loop" | "parityRegion" | "unionRegion" | "bagOfCurves" => collection(value, key),
        "bcurve" | "interpolationCurve" | "transitionSpiral" => Err(Bad::Unsupported(key.to_owned())),
        _ => return None,
    })
}

/// The range of a curve collection object such as `{"loop": [...]}` (an extrusion's contour).
pub fn collection_entry(entry: &Value) -> Parsed<Range3d> {
    let (key, value) = single_member(entry)?;
    match key {
        "path" | "loop" | "parityRegion" | "unionRegion" | "bagOfCurves" => collection(value, key),
        _ => Err(Bad::invalid(format!("expected a path, loop or region, found `{key}`"))),
    }
}

pub fn point_range(points: &[[f64; 3]]) -> Range3d {
    let mut range = Range3d::EMPTY;
    points.iter().for_each(|p| range.extend_point(*p));
    range
}

fn line_segment(value: &Value) -> Parsed<Range3d> {
    match value.as_array() {
        Some(ends) if ends.len() >= 2 => {
            Ok(point_range(&[xyz(&ends[0], "lineSegment")?, xyz(&ends[1], "lineSegment")?]))
        }
        _ => Err(Bad::invalid("`lineSegment` must be [start, end]")),
    }
}

/// `{center, vectorX, vectorY, sweepStartEnd: [start°, end°]}`.
fn arc(value: &Value) -> Parsed<Ellipse> {
    let sweep = required(value, "sweepStartEnd")?;
    let [start, end] = match sweep.as_array().map(Vec::as_slice) {
        Some([start, end]) => [start, end].map(Value::as_f64),
        _ => [None, None],
    };
    let (Some(start), Some(end)) = (start, end) else {
        return Err(Bad::invalid(format!("`sweepStartEnd` must be [start, end] in degrees, found {sweep}")));
    };
    Ok(Ellipse {
        center: required_xyz(value, "center")?,
        vector0: required_xyz(value, "vectorX")?,
        vector90: required_xyz(value, "vectorY")?,
        start: start.to_radians(),
        sweep: end.to_radians() - start.to_radians(),
    })
}

fn collection(value: &Value, key: &str) -> Parsed<Range3d> {
    let members = value.as_array().ok_or_else(|| Bad::invalid(format!("`{key}` must be an array of curves")))?;
    let mut range = Range3d::EMPTY;
    for member in members {
        let (member_key, member_value) = single_member(member)?;
        let member_range = self::range(member_key, member_value)
            .unwrap_or_else(|| Err(Bad::invalid(format!("`{member_key}` is not a curve (in `{key}`)"))))?;
        range.extend_range(&member_range);
    }
    if range.is_empty() {
        return Err(Bad::invalid(format!("`{key}` has no curves")));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(entry: Value) -> Parsed<Range3d> {
        let (key, value) = single_member(&entry).unwrap();
        range(key, value).unwrap()
    }

    #[test]
    fn lines_and_points_span_their_points() {
        let r = of(json!({"lineString": [[0, 0, 0], [1, -2, 0], [3, 1, 4]]})).unwrap();
        assert_eq!((r.low, r.high), ([0.0, -2.0, 0.0], [3.0, 1.0, 4.0]));
        let r = of(json!({"lineSegment": [[5, 5], {"x": -1, "y": 2, "z": 7}]})).unwrap();
        assert_eq!((r.low, r.high), ([-1.0, 2.0, 0.0], [5.0, 5.0, 7.0]));
        let r = of(json!({"pointString": [[2, 3, 4]]})).unwrap();
        assert_eq!((r.low, r.high), ([2.0, 3.0, 4.0], [2.0, 3.0, 4.0]));
    }

    #[test]
    fn quarter_arc_in_the_first_quadrant() {
        let r = of(
            json!({"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0], "sweepStartEnd": [0, 90]}}),
        )
        .unwrap();
        assert!(r.low.iter().all(|v| v.abs() < 1e-15), "{r:?}");
        assert!((r.high[0] - 1.0).abs() < 1e-15 && (r.high[1] - 1.0).abs() < 1e-15 && r.high[2] == 0.0);
    }

    #[test]
    fn loop_of_segment_and_half_circle() {
        let r = of(json!({"loop": [
            {"lineSegment": [[-1, 0, 0], [1, 0, 0]]},
            {"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0], "sweepStartEnd": [0, 180]}}
        ]}))
        .unwrap();
        assert_eq!((r.low, r.high), ([-1.0, 0.0, 0.0], [1.0, 1.0, 0.0]));
    }

    #[test]
    fn regions_nest_loops() {
        let r = of(json!({"parityRegion": [
            {"loop": [{"lineString": [[0, 0], [4, 0], [4, 4], [0, 0]]}]},
            {"loop": [{"lineString": [[1, 1], [2, 1], [2, 2], [1, 1]]}]}
        ]}))
        .unwrap();
        assert_eq!((r.low, r.high), ([0.0; 3], [4.0, 4.0, 0.0]));
    }

    #[test]
    fn bad_curves_are_errors_not_skipped() {
        assert!(of(json!({"lineString": []})).is_err());
        assert!(of(json!({"loop": []})).is_err());
        assert!(of(json!({"loop": [{"box": {}}]})).is_err());
        assert!(of(json!({"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0]}})).is_err());
        assert!(matches!(of(json!({"path": [{"bcurve": {}}]})), Err(Bad::Unsupported(_))));
    }
}
