//! The element-aligned (local) range of wire-format geometry: what the native library stores as
//! `BBoxLow/BBoxHigh` of a `GeometricElement3d` or a `GeometryPart` for a `GeometryStreamProps`
//! array. Each primitive is ranged the way native `GeometryBuilder` ranges it, so the boxes equal
//! the ones iTwin.js writes (checked end to end by crates/geometry/tests/all/ranges.rs). Most ranges are tight;
//! the exceptions follow native on purpose: a sphere's range is its whole ellipsoid even when a
//! latitude sweep cuts it, and a torus pipe's range is sampled and then padded by 5 % of its diagonal.

mod curves;
mod ellipse;
mod parts;
mod polyface;
mod solids;
mod wire;

use serde_json::Value;

use crate::placement::Range3d;

/// Why a geometry stream has no range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RangeError {
    /// `geom` is not an array.
    #[error("a geometry stream must be a JSON array, found {found}")]
    NotAnArray {
        /// The JSON kind found.
        found: String,
    },
    /// An entry is malformed.
    #[error("geometry entry {index}: {reason}")]
    Invalid {
        /// The entry's index.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An entry whose range needs what the writer does not have (line styles, B-reps, text).
    #[error("geometry entry {index}: the range of `{kind}` is not supported")]
    Unsupported {
        /// The entry's index.
        index: usize,
        /// The entry's kind.
        kind: String,
    },
    /// A `geomPart` names a part the file does not have.
    #[error("geometry entry {index}: geometry part {part:#x} is not known")]
    UnknownPart {
        /// The entry's index.
        index: usize,
        /// The part's id.
        part: i64,
    },
}

/// The box stored for an element without geometry.
pub const NO_GEOMETRY: Range3d = Range3d { low: [0.0; 3], high: [0.0; 3] };

/// The local range of `geom` (a `GeometryStreamProps` array). `part_range` gives the stored box of
/// a geometry part by id, for `geomPart` entries. A stream without geometry (empty, or only
/// header and appearance entries) gets [`NO_GEOMETRY`].
pub fn local_range(geom: &Value, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Result<Range3d, RangeError> {
    let entries = geom.as_array().ok_or_else(|| RangeError::NotAnArray { found: json_kind(geom).to_owned() })?;
    let mut range = Range3d::EMPTY;
    for (index, entry) in entries.iter().enumerate() {
        let entry_range = single_member(entry)
            .and_then(|(key, value)| entry_range(key, value, part_range))
            .map_err(|bad| bad.at(index))?;
        if let Some(entry_range) = entry_range {
            if !entry_range.low.iter().chain(&entry_range.high).all(|v| v.is_finite()) {
                return Err(Bad::invalid("the range is not finite").at(index));
            }
            range.extend_range(&entry_range);
        }
    }
    Ok(if range.is_empty() { NO_GEOMETRY } else { range })
}

/// The range of one entry, `None` for entries that only set appearance or flags.
fn entry_range(key: &str, value: &Value, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Parsed<Option<Range3d>> {
    match key {
        "header" | "styleMod" | "fill" | "pattern" | "material" | "subRange" => Ok(None),
        "appearance" => check_no_line_style(value).map(|()| None),
        "geomPart" => parts::instance_range(value, part_range).map(Some),
        "indexedMesh" => polyface::indexed_mesh_range(value).map(Some),
        "textString" | "brep" | "image" | "bsurf" => Err(Bad::Unsupported(key.to_owned())),
        _ => match curves::range(key, value).or_else(|| solids::range(key, value)) {
            Some(range) => range.map(Some),
            None => Err(Bad::invalid(format!("unknown geometry entry `{key}`"))),
        },
    }
}

/// Native widens every following primitive's range by its line style's width, which lives in the
/// iModel's line-style definitions; we do not have those here.
fn check_no_line_style(appearance: &Value) -> Parsed<()> {
    match wire::member(appearance, "style") {
        Some(style) if wire::element_id(style, "style").is_ok() => Err(Bad::Unsupported("appearance.style".to_owned())),
        _ => Ok(()),
    }
}

/// The only member of a wire-format entry such as `{"arc": {...}}`.
fn single_member(entry: &Value) -> Parsed<(&str, &Value)> {
    if let Some(map) = entry.as_object() {
        if let (1, Some((key, value))) = (map.len(), map.iter().next()) {
            return Ok((key.as_str(), value));
        }
    }
    Err(Bad::invalid(format!("an entry must be an object with one member, found {}", json_kind(entry))))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(map) if map.is_empty() => "an empty object",
        Value::Object(_) => "an object with several members",
    }
}

/// What is wrong with one entry; [`Bad::at`] names the entry.
#[derive(Debug)]
enum Bad {
    Invalid(String),
    Unsupported(String),
    UnknownPart(i64),
}

type Parsed<T> = Result<T, Bad>;

impl Bad {
    fn invalid(reason: impl Into<String>) -> Bad {
        Bad::Invalid(reason.into())
    }

    fn at(self, index: usize) -> RangeError {
        match self {
            Bad::Invalid(reason) => RangeError::Invalid { index, reason },
            Bad::Unsupported(kind) => RangeError::Unsupported { index, kind },
            Bad::UnknownPart(part) => RangeError::UnknownPart { index, part },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_parts(_: i64) -> Option<Range3d> {
        None
    }

    #[test]
    fn empty_stream_gets_the_no_geometry_box() {
        assert_eq!(local_range(&json!([]), &no_parts).unwrap(), NO_GEOMETRY);
        let only_looks = json!([{"header": {"flags": 0}}, {"appearance": {"color": 255}}]);
        assert_eq!(local_range(&only_looks, &no_parts).unwrap(), NO_GEOMETRY);
    }

    #[test]
    fn entries_unite() {
        let geom = json!([
            {"header": {"flags": 0}},
            {"lineString": [[0, 0, 0], [1, 0, 0]]},
            {"appearance": {"color": 255, "style": "0"}},
            {"box": {"baseOrigin": [2, 2, 2], "baseX": 1}},
        ]);
        let r = local_range(&geom, &no_parts).unwrap();
        assert_eq!((r.low, r.high), ([0.0; 3], [3.0; 3]));
    }

    #[test]
    fn part_instances_use_the_lookup() {
        let lookup = |id: i64| (id == 0x20).then_some(Range3d { low: [-1.0; 3], high: [1.0; 3] });
        let geom = json!([{"geomPart": {"part": "0x20", "origin": [10, 0, 0]}}]);
        let r = local_range(&geom, &lookup).unwrap();
        assert_eq!((r.low, r.high), ([9.0, -1.0, -1.0], [11.0, 1.0, 1.0]));
        let unknown = json!([{"lineString": [[0, 0], [1, 1]]}, {"geomPart": {"part": "0x21"}}]);
        assert_eq!(local_range(&unknown, &lookup), Err(RangeError::UnknownPart { index: 1, part: 0x21 }));
    }

    #[test]
    fn errors_name_the_entry() {
        assert!(matches!(local_range(&json!({"arc": {}}), &no_parts), Err(RangeError::NotAnArray { .. })));
        let geom = json!([{"lineString": [[0, 0], [1, 1]]}, {"sphere": {"center": [0, 0, 0]}}]);
        assert!(matches!(local_range(&geom, &no_parts), Err(RangeError::Invalid { index: 1, .. })));
        let geom = json!([{"lineString": [[0, 0], [1, 1]], "arc": {}}]);
        assert!(matches!(local_range(&geom, &no_parts), Err(RangeError::Invalid { index: 0, .. })));
        assert!(matches!(local_range(&json!([{"frobnicate": 1}]), &no_parts), Err(RangeError::Invalid { .. })));
        assert!(matches!(local_range(&json!([{"bsurf": {}}]), &no_parts), Err(RangeError::Unsupported { .. })));
        let styled = json!([{"appearance": {"style": "0x33"}}, {"lineString": [[0, 0], [1, 1]]}]);
        assert!(matches!(local_range(&styled, &no_parts), Err(RangeError::Unsupported { index: 0, .. })));
    }

    #[test]
    fn overflowing_geometry_is_an_error_not_infinity() {
        let geom = json!([{"sphere": {"center": [0, 0, 0], "radius": 1e300, "xyzVectors": [[1e300, 0, 0], [0, 1, 0], [0, 0, 1]]}}]);
        assert!(matches!(local_range(&geom, &no_parts), Err(RangeError::Invalid { .. })));
    }
}
