//! Curves: `lineSegment`, `lineString`, `pointString`, `arc` and the curve vectors `path`,
//! `loop`, `parityRegion`, `unionRegion`, `bagOfCurves`. JSON in and out, the simplified ops the
//! native writer prefers for single curves (PointPrimitive, ArcPrimitive), and the allcg tables.

use flatbuffers::FlatBufferBuilder;
use serde_json::{json, Map, Value};

use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::{self, Doubles, Source, Table, TableOffset};
use super::json::{self, At, Length, Obj};
use super::stream::opcode;
use super::variant::{self, kind};
use crate::math::{degrees_to_radians, radians_to_degrees, Xyz};
use crate::model::{Arc, Boundary, Curve, CurveVector};

type Result<T> = std::result::Result<T, GeometryError>;

/// Curve vectors nest (regions of loops); deeper JSON is refused.
const MAX_NESTING: usize = 32;

const PRIMITIVE_KEYS: [&str; 4] = ["lineSegment", "lineString", "pointString", "arc"];
const VECTOR_KEYS: [&str; 5] = ["path", "loop", "parityRegion", "unionRegion", "bagOfCurves"];

/// `BoundaryType` of the ElementGraphics point and arc primitives.
const BOUNDARY_NONE: i8 = 0;
const BOUNDARY_OPEN: i8 = 1;
const BOUNDARY_CLOSED: i8 = 2;

/// Whether `key` names a curve entry.
pub(crate) fn is_curve_key(key: &str) -> bool {
    PRIMITIVE_KEYS.contains(&key) || VECTOR_KEYS.contains(&key)
}

/// Whether `key` names a curve vector.
pub(crate) fn is_vector_key(key: &str) -> bool {
    VECTOR_KEYS.contains(&key)
}

/// Parses the value of curve entry `key` (one of [`is_curve_key`]); `at` names the value.
pub(crate) fn parse(key: &str, value: &Value, at: &At<'_>) -> Result<Curve> {
    parse_nested(key, value, at, 0)
}

fn parse_nested(key: &str, value: &Value, at: &At<'_>, depth: usize) -> Result<Curve> {
    if matches!(key, "lineSegment" | "lineString" | "pointString") {
        at.mark(Length::Points);
    }
    Ok(match key {
        "lineSegment" => {
            let points = json::points(value, at, 2)?;
            if points.len() != 2 {
                return Err(GeometryError::json(at, format!("expected 2 points, got {}", points.len())));
            }
            Curve::Segment([points[0], points[1]])
        }
        "lineString" => Curve::LineString(json::points(value, at, 2)?),
        "pointString" => Curve::PointString(json::points(value, at, 1)?),
        "arc" => Curve::Arc(parse_arc(value, at)?),
        _ => Curve::Vector(parse_vector(key, value, at, depth)?),
    })
}

/// Parses the value of curve vector `key` (one of the vector keys).
pub(crate) fn parse_vector(key: &str, value: &Value, at: &At<'_>, depth: usize) -> Result<CurveVector> {
    if depth > MAX_NESTING {
        return Err(GeometryError::json(at, "curve vectors nested too deeply"));
    }
    let boundary = match key {
        "path" => Boundary::Open,
        "loop" => Boundary::Outer,
        "parityRegion" => Boundary::ParityRegion,
        "unionRegion" => Boundary::UnionRegion,
        "bagOfCurves" => Boundary::None,
        _ => return Err(GeometryError::json(at, format!("`{key}` is not a curve vector"))),
    };
    let items = json::array(value, at)?;
    if items.is_empty() {
        return Err(GeometryError::json(at, "needs at least one curve"));
    }
    let mut curves = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = at.item(i);
        let (child_key, child_value) = single_key(item, &at)?;
        let child_at = at.field(child_key);
        let allowed = match boundary {
            Boundary::Open | Boundary::Outer | Boundary::Inner => {
                ["lineSegment", "lineString", "arc"].contains(&child_key)
            }
            Boundary::ParityRegion => child_key == "loop",
            Boundary::UnionRegion => ["loop", "parityRegion", "unionRegion"].contains(&child_key),
            Boundary::None => is_curve_key(child_key),
        };
        if !allowed {
            let expected = match boundary {
                Boundary::Open | Boundary::Outer | Boundary::Inner => "lineSegment, lineString or arc",
                Boundary::ParityRegion => "loop",
                Boundary::UnionRegion => "loop, parityRegion or unionRegion",
                Boundary::None => "a curve or curve vector",
            };
            return Err(GeometryError::json(
                &at,
                format!("`{child_key}` is not allowed in a {key} (expected {expected})"),
            ));
        }
        match parse_nested(child_key, child_value, &child_at, depth + 1)? {
            // The native reader flattens unions inside unions.
            Curve::Vector(inner) if boundary == Boundary::UnionRegion && inner.boundary == Boundary::UnionRegion => {
                curves.extend(inner.curves)
            }
            curve => curves.push(curve),
        }
    }
    if boundary == Boundary::ParityRegion {
        mark_outer_and_inner_loops(&mut curves);
    }
    Ok(CurveVector { boundary, curves })
}

/// The native reader wants exactly one outer loop in a parity region; as all loops read as
/// outer, the first stays outer and the others become inner when there are several.
fn mark_outer_and_inner_loops(curves: &mut [Curve]) {
    if curves.len() < 2 {
        return;
    }
    for (i, curve) in curves.iter_mut().enumerate() {
        if let Curve::Vector(cv) = curve {
            cv.boundary = if i == 0 { Boundary::Outer } else { Boundary::Inner };
        }
    }
}

/// The only key of a one-key object, e.g. `{"arc": {...}}`.
pub(crate) fn single_key<'a>(value: &'a Value, at: &(impl std::fmt::Display + ?Sized)) -> Result<(&'a str, &'a Value)> {
    let map = value.as_object().ok_or_else(|| GeometryError::json(at, "expected an object with one key"))?;
    let mut keys = map.iter();
    match (keys.next(), keys.next()) {
        (Some((key, value)), None) => Ok((key.as_str(), value)),
        (None, _) => Err(GeometryError::json(at, "empty object, expected one geometry key")),
        (Some(_), Some(_)) => {
            let names: Vec<String> = map.keys().map(|k| format!("`{k}`")).collect();
            Err(GeometryError::json(at, format!("expected one key, got {}", names.join(", "))))
        }
    }
}

fn parse_arc(value: &Value, at: &At<'_>) -> Result<Arc> {
    let obj = Obj::new(value, *at, &["center", "vectorX", "vectorY", "sweepStartEnd"])?;
    // An arc's vectors are its radius vectors.
    obj.mark(Length::Point, &["center", "vectorX", "vectorY"]);
    let sweep_at = obj.field("sweepStartEnd");
    let sweep = json::array(obj.required("sweepStartEnd")?, &sweep_at)?;
    if sweep.len() != 2 {
        return Err(GeometryError::json(&sweep_at, "expected [startDegrees, endDegrees]"));
    }
    let start = json::number(&sweep[0], &sweep_at.item(0))?;
    let end = json::number(&sweep[1], &sweep_at.item(1))?;
    Ok(Arc {
        center: obj.required_xyz("center")?,
        vector0: obj.required_xyz("vectorX")?,
        vector90: obj.required_xyz("vectorY")?,
        // As the native reader: the sweep is converted from the difference in degrees.
        start: degrees_to_radians(start),
        sweep: degrees_to_radians(end - start),
    })
}

/// The JSON entry for a curve, as the native writer shapes it.
pub(crate) fn to_json(curve: &Curve) -> Value {
    match curve {
        Curve::Segment([a, b]) => json!({ "lineSegment": [json::xyz_value(*a), json::xyz_value(*b)] }),
        Curve::LineString(points) => json!({ "lineString": points_json(points) }),
        Curve::PointString(points) => json!({ "pointString": points_json(points) }),
        Curve::Arc(arc) => json!({ "arc": {
            "center": json::xyz_value(arc.center),
            "vectorX": json::xyz_value(arc.vector0),
            "vectorY": json::xyz_value(arc.vector90),
            "sweepStartEnd": [json::num(radians_to_degrees(arc.start)), json::num(radians_to_degrees(arc.start + arc.sweep))],
        }}),
        Curve::Vector(cv) => vector_to_json(cv),
    }
}

/// `{"loop": [...]}` and the like.
pub(crate) fn vector_to_json(cv: &CurveVector) -> Value {
    let mut map = Map::new();
    map.insert(cv.boundary.json_key().to_string(), Value::Array(cv.curves.iter().map(to_json).collect()));
    Value::Object(map)
}

fn points_json(points: &[Xyz]) -> Value {
    Value::Array(points.iter().map(|p| json::xyz_value(*p)).collect())
}

/// The op the native writer chooses for a curve entry (`AppendSimplified`): single lines, line
/// strings, point strings and arcs become ElementGraphics primitives (closed for a single line
/// string or arc in a loop), everything else an allcg CurveVector.
pub(crate) fn to_op(curve: &Curve) -> (u32, Vec<u8>) {
    match curve {
        Curve::Segment(points) => (opcode::POINT_PRIMITIVE, point_primitive(points, BOUNDARY_OPEN)),
        Curve::LineString(points) => (opcode::POINT_PRIMITIVE, point_primitive(points, BOUNDARY_OPEN)),
        Curve::PointString(points) => (opcode::POINT_PRIMITIVE, point_primitive(points, BOUNDARY_NONE)),
        Curve::Arc(arc) => (opcode::ARC_PRIMITIVE, arc_primitive(arc, BOUNDARY_OPEN)),
        Curve::Vector(cv) => {
            let closed = if cv.boundary.is_closed_path() { BOUNDARY_CLOSED } else { BOUNDARY_OPEN };
            match cv.curves.as_slice() {
                // A single line or point string is never written closed.
                [Curve::Segment(_) | Curve::PointString(_)] => to_op(&cv.curves[0]),
                [Curve::LineString(points)] => (opcode::POINT_PRIMITIVE, point_primitive(points, closed)),
                [Curve::Arc(arc)] => (opcode::ARC_PRIMITIVE, arc_primitive(arc, closed)),
                _ => {
                    let mut fbb = flatbuf::builder();
                    let root = write_vector_variant(&mut fbb, cv);
                    (opcode::CURVE_VECTOR, flatbuf::finish_bgfb(fbb, root))
                }
            }
        }
    }
}

/// ElementGraphics `PointPrimitive { coords: [DPoint3d]; boundary: BoundaryType }`.
fn point_primitive(points: &[Xyz], boundary: i8) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let coords: Vec<Doubles<3>> = points.iter().map(|p| Doubles(*p)).collect();
    let coords = fbb.create_vector(&coords);
    let start = fbb.start_table();
    fbb.push_slot_always(4, coords);
    fbb.push_slot::<i8>(6, boundary, 0);
    let root = fbb.end_table(start);
    flatbuf::finish(fbb, root)
}

/// ElementGraphics `ArcPrimitive { center; vector0; vector90; start; sweep; boundary }`, fields
/// added in the order of the generated `CreateArcPrimitive`.
fn arc_primitive(arc: &Arc, boundary: i8) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let start = fbb.start_table();
    fbb.push_slot::<f64>(12, arc.sweep, 0.0);
    fbb.push_slot::<f64>(10, arc.start, 0.0);
    fbb.push_slot_always(8, Doubles(arc.vector90));
    fbb.push_slot_always(6, Doubles(arc.vector0));
    fbb.push_slot_always(4, Doubles(arc.center));
    fbb.push_slot::<i8>(14, boundary, 0);
    let root = fbb.end_table(start);
    flatbuf::finish(fbb, root)
}

/// Reads a PointPrimitive (op 5) or, with `two_d`, a PointPrimitive2d (op 6), as the curve the
/// native reader makes of it.
pub(crate) fn read_point_primitive(data: &[u8], two_d: bool) -> PayloadResult<Curve> {
    let src = Source::new(data);
    let table = src.root()?;
    let per_point = if two_d { 2 } else { 3 };
    let flat = table.struct_doubles(4, per_point)?.ok_or_else(|| PayloadError::new("PointPrimitive without coords"))?;
    let points = if two_d {
        flat.chunks_exact(2).map(|p| [p[0], p[1], 0.0]).collect()
    } else {
        flat.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect::<Vec<Xyz>>()
    };
    if points.is_empty() {
        return Err(PayloadError::new("PointPrimitive without points"));
    }
    Ok(match table.u8(6, 0)? as i8 {
        BOUNDARY_NONE => Curve::PointString(points),
        BOUNDARY_OPEN => Curve::LineString(points),
        BOUNDARY_CLOSED => {
            Curve::Vector(CurveVector { boundary: Boundary::Outer, curves: vec![Curve::LineString(points)] })
        }
        other => return Err(PayloadError::new(format!("PointPrimitive boundary {other}"))),
    })
}

/// Reads an ArcPrimitive (op 7).
pub(crate) fn read_arc_primitive(data: &[u8]) -> PayloadResult<Curve> {
    let src = Source::new(data);
    let table = src.root()?;
    let missing = || PayloadError::new("ArcPrimitive without center or vectors");
    let arc = Arc {
        center: table.doubles::<3>(4)?.ok_or_else(missing)?,
        vector0: table.doubles::<3>(6)?.ok_or_else(missing)?,
        vector90: table.doubles::<3>(8)?.ok_or_else(missing)?,
        start: table.f64(10, 0.0)?,
        sweep: table.f64(12, 0.0)?,
    };
    Ok(match table.u8(14, 0)? as i8 {
        BOUNDARY_NONE | BOUNDARY_OPEN => Curve::Arc(arc),
        BOUNDARY_CLOSED => Curve::Vector(CurveVector { boundary: Boundary::Outer, curves: vec![Curve::Arc(arc)] }),
        other => return Err(PayloadError::new(format!("ArcPrimitive boundary {other}"))),
    })
}

/// A curve as a `VariantGeometry` (`WriteAsFBVariantGeometry(ICurvePrimitive)`).
fn write_variant(fbb: &mut FlatBufferBuilder<'_>, curve: &Curve) -> TableOffset {
    match curve {
        Curve::Segment([a, b]) => {
            let start = fbb.start_table();
            fbb.push_slot_always(4, Doubles([a[0], a[1], a[2], b[0], b[1], b[2]]));
            let member = fbb.end_table(start);
            variant::create(fbb, kind::LINE_SEGMENT, member.as_union_value())
        }
        Curve::Arc(arc) => {
            let (c, v0, v90) = (arc.center, arc.vector0, arc.vector90);
            let start = fbb.start_table();
            let ellipse = [c[0], c[1], c[2], v0[0], v0[1], v0[2], v90[0], v90[1], v90[2], arc.start, arc.sweep];
            fbb.push_slot_always(4, Doubles(ellipse));
            let member = fbb.end_table(start);
            variant::create(fbb, kind::ELLIPTIC_ARC, member.as_union_value())
        }
        Curve::LineString(points) | Curve::PointString(points) => {
            let flat: Vec<f64> = points.iter().flatten().copied().collect();
            let flat = fbb.create_vector(&flat);
            let start = fbb.start_table();
            fbb.push_slot_always(4, flat);
            let member = fbb.end_table(start);
            let member_kind =
                if matches!(curve, Curve::LineString(_)) { kind::LINE_STRING } else { kind::POINT_STRING };
            variant::create(fbb, member_kind, member.as_union_value())
        }
        Curve::Vector(cv) => write_vector_variant(fbb, cv),
    }
}

/// A curve vector as a `VariantGeometry`.
fn write_vector_variant(fbb: &mut FlatBufferBuilder<'_>, cv: &CurveVector) -> TableOffset {
    let member = write_vector(fbb, cv);
    variant::create(fbb, kind::CURVE_VECTOR, member.as_union_value())
}

/// The allcg `CurveVector { type: int; curves: [VariantGeometry] }` table.
pub(crate) fn write_vector(fbb: &mut FlatBufferBuilder<'_>, cv: &CurveVector) -> TableOffset {
    let children: Vec<TableOffset> = cv.curves.iter().map(|c| write_variant(fbb, c)).collect();
    let children = fbb.create_vector(&children);
    let start = fbb.start_table();
    fbb.push_slot_always(6, children);
    fbb.push_slot::<i32>(4, cv.boundary as i32, 0);
    fbb.end_table(start)
}

/// Reads a `VariantGeometry` holding a curve primitive or curve vector.
pub(crate) fn read_variant(table: &Table<'_>) -> PayloadResult<Curve> {
    let (member_kind, member) = variant::read(table)?;
    Ok(match member_kind {
        kind::LINE_SEGMENT => {
            let s = member.doubles::<6>(4)?.ok_or_else(|| PayloadError::new("LineSegment without segment"))?;
            Curve::Segment([[s[0], s[1], s[2]], [s[3], s[4], s[5]]])
        }
        kind::ELLIPTIC_ARC => {
            let e = member.doubles::<11>(4)?.ok_or_else(|| PayloadError::new("EllipticArc without arc"))?;
            Curve::Arc(Arc {
                center: [e[0], e[1], e[2]],
                vector0: [e[3], e[4], e[5]],
                vector90: [e[6], e[7], e[8]],
                start: e[9],
                sweep: e[10],
            })
        }
        kind::LINE_STRING | kind::POINT_STRING => {
            let flat = member.f64s(4)?.unwrap_or_default();
            if flat.len() % 3 != 0 || flat.is_empty() {
                return Err(PayloadError::new(format!(
                    "{} with {} coordinates",
                    variant::kind_name(member_kind),
                    flat.len()
                )));
            }
            let points = flat.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            if member_kind == kind::LINE_STRING {
                Curve::LineString(points)
            } else {
                Curve::PointString(points)
            }
        }
        kind::CURVE_VECTOR => Curve::Vector(read_vector(&member)?),
        other => return Err(PayloadError::new(format!("{} is not supported", variant::kind_name(other)))),
    })
}

/// Reads an allcg `CurveVector` table.
pub(crate) fn read_vector(table: &Table<'_>) -> PayloadResult<CurveVector> {
    let stored = table.i32(4, 0)?;
    let boundary =
        Boundary::from_stored(stored).ok_or_else(|| PayloadError::new(format!("CurveVector type {stored}")))?;
    let children = table.tables(6)?.unwrap_or_default();
    if children.is_empty() {
        return Err(PayloadError::new("CurveVector without curves"));
    }
    let curves = children.iter().map(read_variant).collect::<PayloadResult<Vec<_>>>()?;
    Ok(CurveVector { boundary, curves })
}

/// Reads the payload of a CurveVector (op 8) or CurvePrimitive (op 10).
pub(crate) fn read_bgfb_curve(data: &[u8]) -> PayloadResult<Curve> {
    let buf = flatbuf::strip_bgfb(data)?;
    let src = Source::new(buf);
    read_variant(&src.root()?)
}
