//! Solid primitives, ranged as the native library ranges them (`sp_Range.cpp`): boxes by their
//! corners, cones by their two end circles, extrusions by the profile swept along the vector — all
//! exact — spheres as the whole ellipsoid (a latitude sweep is ignored), and torus pipes from 25
//! sampled cross-section circles padded by 5 % of the diagonal (looser than the true range).

use std::f64::consts::TAU;

use serde_json::Value;

use super::curves::collection_entry;
use super::ellipse::Ellipse;
use super::wire::{angle_radians, axes, member, optional_number, required, required_number, required_xyz, xyz};
use super::{Bad, Parsed};
use crate::math::{add, add_scaled, cross, magnitude, normalized, scale, sub, Frame, Xyz};
use crate::placement::Range3d;

/// The range of `{key: value}` when `key` names a solid primitive, else `None`.
pub fn range(key: &str, value: &Value) -> Option<Parsed<Range3d>> {
    Some(match key {
        "box" => box_range(value),
        "cylinder" => cylinder(value),
        "cone" => cone(value),
        "sphere" => sphere(value),
        "torusPipe" => torus_pipe(value),
        "linearSweep" => linear_sweep(value),
        "ruledSweep" => ruled_sweep(value),
        "rotationalSweep" => Err(Bad::Unsupported(key.to_owned())),
        _ => return None,
    })
}

/// `{origin | baseOrigin, baseX, baseY?, topX?, topY?, topOrigin? | height?, axes?}`: the corners of
/// the base and top rectangles. Missing sizes default as in the native reader (baseY = baseX,
/// topX = baseX, topY = baseY, height = baseX).
fn box_range(v: &Value) -> Parsed<Range3d> {
    let base_origin = match member(v, "origin") {
        Some(origin) => xyz(origin, "origin")?,
        None => required_xyz(v, "baseOrigin")?,
    };
    let base_x = required_number(v, "baseX")?;
    let base_y = optional_number(v, "baseY")?.unwrap_or(base_x);
    let top_x = optional_number(v, "topX")?.unwrap_or(base_x);
    let top_y = optional_number(v, "topY")?.unwrap_or(base_y);
    let [vector_x, vector_y, vector_z] = axes(v)?.unwrap_or(Frame::IDENTITY).columns;
    let top_origin = match member(v, "topOrigin") {
        Some(top) => xyz(top, "topOrigin")?,
        None => add_scaled(base_origin, vector_z, optional_number(v, "height")?.unwrap_or(base_x)),
    };
    let mut range = Range3d::EMPTY;
    for (origin, size_x, size_y) in [(base_origin, base_x, base_y), (top_origin, top_x, top_y)] {
        let corner_x = add_scaled(origin, vector_x, size_x);
        for corner in [origin, corner_x, add_scaled(corner_x, vector_y, size_y), add_scaled(origin, vector_y, size_y)] {
            range.extend_point(corner);
        }
    }
    Ok(range)
}

/// `{start, end, radius}`: a cone with equal radii, its circles perpendicular to the axis.
fn cylinder(v: &Value) -> Parsed<Range3d> {
    let radius = required_number(v, "radius")?;
    Ok(cone_range(required_xyz(v, "start")?, required_xyz(v, "end")?, None, radius, radius))
}

/// `{start, end, startRadius | radius, endRadius?, axes?}`: with axes the end circles lie in the
/// plane of their x and y vectors (possibly tilted to the axis), else perpendicular to the axis.
fn cone(v: &Value) -> Parsed<Range3d> {
    let radius = optional_number(v, "radius")?;
    let start_radius = optional_number(v, "startRadius")?.or(radius);
    let start_radius = start_radius.ok_or_else(|| Bad::invalid("`startRadius` or `radius` is required"))?;
    let end_radius = optional_number(v, "endRadius")?.unwrap_or(start_radius);
    let frame = axes(v)?;
    Ok(cone_range(required_xyz(v, "start")?, required_xyz(v, "end")?, frame, start_radius, end_radius))
}

fn cone_range(start: Xyz, end: Xyz, frame: Option<Frame>, start_radius: f64, end_radius: f64) -> Range3d {
    let [vector0, vector90] = match frame {
        Some(frame) => [frame.columns[0], frame.columns[1]],
        None => perpendicular_pair(sub(end, start)),
    };
    let mut range = Ellipse::circle(start, vector0, vector90, start_radius).range();
    range.extend_range(&Ellipse::circle(end, vector0, vector90, end_radius).range());
    range
}

/// Two unit vectors perpendicular to `axis` and to each other. A zero axis (coincident cone ends)
/// counts as z, as in the native library.
fn perpendicular_pair(axis: Xyz) -> [Xyz; 2] {
    let z = normalized(axis).unwrap_or([0.0, 0.0, 1.0]);
    // Cross with the coordinate axis least aligned with z, so the product is far from zero.
    let least = (0..3).min_by(|&a, &b| z[a].abs().total_cmp(&z[b].abs())).unwrap_or(0);
    let mut helper = [0.0; 3];
    helper[least] = 1.0;
    let x = normalized(cross(helper, z)).unwrap_or([1.0, 0.0, 0.0]);
    [x, cross(z, x)]
}

/// `{center, radius | radiusX, radiusY?, radiusZ?, axes?, latitudeStartEnd?}`: the range of the whole
/// ellipsoid (native ignores the latitude sweep), i.e. center ± the lengths of the rows of the
/// radius-scaled axes.
fn sphere(v: &Value) -> Parsed<Range3d> {
    let center = required_xyz(v, "center")?;
    let radius = optional_number(v, "radius")?;
    let radius_x = optional_number(v, "radiusX")?.or(radius);
    let radius_y = optional_number(v, "radiusY")?.or(radius_x);
    let radius_z = optional_number(v, "radiusZ")?.or(radius_y);
    let radii = match (radius_x, radius_y, radius_z) {
        (Some(x), Some(y), Some(z)) if x > 0.0 && y > 0.0 && z > 0.0 => [x, y, z],
        _ => return Err(Bad::invalid("a sphere needs positive radii (`radius` or `radiusX/Y/Z`)")),
    };
    let [x, y, z] = axes(v)?.unwrap_or(Frame::IDENTITY).scale_columns(radii).columns;
    let half = [0, 1, 2].map(|i| magnitude([x[i], y[i], z[i]]));
    Ok(Range3d { low: sub(center, half), high: add(center, half) })
}

/// Cross sections sampled along a torus pipe's sweep (native `numChord`).
const TORUS_SECTIONS: usize = 24;
/// Padding for what the samples miss, as a fraction of the sampled range's diagonal.
const TORUS_PADDING: f64 = 0.05;

/// `{center, majorRadius, minorRadius, sweepAngle?, axes?}`.
fn torus_pipe(v: &Value) -> Parsed<Range3d> {
    let center = required_xyz(v, "center")?;
    let major = required_number(v, "majorRadius")?;
    let minor = required_number(v, "minorRadius")?;
    let sweep = member(v, "sweepAngle").map_or(Ok(TAU), |a| angle_radians(a, "sweepAngle"))?;
    let [vector_x, vector_y, _] = axes(v)?.unwrap_or(Frame::IDENTITY).columns;

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
            center: add_scaled(center, radial, major),
            vector0: scale(radial, minor),
            vector90: scale(normal, minor),
            start: 0.0,
            sweep: TAU,
        };
        range.extend_range(&section.range());
    }
    let pad = TORUS_PADDING * magnitude(sub(range.high, range.low));
    Ok(Range3d { low: range.low.map(|l| l - pad), high: range.high.map(|h| h + pad) })
}

/// `{contour: <path | loop | region>, vector}`: the contour's range stretched along the vector.
fn linear_sweep(v: &Value) -> Parsed<Range3d> {
    let mut range = collection_entry(required(v, "contour")?)?;
    let vector = required_xyz(v, "vector")?;
    for (axis, along) in vector.into_iter().enumerate() {
        if along > 0.0 {
            range.high[axis] += along;
        } else {
            range.low[axis] += along;
        }
    }
    Ok(range)
}

/// `{contour: [<path | loop | region>, ...]}`: ruling lines stay within the sections' range.
fn ruled_sweep(v: &Value) -> Parsed<Range3d> {
    let sections = required(v, "contour")?.as_array();
    let sections = sections.ok_or_else(|| Bad::invalid("`contour` of a ruled sweep must be an array"))?;
    let mut range = Range3d::EMPTY;
    for section in sections {
        range.extend_range(&collection_entry(section)?);
    }
    if range.is_empty() {
        return Err(Bad::invalid("a ruled sweep needs sections"));
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(entry: Value) -> Range3d {
        let (key, value) = super::super::single_member(&entry).unwrap();
        range(key, value).unwrap().unwrap()
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
        let err = |entry: Value| {
            let (key, value) = super::super::single_member(&entry).unwrap();
            range(key, value).unwrap().is_err()
        };
        assert!(err(json!({"sphere": {"center": [0, 0, 0], "radius": 0}})));
        assert!(err(json!({"sphere": {"center": [0, 0, 0]}})));
        assert!(err(json!({"box": {"origin": [0, 0, 0]}})));
        assert!(err(json!({"cone": {"start": [0, 0, 0], "end": [0, 0, 1]}})));
        assert!(err(json!({"torusPipe": {"center": [0, 0, 0], "majorRadius": 5}})));
        assert!(err(json!({"linearSweep": {"contour": {"lineString": [[0, 0], [1, 0]]}, "vector": [0, 0, 1]}})));
        assert!(err(json!({"rotationalSweep": {}})));
    }
}
