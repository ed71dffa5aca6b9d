//! GeometryStreamProps JSON to an op stream, entry by entry, as `GeometryBuilder::FromJson`
//! appends them.

use serde_json::Value;

use super::error::GeometryError;
use super::json::{self, At, Obj};
use super::model::{Curve, CurveVector, Geometry, Solid};
use super::stream::{self, opcode};
use super::symbology::{self, AppearanceState};
use super::{curves, polyface, solids, StreamContext};

/// The op stream (header first) for a GeometryStreamProps array; `None` when every entry is
/// valid but none is geometry (empty, or only header and appearance entries).
pub(crate) fn encode_stream(geom: &Value, context: &StreamContext) -> Result<Option<Vec<u8>>, GeometryError> {
    let entries = json::array(geom, "geom")?;
    let mut flags = 0;
    // The Header op comes first but its flags are known only at the end: its room is kept and
    // filled then, rather than copying the stream behind it.
    let mut body = Vec::with_capacity(HEADER_OP_BYTES + 256 * entries.len().min(64));
    body.resize(HEADER_OP_BYTES, 0);
    let mut appearance = AppearanceState::new(context.default_sub_category.map(|id| id as u64), context.is_part);
    let mut has_geometry = false;

    let root = At::Name("geom");
    for (i, entry) in entries.iter().enumerate() {
        let at = root.item(i);
        let (key, value) = curves::single_key(entry, &at)?;
        let value_at = at.field(key);
        match key {
            "header" => {
                if i != 0 {
                    return Err(GeometryError::json(&at, "header must be the first entry"));
                }
                let header = Obj::new(value, value_at, &["flags"])?;
                // GeometryStreamFlags: None = 0, ViewIndependent = 1.
                flags = match header.get("flags") {
                    Some(f) => json::integer(f, &header.at("flags"), 0, 1)? as u32,
                    None => 0,
                };
            }
            "appearance" => appearance.apply(&symbology::parse_appearance(value, &value_at)?),
            "geomPart" => {
                if context.is_part {
                    return Err(GeometryError::json(&at, "a geometry part cannot instance another part"));
                }
                let instance = symbology::parse_part_instance(value, &value_at)?;
                flush_appearance(&mut body, &mut appearance);
                stream::append_op(
                    &mut body,
                    opcode::GEOMETRY_PART_INSTANCE,
                    &symbology::part_instance_payload(&instance),
                );
                has_geometry = true;
            }
            _ => {
                let geometry = parse_geometry(key, value, &at, &value_at)?;
                // The flatbuffers builder cannot grow past 2 GiB (it panics); refuse well before.
                if body.len().saturating_add(payload_estimate(&geometry)) > stream::MAX_STREAM_BYTES {
                    return Err(GeometryError::json(&at, "too much geometry for one stream"));
                }
                flush_appearance(&mut body, &mut appearance);
                let (code, payload) = geometry_op(&geometry);
                stream::append_op(&mut body, code, &payload);
                has_geometry = true;
            }
        }
        if body.len() > stream::MAX_STREAM_BYTES {
            return Err(GeometryError::json(&at, "the stream grows too large"));
        }
    }
    if !has_geometry {
        return Ok(None);
    }
    let mut header = Vec::with_capacity(HEADER_OP_BYTES);
    stream::append_op(&mut header, opcode::HEADER, &stream::header_payload(flags));
    body[..HEADER_OP_BYTES].copy_from_slice(&header);
    Ok(Some(body))
}

/// The Header op: opcode, size and its 8-byte payload.
const HEADER_OP_BYTES: usize = 16;

fn flush_appearance(body: &mut Vec<u8>, appearance: &mut AppearanceState) {
    if let Some(payload) = appearance.take_pending() {
        stream::append_op(body, opcode::BASIC_SYMBOLOGY, &payload);
    }
}

fn parse_geometry(key: &str, value: &Value, at: &At<'_>, value_at: &At<'_>) -> Result<Geometry, GeometryError> {
    if curves::is_curve_key(key) {
        return Ok(Geometry::Curve(curves::parse(key, value, value_at)?));
    }
    if solids::SOLID_KEYS.contains(&key) {
        return Ok(Geometry::Solid(solids::parse(key, value, value_at)?));
    }
    if key == "indexedMesh" {
        return Ok(Geometry::Mesh(polyface::parse(value, value_at)?));
    }
    if key == "indexedPolyface" {
        return Err(GeometryError::json(at, "unknown geometry entry `indexedPolyface` (meshes are `indexedMesh`)"));
    }
    let known_unsupported =
        ["subRange", "styleMod", "fill", "pattern", "material", "textString", "brep", "image", "bcurve", "bsurf"];
    if known_unsupported.contains(&key) {
        return Err(GeometryError::json(at, format!("`{key}` entries are not supported")));
    }
    Err(GeometryError::json(at, format!("unknown geometry entry `{key}`")))
}

fn geometry_op(geometry: &Geometry) -> (u32, Vec<u8>) {
    match geometry {
        Geometry::Curve(curve) => curves::to_op(curve),
        Geometry::Solid(solid) => (opcode::SOLID_PRIMITIVE, solids::to_payload(solid)),
        Geometry::Mesh(mesh) => (opcode::POLYFACE, polyface::to_payload(mesh)),
    }
}

/// An upper bound of the payload bytes of a geometry (doubles and indices; tables add little).
fn payload_estimate(geometry: &Geometry) -> usize {
    fn curve(c: &Curve) -> usize {
        match c {
            Curve::LineString(points) | Curve::PointString(points) => 64 + 24 * points.len(),
            Curve::Vector(cv) => vector(cv),
            Curve::Segment(_) | Curve::Arc(_) => 160,
        }
    }
    fn vector(cv: &CurveVector) -> usize {
        64 + cv.curves.iter().map(curve).fold(0, usize::saturating_add)
    }
    match geometry {
        Geometry::Curve(c) => curve(c),
        Geometry::Solid(Solid::Extrusion(e)) => 256 + vector(&e.base),
        Geometry::Solid(_) => 256,
        Geometry::Mesh(m) => {
            let values = 24 * m.points.len()
                + 16 * m.params.as_ref().map_or(0, Vec::len)
                + 24 * m.normals.as_ref().map_or(0, Vec::len)
                + 4 * m.colors.as_ref().map_or(0, Vec::len);
            256 + values + 16 * m.point_index.len()
        }
    }
}
