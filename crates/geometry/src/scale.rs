//! Scaling wire-format geometry about its local origin: what a change of length unit does to a
//! `GeometryStreamProps` array, in place.
//!
//! Coordinates, radii, lengths and displacement vectors scale. Directions and axes do not: the
//! solids multiply their axes by their own radii and lengths (a cone's section vectors, a box's
//! `vectorX`, any `xyzVectors`), so scaling those as well would scale twice. Angles, part instance
//! scales, mesh normals and texture parameters stay as they are. An arc's `vectorX`/`vectorY` are
//! its radius vectors and a linear sweep's `vector` its extrusion, so those scale.
//!
//! The entries are the ones the codec reads (its own lists of entry keys); an entry this module
//! does not know is refused rather than written in the old unit. Values of the wrong shape are
//! left alone for the codec to report with its own, exact location.
//!
//! Why JSON, not the model ([`crate::GeometryStream`]): the sync crate converts a connector's
//! props into metres on the way in and back into its unit on the way out, and the connector must
//! read back what it wrote. Reading into the model and writing it back would give the native
//! form instead (a cone's axes normalized, a part's yaw 30 as 29.999999999999996, every integer
//! a float), so scaling edits only the numbers that are lengths and leaves the rest as written.

use serde_json::{Number, Value};

use crate::codec::curves::is_curve_key as is_curve;
use crate::codec::solids::SOLID_KEYS;

/// Why a stream cannot be scaled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{at}: {why}")]
pub struct ScaleError {
    /// Where, e.g. `geom[2].cone.radius`.
    pub at: String,
    /// What is wrong there.
    pub why: String,
}

type Result<T> = std::result::Result<T, ScaleError>;

/// Fields of solids that are points.
const SOLID_POINTS: [&str; 7] = ["origin", "baseOrigin", "topOrigin", "center", "start", "end", "vector"];
/// Fields of solids that are lengths.
const SOLID_LENGTHS: [&str; 13] = [
    "baseX",
    "baseY",
    "topX",
    "topY",
    "height",
    "radius",
    "radiusX",
    "radiusY",
    "radiusZ",
    "startRadius",
    "endRadius",
    "majorRadius",
    "minorRadius",
];

/// Scales every length of `geom` (a `GeometryStreamProps` array) by `factor`. Anything but an
/// array is left for the codec to refuse.
///
/// # Errors
/// A [`ScaleError`] for a factor that is not positive and finite, an entry that cannot be
/// scaled (one the codec does not read), or a length that the factor makes non-finite.
pub fn scale_stream(geom: &mut Value, factor: f64) -> Result<()> {
    check_factor(factor)?;
    let Value::Array(entries) = geom else { return Ok(()) };
    if factor == 1.0 {
        return Ok(());
    }
    for (i, entry) in entries.iter_mut().enumerate() {
        let at = format!("geom[{i}]");
        let Some((key, value)) = single_member(entry) else { continue };
        let value_at = format!("{at}.{key}");
        match key.as_str() {
            "header" | "appearance" => {}
            "geomPart" => scale_point_field(value, "origin", factor, &value_at)?,
            "indexedMesh" => scale_points(value.get_mut("point"), factor, &format!("{value_at}.point"))?,
            _ if SOLID_KEYS.contains(&key.as_str()) => scale_solid(key, value, factor, &value_at)?,
            _ if is_curve(key) => scale_curve(key, value, factor, &value_at)?,
            _ => return Err(unknown(key, &at)),
        }
    }
    Ok(())
}

/// Scales a point given as `[x, y, z]`, `[x, y]` or `{"x", "y", "z"}`; `at` names it in
/// errors. Other values are left alone.
///
/// # Errors
/// A [`ScaleError`] for a coordinate the factor makes non-finite.
pub fn scale_point(point: &mut Value, factor: f64, at: &str) -> Result<()> {
    match point {
        Value::Array(items) => {
            items.iter_mut().enumerate().try_for_each(|(i, x)| scale_number(x, factor, &format!("{at}[{i}]")))
        }
        Value::Object(members) => ["x", "y", "z"].iter().try_for_each(|axis| match members.get_mut(*axis) {
            Some(x) => scale_number(x, factor, &format!("{at}.{axis}")),
            None => Ok(()),
        }),
        _ => Ok(()),
    }
}

/// Scales a box given as `{"low": point, "high": point}` (a placement's or a part's `bbox`).
///
/// # Errors
/// A [`ScaleError`] for a coordinate the factor makes non-finite.
pub fn scale_box(range: &mut Value, factor: f64, at: &str) -> Result<()> {
    scale_point_field(range, "low", factor, at)?;
    scale_point_field(range, "high", factor, at)
}

/// Scales a number in place; the result must stay finite.
fn scale_number(x: &mut Value, factor: f64, at: &str) -> Result<()> {
    // Left as written (an integer stays an integer) when nothing changes.
    let Some(value) = x.as_f64().filter(|_| factor != 1.0) else { return Ok(()) };
    let scaled = value * factor;
    *x = Number::from_f64(scaled).map(Value::Number).ok_or_else(|| ScaleError {
        at: at.to_owned(),
        why: format!("{value} scaled by {factor} is not a finite number"),
    })?;
    Ok(())
}

fn check_factor(factor: f64) -> Result<()> {
    if factor.is_finite() && factor > 0.0 {
        Ok(())
    } else {
        Err(ScaleError { at: "geom".into(), why: format!("scale factor {factor} is not a positive finite number") })
    }
}

fn scale_curve(key: &str, value: &mut Value, factor: f64, at: &str) -> Result<()> {
    match key {
        "lineSegment" | "lineString" | "pointString" => scale_points(Some(value), factor, at),
        "arc" => {
            ["center", "vectorX", "vectorY"].iter().try_for_each(|field| scale_point_field(value, field, factor, at))
        }
        // Curve vectors: arrays of one-key curve entries, nested.
        _ => {
            let Value::Array(items) = value else { return Ok(()) };
            for (i, item) in items.iter_mut().enumerate() {
                let item_at = format!("{at}[{i}]");
                let Some((child, child_value)) = single_member(item) else { continue };
                if !is_curve(child) {
                    return Err(unknown(child, &item_at));
                }
                scale_curve(child, child_value, factor, &format!("{item_at}.{child}"))?;
            }
            Ok(())
        }
    }
}

fn scale_solid(key: &str, value: &mut Value, factor: f64, at: &str) -> Result<()> {
    if key == "linearSweep" {
        if let Some((contour, contour_value)) = value.get_mut("contour").and_then(single_member) {
            let contour_at = format!("{at}.contour");
            if !is_curve(contour) {
                return Err(unknown(contour, &contour_at));
            }
            scale_curve(contour, contour_value, factor, &format!("{contour_at}.{contour}"))?;
        }
    }
    for field in SOLID_POINTS {
        scale_point_field(value, field, factor, at)?;
    }
    let Value::Object(members) = value else { return Ok(()) };
    for field in SOLID_LENGTHS {
        if let Some(x) = members.get_mut(field) {
            scale_number(x, factor, &format!("{at}.{field}"))?;
        }
    }
    Ok(())
}

fn scale_point_field(object: &mut Value, field: &str, factor: f64, at: &str) -> Result<()> {
    match object.get_mut(field) {
        Some(point) => scale_point(point, factor, &format!("{at}.{field}")),
        None => Ok(()),
    }
}

fn scale_points(points: Option<&mut Value>, factor: f64, at: &str) -> Result<()> {
    let Some(Value::Array(points)) = points else { return Ok(()) };
    points.iter_mut().enumerate().try_for_each(|(i, p)| scale_point(p, factor, &format!("{at}[{i}]")))
}

/// The only member of a one-key object such as `{"arc": {...}}`.
fn single_member(entry: &mut Value) -> Option<(&String, &mut Value)> {
    match entry {
        Value::Object(map) if map.len() == 1 => map.iter_mut().next(),
        _ => None,
    }
}

fn unknown(key: &str, at: &str) -> ScaleError {
    ScaleError { at: at.to_owned(), why: format!("cannot scale `{key}` geometry (not supported)") }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::placement::Range3d;
    use crate::range::local_range;

    const FACTOR: f64 = 0.001;

    /// One stream per entry kind the codec encodes, in millimetres (shared with
    /// crates/geometry/tests/all/scale.rs, which has iTwin.js range them).
    fn streams() -> Vec<(String, Value)> {
        let list: Vec<Value> = serde_json::from_str(include_str!("scale_streams.json")).expect("valid JSON");
        list.into_iter().map(|s| (s["name"].as_str().expect("a name").to_owned(), s["geom"].clone())).collect()
    }

    fn scaled(range: Range3d, factor: f64) -> Range3d {
        Range3d { low: range.low.map(|x| x * factor), high: range.high.map(|x| x * factor) }
    }

    fn assert_close(ours: Range3d, want: Range3d, what: &str) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let all = (0..3).all(|i| close(ours.low[i], want.low[i]) && close(ours.high[i], want.high[i]));
        assert!(all, "{what}: scaled stream's range {ours:?}, the original's scaled {want:?}");
    }

    #[test]
    fn every_entry_kind_scales_to_the_original_range_times_the_factor() {
        let no_parts = |_| None;
        for (name, stream) in streams() {
            let original = local_range(&stream, &no_parts).unwrap_or_else(|e| panic!("{name}: {e}"));
            let name = name.as_str();
            let mut metres = stream.clone();
            scale_stream(&mut metres, FACTOR).unwrap_or_else(|e| panic!("{name}: {e}"));
            let range = local_range(&metres, &no_parts).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_close(range, scaled(original, FACTOR), name);
            crate::codec::encode(&metres)
                .unwrap_or_else(|e| panic!("{name}: the codec refuses the scaled stream: {e}"));
        }
    }

    #[test]
    fn directions_angles_and_mesh_attributes_stay() {
        let mut stream = streams().into_iter().find(|(n, _)| n == "indexedMesh").unwrap().1;
        scale_stream(&mut stream, FACTOR).unwrap();
        let mesh = &stream[0]["indexedMesh"];
        assert_eq!(mesh["normal"], json!([[0, 0, -1], [0, -1, 0]]));
        assert_eq!(mesh["param"], json!([[0, 0], [1, 0], [0, 1]]));
        assert_eq!(mesh["point"][1], json!([1.0, 0.0, 0.0]));

        let mut cone = streams().into_iter().find(|(n, _)| n == "cone").unwrap().1;
        scale_stream(&mut cone, FACTOR).unwrap();
        assert_eq!(cone[0]["cone"]["xyVectors"], json!([[3, 0, 0], [0, 3, 0]]));
        assert_eq!(cone[0]["cone"]["startRadius"], json!(0.8));

        let mut torus = streams().into_iter().find(|(n, _)| n == "torusPipe").unwrap().1;
        scale_stream(&mut torus, FACTOR).unwrap();
        assert_eq!(torus[0]["torusPipe"]["sweepAngle"], json!(120));
    }

    #[test]
    fn a_part_instance_moves_its_origin_and_keeps_its_rotation_and_scale() {
        let mut stream = json!([{ "geomPart": { "part": "0x1b", "origin": [1000, 2000, 0], "rotation": { "yaw": 30 }, "scale": 2 } }]);
        scale_stream(&mut stream, FACTOR).unwrap();
        assert_eq!(
            stream,
            json!([{ "geomPart": { "part": "0x1b", "origin": [1.0, 2.0, 0.0], "rotation": { "yaw": 30 }, "scale": 2 } }])
        );
    }

    #[test]
    fn unknown_entries_and_bad_factors_are_refused() {
        let mut text = json!([{ "lineString": [[0, 0, 0], [1, 1, 1]] }, { "textString": { "text": "a" } }]);
        let error = scale_stream(&mut text, 2.0).unwrap_err();
        assert_eq!(error.at, "geom[1]");
        let mut nested = json!([{ "path": [{ "bcurve": {} }] }]);
        assert_eq!(scale_stream(&mut nested, 2.0).unwrap_err().at, "geom[0].path[0]");
        for factor in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(scale_stream(&mut json!([]), factor).is_err(), "{factor}");
        }
        let mut huge = json!([{ "lineString": [[1e308, 0, 0], [0, 0, 0]] }]);
        assert_eq!(scale_stream(&mut huge, 10.0).unwrap_err().at, "geom[0].lineString[0][0]");
    }
}
