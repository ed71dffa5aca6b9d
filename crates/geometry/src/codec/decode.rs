//! An op stream to GeometryStreamProps JSON, entry by entry, as `GeometryCollection::ToJson`
//! reports them.

use serde_json::{json, Value};

use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::Source;
use super::json::xyz_value;
use super::model::{Curve, Geometry};
use super::stream::{self, opcode, Op};
use super::{curves, polyface, solids, symbology, StreamContext};

pub(crate) fn decode_stream(stream: &[u8], context: &StreamContext) -> Result<Value, GeometryError> {
    let ops = stream::split_ops(stream)?;
    if ops.first().map(|op| op.code) != Some(opcode::HEADER) {
        return Err(GeometryError::blob("the first op is not a Header"));
    }
    let mut last_sub_category = context.default_sub_category.map_or(0, |id| id as u64);
    let mut entries = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let entry = decode_op(index, op, &mut last_sub_category).and_then(|entry| match entry {
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
pub(crate) fn instanced_parts(stream: &[u8]) -> Result<Vec<u64>, GeometryError> {
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

/// The JSON entry of one op; `None` for ops the native reader skips.
fn decode_op(index: usize, op: &Op<'_>, last_sub_category: &mut u64) -> PayloadResult<Option<Value>> {
    Ok(Some(match op.code {
        opcode::HEADER => {
            if index != 0 {
                return Err(PayloadError::new("a Header after the first op"));
            }
            let flags = op.data.get(4..8).ok_or_else(|| PayloadError::new("Header shorter than 8 bytes"))?;
            json!({ "header": { "flags": u32::from_le_bytes([flags[0], flags[1], flags[2], flags[3]]) } })
        }
        opcode::BASIC_SYMBOLOGY => symbology::appearance_json(op.data, last_sub_category)?,
        opcode::GEOMETRY_PART_INSTANCE => symbology::part_instance_json(op.data)?,
        opcode::SUB_GRAPHIC_RANGE => match sub_range(op.data)? {
            Some(range) => range,
            None => return Ok(None),
        },
        opcode::POINT_PRIMITIVE => geometry_json(&Geometry::Curve(curves::read_point_primitive(op.data, false)?))?,
        opcode::POINT_PRIMITIVE_2D => geometry_json(&Geometry::Curve(curves::read_point_primitive(op.data, true)?))?,
        opcode::ARC_PRIMITIVE => geometry_json(&Geometry::Curve(curves::read_arc_primitive(op.data)?))?,
        opcode::CURVE_VECTOR => {
            let curve = curves::read_bgfb_curve(op.data)?;
            if !matches!(curve, Curve::Vector(_)) {
                return Err(PayloadError::new("a CurveVector op without a curve vector"));
            }
            geometry_json(&Geometry::Curve(curve))?
        }
        opcode::CURVE_PRIMITIVE => geometry_json(&Geometry::Curve(curves::read_bgfb_curve(op.data)?))?,
        opcode::SOLID_PRIMITIVE => geometry_json(&Geometry::Solid(solids::read_payload(op.data)?))?,
        opcode::POLYFACE => geometry_json(&Geometry::Mesh(polyface::read_payload(op.data)?))?,
        _ => return Err(PayloadError::new("not supported")),
    }))
}

/// `{"subRange": {"low", "high"}}` from a SubGraphicRange op (a PointPrimitive of two points);
/// the native reader skips it when it has fewer.
fn sub_range(data: &[u8]) -> PayloadResult<Option<Value>> {
    let src = Source::new(data);
    let coords = src.root()?.struct_doubles(4, 3)?.unwrap_or_default();
    if coords.len() < 6 {
        return Ok(None);
    }
    let (low, high) = ([coords[0], coords[1], coords[2]], [coords[3], coords[4], coords[5]]);
    Ok(Some(json!({ "subRange": { "low": xyz_value(low), "high": xyz_value(high) } })))
}

fn geometry_json(geometry: &Geometry) -> PayloadResult<Value> {
    Ok(match geometry {
        Geometry::Curve(curve) => curves::to_json(curve),
        Geometry::Solid(solid) => solids::to_json(solid)?,
        Geometry::Mesh(mesh) => polyface::to_json(mesh),
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
