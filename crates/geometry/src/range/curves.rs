//! Curve primitives and the curve vectors made of them. Lines and points contribute their
//! points, arcs their exact elliptic range, curve vectors the union of their members.

use crate::math::Xyz;
use crate::model::{Curve, CurveVector};
use crate::placement::Range3d;

/// The range of a curve primitive or curve vector.
pub(crate) fn range(curve: &Curve) -> Range3d {
    match curve {
        Curve::Segment(ends) => point_range(ends),
        Curve::LineString(points) | Curve::PointString(points) => point_range(points),
        Curve::Arc(arc) => arc.range(),
        Curve::Vector(vector) => vector_range(vector),
    }
}

/// The union of a curve vector's members (an extrusion's contour, a ruled sweep's section).
pub(crate) fn vector_range(vector: &CurveVector) -> Range3d {
    let mut range = Range3d::EMPTY;
    vector.curves.iter().for_each(|curve| range.extend_range(&self::range(curve)));
    range
}

pub(crate) fn point_range(points: &[Xyz]) -> Range3d {
    let mut range = Range3d::EMPTY;
    points.iter().for_each(|p| range.extend_point(*p));
    range
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::codec::GeometryError;
    use crate::placement::Range3d;
    use crate::range::local_range;

    fn of(entry: Value) -> Result<Range3d, GeometryError> {
        local_range(&json!([entry]), &|_| None)
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
        assert!(of(json!({"path": [{"bcurve": {}}]})).is_err());
    }
}
