//! A [`GeometryStream`] to an op stream, entry by entry, as `GeometryBuilder` appends them.

use super::error::GeometryError;
use super::stream::{self, opcode};
use super::symbology::{self, AppearanceState};
use super::{curves, polyface, solids, StreamContext};
use crate::model::{Curve, CurveVector, Entry, Geometry, GeometryStream, Solid};

/// The op stream (header first) for a stream; `None` when it holds no geometry (empty, or only
/// header and appearance entries).
pub(crate) fn encode_stream(geom: &GeometryStream, context: &StreamContext) -> Result<Option<Vec<u8>>, GeometryError> {
    if let Some(why) = &geom.unstorable {
        return Err(why.clone());
    }
    let mut flags = 0;
    // The Header op comes first but its flags are known only at the end: its room is kept and
    // filled then, rather than copying the stream behind it.
    let mut body = Vec::with_capacity(HEADER_OP_BYTES + 256 * geom.entries.len().min(64));
    body.resize(HEADER_OP_BYTES, 0);
    let mut appearance = AppearanceState::new(context.default_sub_category, context.is_part);
    let mut has_geometry = false;

    for (i, entry) in geom.entries.iter().enumerate() {
        let at = || format!("geom[{i}]");
        match entry {
            Entry::Header { flags: f } => flags = *f,
            Entry::Appearance(a) => appearance.apply(a),
            // Only decoded streams have them; the native builder computes its own.
            Entry::SubRange(_) => {}
            Entry::Part(instance) => {
                if context.is_part {
                    return Err(GeometryError::json(&at(), "a geometry part cannot instance another part"));
                }
                flush_appearance(&mut body, &mut appearance);
                stream::append_op(
                    &mut body,
                    opcode::GEOMETRY_PART_INSTANCE,
                    &symbology::part_instance_payload(instance),
                );
                has_geometry = true;
            }
            Entry::Geometry(geometry) => {
                // The flatbuffers builder cannot grow past 2 GiB (it panics); refuse well before.
                if body.len().saturating_add(payload_estimate(geometry)) > stream::MAX_STREAM_BYTES {
                    return Err(GeometryError::json(&at(), "too much geometry for one stream"));
                }
                let (code, payload) = geometry_op(geometry)
                    .ok_or_else(|| GeometryError::json(&at(), "this geometry cannot be stored"))?;
                flush_appearance(&mut body, &mut appearance);
                stream::append_op(&mut body, code, &payload);
                has_geometry = true;
            }
        }
        if body.len() > stream::MAX_STREAM_BYTES {
            return Err(GeometryError::json(&at(), "the stream grows too large"));
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

/// The op of a geometry; `None` for what the encoder does not write (reading marks such
/// streams unstorable, so this is not reached).
fn geometry_op(geometry: &Geometry) -> Option<(u32, Vec<u8>)> {
    Some(match geometry {
        Geometry::Curve(curve) => curves::to_op(curve),
        Geometry::Solid(solid) => (opcode::SOLID_PRIMITIVE, solids::to_payload(solid)?),
        Geometry::Mesh(mesh) => (opcode::POLYFACE, polyface::to_payload(mesh)),
    })
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
        Geometry::Solid(Solid::RuledSweep(sections)) => sections.iter().map(vector).fold(256, usize::saturating_add),
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
