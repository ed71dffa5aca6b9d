//! Scaling wire-format geometry about its local origin: what a change of length unit does to a
//! `GeometryStreamProps` array, in place.
//!
//! Coordinates, radii, lengths and displacement vectors scale. Directions and axes do not: the
//! solids multiply their axes by their own radii and lengths (a cone's section vectors, a box's
//! `vectorX`, any `xyzVectors`), so scaling those as well would scale twice. Angles, part instance
//! scales, mesh normals and texture parameters stay as they are. An arc's `vectorX`/`vectorY` are
//! its radius vectors and a linear sweep's `vector` its extrusion, so those scale.
//!
//! Which values are lengths is known from the codec's one reader: the stream is read as for
//! encoding, the reader recording where its lengths are, and those numbers are scaled. So an
//! entry the codec does not read is refused rather than written in the old unit, and a value of
//! the wrong shape is refused with the codec's own message and location.
//!
//! Why the JSON is edited rather than read into the model ([`crate::GeometryStream`]) and
//! written back: the sync crate converts a connector's props into metres on the way in and back
//! into its unit on the way out, and the connector must read back what it wrote. Writing the
//! model would give the native form instead (a cone's axes normalized, a part's yaw 30 as
//! 29.999999999999996, every integer a float); editing keeps everything but the lengths as
//! written.

use serde_json::{Number, Value};

use crate::codec::json::{Length, Lengths, Step};
use crate::codec::parse::parse_stream;
use crate::codec::GeometryError;

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

/// Scales every length of `geom` (a `GeometryStreamProps` array) by `factor`. Anything but an
/// array is left for the codec to refuse.
///
/// # Errors
/// A [`ScaleError`] for a factor that is not positive and finite, a stream the codec cannot
/// read (with its message and location), or a length that the factor makes non-finite.
pub fn scale_stream(geom: &mut Value, factor: f64) -> Result<()> {
    check_factor(factor)?;
    if !geom.is_array() || factor == 1.0 {
        return Ok(());
    }
    let lengths = Lengths::default();
    parse_stream(geom, Some(&lengths)).map_err(|error| match error {
        GeometryError::Json { at, message } => ScaleError { at, why: message },
        other => ScaleError { at: "geom".into(), why: other.to_string() },
    })?;
    for (steps, length) in lengths.into_inner() {
        let mut at = String::from("geom");
        // The reader found it there; a missing value would be a reader bug, not the caller's.
        let Some(value) = locate(geom, &steps, &mut at) else { continue };
        match length {
            Length::Number => scale_number(value, factor, &at)?,
            Length::Point => scale_point(value, factor, &at)?,
            Length::Points => {
                let Value::Array(points) = value else { continue };
                for (i, point) in points.iter_mut().enumerate() {
                    scale_point(point, factor, &format!("{at}[{i}]"))?;
                }
            }
        }
    }
    Ok(())
}

/// The value at `steps` from `root`, its location appended to `at`.
fn locate<'v>(mut value: &'v mut Value, steps: &[Step], at: &mut String) -> Option<&'v mut Value> {
    for step in steps {
        value = match step {
            Step::Key(key) => {
                at.push('.');
                at.push_str(key);
                value.get_mut(key.as_str())?
            }
            Step::Index(index) => {
                at.push_str(&format!("[{index}]"));
                value.get_mut(*index)?
            }
        };
    }
    Some(value)
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
    for corner in ["low", "high"] {
        if let Some(point) = range.get_mut(corner) {
            scale_point(point, factor, &format!("{at}.{corner}"))?;
        }
    }
    Ok(())
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

    #[test]
    fn malformed_values_are_reported_where_the_codec_reports_them() {
        let mut bad = json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": "1" } }]);
        let error = scale_stream(&mut bad, 2.0).unwrap_err();
        let codec = crate::codec::encode(&bad).unwrap_err().to_string();
        assert_eq!(error.to_string(), codec);
        assert_eq!(error.at, "geom[0].box.baseX");
    }

    #[test]
    fn the_lengths_of_a_ruled_sweep_and_of_points_as_objects_scale() {
        let mut stream = json!([
            { "ruledSweep": { "contour": [
                { "loop": [{ "lineString": [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 0]] }] },
                { "loop": [{ "lineString": [[0, 0, 5], [30, 0, 5], [0, 30, 5], [0, 0, 5]] }] },
            ] } },
            { "pointString": [{ "x": 10, "y": 20 }] },
        ]);
        scale_stream(&mut stream, 0.1).unwrap();
        assert_eq!(stream[0]["ruledSweep"]["contour"][1]["loop"][0]["lineString"][1], json!([3.0, 0.0, 0.5]));
        assert_eq!(stream[1]["pointString"][0], json!({ "x": 1.0, "y": 2.0 }));
    }
}
