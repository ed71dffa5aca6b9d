//! The element-aligned (local) range of a geometry stream: what the native library stores as
//! `BBoxLow/BBoxHigh` of a `GeometricElement3d` or a `GeometryPart` for a `GeometryStreamProps`
//! array. It is computed from the model ([`crate::GeometryStream`]), from the same details the
//! encoder stores. Each primitive is ranged the way native `GeometryBuilder` ranges it, so the boxes equal
//! the ones iTwin.js writes (checked end to end by crates/geometry/tests/all/ranges.rs). Most ranges are tight;
//! the exceptions follow native on purpose: a sphere's range is its whole ellipsoid even when a
//! latitude sweep cuts it, and a torus pipe's range is sampled and then padded by 5 % of its diagonal.

mod curves;
mod ellipse;
mod parts;
mod solids;

use serde_json::Value;

use crate::codec::GeometryError;
use crate::model::{Entry, Geometry, GeometryStream};
use crate::placement::Range3d;

/// The box stored for an element without geometry.
pub const NO_GEOMETRY: Range3d = Range3d { low: [0.0; 3], high: [0.0; 3] };

/// The local range of `geom` (a `GeometryStreamProps` array): [`GeometryStream::from_json`]
/// then [`GeometryStream::local_range`]. `part_range` gives the stored box of a geometry part by
/// id, for `geomPart` entries. A stream without geometry (empty, or only header and appearance
/// entries) gets [`NO_GEOMETRY`].
///
/// # Errors
/// What [`GeometryStream::from_json`] refuses, and [`GeometryError::UnknownPart`] for a part
/// `part_range` does not know.
pub fn local_range(geom: &Value, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Result<Range3d, GeometryError> {
    GeometryStream::from_json(geom)?.local_range(part_range)
}

/// The union of the entries' ranges, or [`NO_GEOMETRY`].
pub(crate) fn stream_range(
    stream: &GeometryStream,
    part_range: &dyn Fn(i64) -> Option<Range3d>,
) -> Result<Range3d, GeometryError> {
    let mut range = Range3d::EMPTY;
    for (index, entry) in stream.entries.iter().enumerate() {
        let entry_range = match entry {
            Entry::Header { .. } | Entry::Appearance(_) | Entry::SubRange(_) => continue,
            Entry::Part(instance) => parts::instance_range(instance, index, part_range)?,
            Entry::Geometry(geometry) => geometry_range(geometry),
        };
        if !entry_range.low.iter().chain(&entry_range.high).all(|v| v.is_finite()) {
            return Err(GeometryError::json(&format!("geom[{index}]"), "the range is not finite"));
        }
        range.extend_range(&entry_range);
    }
    Ok(if range.is_empty() { NO_GEOMETRY } else { range })
}

/// The range of one primitive, as native `GeometricPrimitive::GetRange` computes it.
fn geometry_range(geometry: &Geometry) -> Range3d {
    match geometry {
        Geometry::Curve(curve) => curves::range(curve),
        Geometry::Solid(solid) => solids::range(solid),
        // Native `PointRange`: all points, indexed or not.
        Geometry::Mesh(mesh) => curves::point_range(&mesh.points),
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
        assert_eq!(
            local_range(&unknown, &lookup),
            Err(GeometryError::UnknownPart { at: "geom[1].geomPart.part".into(), part: 0x21 })
        );
    }

    #[test]
    fn errors_name_the_entry() {
        let at = |geom: Value| match local_range(&geom, &no_parts) {
            Err(GeometryError::Json { at, .. }) => at,
            other => panic!("{geom}: {other:?}"),
        };
        assert_eq!(at(json!({"arc": {}})), "geom");
        assert!(at(json!([{"lineString": [[0, 0], [1, 1]]}, {"sphere": {"center": [0, 0, 0]}}])).starts_with("geom[1]"));
        assert_eq!(at(json!([{"lineString": [[0, 0], [1, 1]], "arc": {}}])), "geom[0]");
        assert_eq!(at(json!([{"frobnicate": 1}])), "geom[0]");
        assert_eq!(at(json!([{"bsurf": {}}])), "geom[0]");
        let styled = json!([{"appearance": {"style": "0x33"}}, {"lineString": [[0, 0], [1, 1]]}]);
        assert_eq!(at(styled), "geom[0].appearance.style");
    }

    #[test]
    fn overflowing_geometry_is_an_error_not_infinity() {
        let geom = json!([{"sphere": {"center": [0, 0, 0], "radius": 1e300, "xyzVectors": [[1e300, 0, 0], [0, 1, 0], [0, 0, 1]]}}]);
        assert!(matches!(local_range(&geom, &no_parts), Err(GeometryError::Json { .. })));
    }
}
