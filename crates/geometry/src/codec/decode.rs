//! An op stream to GeometryStreamProps JSON, entry by entry, as `GeometryCollection::ToJson`
//! reports them: each op is read into the model ([`Entry`]) and written by the model's JSON
//! writer.

use serde_json::{json, Value};

use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::Source;
use super::json::xyz_value;
use super::stream::{self, opcode, Op};
use super::{curves, polyface, solids, symbology, StreamContext};
use crate::model::{Curve, Entry, Geometry};
use crate::placement::Range3d;

pub(crate) fn decode_stream(stream: &[u8], context: &StreamContext) -> Result<Value, GeometryError> {
    let ops = stream::split_ops(stream)?;
    if ops.first().map(|op| op.code) != Some(opcode::HEADER) {
        return Err(GeometryError::blob("the first op is not a Header"));
    }
    let mut last_sub_category = context.default_sub_category.unwrap_or(0);
    let mut entries = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let entry =
            read_op(index, op).and_then(|entry| entry.map(|e| entry_json(&e, &mut last_sub_category)).transpose());
        let entry = entry.and_then(|entry| match entry {
            // JSON has no NaN or infinity; serde_json turns them into null.
            Some(value) if has_null(&value) => Err(PayloadError::new("a NaN or infinite number")),
            other => Ok(other),
        });
        let entry = entry.map_err(|PayloadError(message)| GeometryError::Op {
            index,
            opcode: stream::opcode_name(op.code),
            message,
        })?;
        entries.extend(entry);
    }
    Ok(Value::Array(entries))
}

/// The part ids of the GeometryPartInstance ops of a stream, other ops left unread.
pub(crate) fn instanced_parts(stream: &[u8]) -> Result<Vec<i64>, GeometryError> {
    let ops = stream::split_ops(stream)?;
    let mut parts = Vec::new();
    for (index, op) in ops.iter().enumerate().filter(|(_, op)| op.code == opcode::GEOMETRY_PART_INSTANCE) {
        let part = symbology::part_instance_id(op.data).map_err(|PayloadError(message)| GeometryError::Op {
            index,
            opcode: stream::opcode_name(op.code),
            message,
        })?;
        parts.push(part);
    }
    Ok(parts)
}

/// The entry of one op; `None` for ops the native reader skips.
fn read_op(index: usize, op: &Op<'_>) -> PayloadResult<Option<Entry>> {
    let curve = |curve: Curve| Entry::Geometry(Geometry::Curve(curve));
    Ok(Some(match op.code {
        opcode::HEADER => {
            if index != 0 {
                return Err(PayloadError::new("a Header after the first op"));
            }
            let flags = op.data.get(4..8).ok_or_else(|| PayloadError::new("Header shorter than 8 bytes"))?;
            Entry::Header { flags: u32::from_le_bytes([flags[0], flags[1], flags[2], flags[3]]) }
        }
        opcode::BASIC_SYMBOLOGY => Entry::Appearance(symbology::read_appearance(op.data)?),
        opcode::GEOMETRY_PART_INSTANCE => Entry::Part(symbology::read_part_instance(op.data)?),
        opcode::SUB_GRAPHIC_RANGE => match sub_range(op.data)? {
            Some(range) => Entry::SubRange(range),
            None => return Ok(None),
        },
        opcode::POINT_PRIMITIVE => curve(curves::read_point_primitive(op.data, false)?),
        opcode::POINT_PRIMITIVE_2D => curve(curves::read_point_primitive(op.data, true)?),
        opcode::ARC_PRIMITIVE => curve(curves::read_arc_primitive(op.data)?),
        opcode::CURVE_VECTOR => {
            let vector = curves::read_bgfb_curve(op.data)?;
            if !matches!(vector, Curve::Vector(_)) {
                return Err(PayloadError::new("a CurveVector op without a curve vector"));
            }
            curve(vector)
        }
        opcode::CURVE_PRIMITIVE => curve(curves::read_bgfb_curve(op.data)?),
        opcode::SOLID_PRIMITIVE => Entry::Geometry(Geometry::Solid(solids::read_payload(op.data)?)),
        opcode::POLYFACE => Entry::Geometry(Geometry::Mesh(polyface::read_payload(op.data)?)),
        _ => return Err(PayloadError::new("not supported")),
    }))
}

/// The low and high corners of a SubGraphicRange op (a PointPrimitive of two points); the
/// native reader skips it when it has fewer.
fn sub_range(data: &[u8]) -> PayloadResult<Option<Range3d>> {
    let src = Source::new(data);
    let coords = src.root()?.struct_doubles(4, 3)?.unwrap_or_default();
    if coords.len() < 6 {
        return Ok(None);
    }
    Ok(Some(Range3d { low: [coords[0], coords[1], coords[2]], high: [coords[3], coords[4], coords[5]] }))
}

/// The model's JSON writer: an entry as `GeometryCollection::ToJson` reports it.
/// `last_sub_category` is the sub-category in effect, which appearances do not repeat.
pub(crate) fn entry_json(entry: &Entry, last_sub_category: &mut i64) -> PayloadResult<Value> {
    Ok(match entry {
        Entry::Header { flags } => json!({ "header": { "flags": flags } }),
        Entry::Appearance(a) => symbology::appearance_json(a, last_sub_category),
        Entry::Part(p) => symbology::part_instance_json(p),
        Entry::SubRange(r) => json!({ "subRange": { "low": xyz_value(r.low), "high": xyz_value(r.high) } }),
        Entry::Geometry(Geometry::Curve(curve)) => curves::to_json(curve),
        Entry::Geometry(Geometry::Solid(solid)) => solids::to_json(solid)?,
        Entry::Geometry(Geometry::Mesh(mesh)) => polyface::to_json(mesh),
    })
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}
