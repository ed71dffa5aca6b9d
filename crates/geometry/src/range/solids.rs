//! Solid primitives, ranged as the native library ranges them (`sp_Range.cpp`): boxes by their
//! corners, cones by their two end circles, extrusions by the profile swept along the vector — all
//! exact — spheres as the whole ellipsoid (a latitude sweep is ignored), and torus pipes from 25
//! sampled cross-section circles padded by 5 % of the diagonal (looser than the true range).

use std::f64::consts::TAU;

use super::curves::vector_range;
use super::ellipse::Ellipse;
use crate::math::{add, add_scaled, cross, magnitude, normalized, scale, sub};
use crate::model::{BoxDetail, ConeDetail, Solid, SphereDetail, TorusPipeDetail};
use crate::placement::Range3d;

/// The range of a solid primitive.
pub(crate) fn range(solid: &Solid) -> Range3d {
    match solid {
        Solid::Box(d) => box_range(d),
        Solid::Sphere(d) => sphere(d),
        Solid::Cone(d) => cone(d),
        Solid::TorusPipe(d) => torus_pipe(d),
        Solid::Extrusion(d) => {
            // The contour's range stretched along the vector.
            let mut range = vector_range(&d.base);
            for (axis, along) in d.vector.into_iter().enumerate() {
                if along > 0.0 {
                    range.high[axis] += along;
                } else {
                    range.low[axis] += along;
                }
            }
            range
        }
        // Ruling lines stay within the sections' range.
        Solid::RuledSweep(sections) => {
            let mut range = Range3d::EMPTY;
            sections.iter().for_each(|section| range.extend_range(&vector_range(section)));
            range
        }
    }
}

/// The corners of the base and top rectangles.
fn box_range(d: &BoxDetail) -> Range3d {
    let mut range = Range3d::EMPTY;
    for (origin, size_x, size_y) in [(d.base_origin, d.base_x, d.base_y), (d.top_origin, d.top_x, d.top_y)] {
        let corner_x = add_scaled(origin, d.vector_x, size_x);
        for corner in
            [origin, corner_x, add_scaled(corner_x, d.vector_y, size_y), add_scaled(origin, d.vector_y, size_y)]
        {
            range.extend_point(corner);
        }
    }
    range
}

/// The two end circles, in the plane of the section vectors (possibly tilted to the axis).
fn cone(d: &ConeDetail) -> Range3d {
    let mut range = Ellipse::circle(d.center_a, d.vector0, d.vector90, d.radius_a).range();
    range.extend_range(&Ellipse::circle(d.center_b, d.vector0, d.vector90, d.radius_b).range());
    range
}

/// The whole ellipsoid (native ignores the latitude sweep): center ± the lengths of the rows of
/// the radius-scaled axes.
fn sphere(d: &SphereDetail) -> Range3d {
    let m = d.local_to_world;
    let center = [m[0][3], m[1][3], m[2][3]];
    let half = [0, 1, 2].map(|i| magnitude([m[i][0], m[i][1], m[i][2]]));
    Range3d { low: sub(center, half), high: add(center, half) }
}

/// Cross sections sampled along a torus pipe's sweep (native `numChord`).
const TORUS_SECTIONS: usize = 24;
/// Padding for what the samples miss, as a fraction of the sampled range's diagonal.
const TORUS_PADDING: f64 = 0.05;

fn torus_pipe(d: &TorusPipeDetail) -> Range3d {
    let (vector_x, vector_y, sweep) = (d.vector_x, d.vector_y, d.sweep);
    let mut range = Range3d::EMPTY;
    let step = 1.0 / TORUS_SECTIONS as f64;
    for i in 0..=TORUS_SECTIONS {
        let (s, c) = (i as f64 * step * sweep).sin_cos();
        // The section at this angle is a circle about the ring's center line, in the plane of the
        // radial direction and the ring's normal.
        let radial = add(scale(vector_x, c), scale(vector_y, s));
        let tangent = sub(scale(vector_x, s), scale(vector_y, c));
        let mut normal = normalized(cross(radial, tangent)).unwrap_or([0.0; 3]);
        if sweep < 0.0 {
            normal = scale(normal, -1.0);
        }
        let section = Ellipse {
            center: add_scaled(d.center, radial, d.major_radius),
            vector0: scale(radial, d.minor_radius),
            vector90: scale(normal, d.minor_radius),
            start: 0.0,
            sweep: TAU,
        };
        range.extend_range(&section.range());
    }
    let pad = TORUS_PADDING * magnitude(sub(range.high, range.low));
    Range3d { low: range.low.map(|l| l - pad), high: range.high.map(|h| h + pad) }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::math::Xyz;
    use crate::placement::Range3d;
    use crate::range::local_range;

    fn of(entry: Value) -> Range3d {
        local_range(&json!([entry]), &|_| None).unwrap()
    }

    fn assert_close(r: Range3d, low: Xyz, high: Xyz) {
        for i in 0..3 {
            assert!((r.low[i] - low[i]).abs() < 1e-12 && (r.high[i] - high[i]).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn box_with_defaults_is_a_cube() {
        assert_close(of(json!({"box": {"baseOrigin": [1, 2, 3], "baseX": 2}})), [1.0, 2.0, 3.0], [3.0, 4.0, 5.0]);
    }

    #[test]
    fn tapered_box_spans_the_larger_rectangle() {
        let r = of(json!({"box": {"origin": [0, 0, 0], "baseX": 4, "baseY": 2, "topX": 1, "topY": 6,
                                  "topOrigin": [0, 0, 3], "capped": true}}));
        assert_close(r, [0.0; 3], [4.0, 6.0, 3.0]);
    }

    #[test]
    fn rotated_box_follows_its_axes() {
        // x axis along (1,1,0)/√2: the unit square's corners reach x ∈ [-√½, √½], y ∈ [0, √2].
        let r = of(json!({"box": {"origin": [0, 0, 0], "baseX": 1, "xyVectors": [[1, 1, 0], [-1, 1, 0]]}}));
        let s = 0.5f64.sqrt();
        assert_close(r, [-s, 0.0, 0.0], [s, 2.0 * s, 1.0]);
    }

    #[test]
    fn upright_cylinder() {
        let r = of(json!({"cylinder": {"start": [0, 0, 0], "end": [0, 0, 5], "radius": 2}}));
        assert_close(r, [-2.0, -2.0, 0.0], [2.0, 2.0, 5.0]);
    }

    #[test]
    fn tilted_cone_end_circles_extend_by_radius_times_sine() {
        // Axis along (1,0,1)/√2: each circle extends ±r/√2 in x and z and ±r in y.
        let r = of(json!({"cone": {"start": [0, 0, 0], "end": [4, 0, 4], "startRadius": 2, "endRadius": 1}}));
        let s = 0.5f64.sqrt();
        assert_close(r, [-2.0 * s, -2.0, -2.0 * s], [4.0 + s, 2.0, 4.0 + s]);
    }

    #[test]
    fn cone_with_axes_uses_their_plane_for_the_circles() {
        // Circles in the xz plane around a z axis: flat in y, spread in z.
        let r = of(
            json!({"cone": {"start": [0, 0, 0], "end": [0, 0, 10], "radius": 1, "xyVectors": [[1, 0, 0], [0, 0, 1]]}}),
        );
        assert_close(r, [-1.0, 0.0, -1.0], [1.0, 0.0, 11.0]);
    }

    #[test]
    fn ellipsoid_range_uses_the_scaled_axes() {
        let r = of(json!({"sphere": {"center": [1, 1, 1], "radiusX": 3, "radiusY": 1, "radiusZ": 2}}));
        assert_close(r, [-2.0, 0.0, -1.0], [4.0, 2.0, 3.0]);
        // Rotated 90° about z: x and y radii swap.
        let r = of(
            json!({"sphere": {"center": [0, 0, 0], "radiusX": 3, "radiusY": 1, "radiusZ": 2, "xyVectors": [[0, 1, 0], [-1, 0, 0]]}}),
        );
        assert_close(r, [-1.0, -3.0, -2.0], [1.0, 3.0, 2.0]);
    }

    #[test]
    fn hemisphere_still_gets_the_whole_sphere() {
        let r = of(json!({"sphere": {"center": [0, 0, 0], "radius": 1, "latitudeStartEnd": [0, 90]}}));
        assert_close(r, [-1.0; 3], [1.0; 3]);
    }

    #[test]
    fn full_torus_is_padded_by_five_percent_of_the_diagonal() {
        // Sections at multiples of 15° reach x, y = ±6 exactly and z = ±1.
        let r = of(json!({"torusPipe": {"center": [0, 0, 0], "majorRadius": 5, "minorRadius": 1}}));
        let pad = 0.05 * (12.0f64 * 12.0 + 12.0 * 12.0 + 2.0 * 2.0).sqrt();
        assert_close(r, [-6.0 - pad, -6.0 - pad, -1.0 - pad], [6.0 + pad, 6.0 + pad, 1.0 + pad]);
    }

    #[test]
    fn quarter_torus_covers_its_end_sections() {
        let r = of(json!({"torusPipe": {"center": [0, 0, 0], "majorRadius": 5, "minorRadius": 1, "sweepAngle": 90}}));
        // The 0° section spans x 4..6 at y = 0, the 90° one y 4..6 at x = 0: sampled x, y ∈ [0, 6].
        let pad = 0.05 * (6.0f64 * 6.0 + 6.0 * 6.0 + 2.0 * 2.0).sqrt();
        assert_close(r, [-pad, -pad, -1.0 - pad], [6.0 + pad, 6.0 + pad, 1.0 + pad]);
    }

    #[test]
    fn extrusion_adds_the_swept_copy() {
        let r = of(json!({"linearSweep": {
            "contour": {"loop": [{"lineString": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0]]}]},
            "vector": [-2, 0, 3], "capped": true}}));
        assert_close(r, [-2.0, 0.0, 0.0], [1.0, 1.0, 3.0]);
    }

    #[test]
    fn ruled_sweep_spans_its_sections() {
        let r = of(json!({"ruledSweep": {"contour": [
            {"loop": [{"lineString": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]}]},
            {"loop": [{"lineString": [[0, 0, 5], [3, 0, 5], [0, 3, 5], [0, 0, 5]]}]}]}}));
        assert_close(r, [0.0; 3], [3.0, 3.0, 5.0]);
    }

    #[test]
    fn invalid_solids_are_errors() {
        let err = |entry: Value| local_range(&json!([entry]), &|_| None).is_err();
        assert!(err(json!({"sphere": {"center": [0, 0, 0], "radius": 0}})));
        assert!(err(json!({"sphere": {"center": [0, 0, 0]}})));
        assert!(err(json!({"box": {"origin": [0, 0, 0]}})));
        assert!(err(json!({"cone": {"start": [0, 0, 0], "end": [0, 0, 1]}})));
        assert!(err(json!({"torusPipe": {"center": [0, 0, 0], "majorRadius": 5}})));
        assert!(err(json!({"linearSweep": {"contour": {"lineString": [[0, 0], [1, 0]]}, "vector": [0, 0, 1]}})));
        assert!(err(json!({"rotationalSweep": {}})));
    }
}
