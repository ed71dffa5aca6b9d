//! Meshes: the `indexedMesh` entry and the allcg `Polyface` table.
//!
//! Supported: points, point indices, params, normals and integer colors with their indices,
//! `numPerFace`, `twoSided`, `expectedClosure`. Face data, aux data and tags are refused.

use serde_json::{Map, Value};

use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::{self, Source};
use super::json::{self, num, xyz_value, At, Length, Obj};
use super::variant::{self, kind};
use crate::math::Xyz;
use crate::model::Mesh;

type Result<T> = std::result::Result<T, GeometryError>;

/// `MESH_ELM_STYLE_INDEXED_FACE_LOOPS`, the only style the JSON describes.
const INDEXED_FACE_LOOPS: i32 = 1;

/// `Polyface` field slots.
mod slot {
    pub const POINT: u16 = 4;
    pub const PARAM: u16 = 6;
    pub const NORMAL: u16 = 8;
    pub const DOUBLE_COLOR: u16 = 10;
    pub const INT_COLOR: u16 = 12;
    pub const POINT_INDEX: u16 = 14;
    pub const PARAM_INDEX: u16 = 16;
    pub const NORMAL_INDEX: u16 = 18;
    pub const COLOR_INDEX: u16 = 20;
    pub const COLOR_TABLE: u16 = 22;
    pub const NUM_PER_FACE: u16 = 24;
    pub const NUM_PER_ROW: u16 = 26;
    pub const MESH_STYLE: u16 = 28;
    pub const TWO_SIDED: u16 = 30;
    pub const FACE_INDEX: u16 = 32;
    pub const FACE_DATA: u16 = 34;
    pub const AUX_DATA: u16 = 36;
    pub const EXPECTED_CLOSURE: u16 = 38;
    pub const TAGGED_NUMERIC_DATA: u16 = 40;
    pub const EDGE_MATE_INDEX: u16 = 42;
}

/// Parses the value of an `indexedMesh` entry.
pub(crate) fn parse(value: &Value, at: &At<'_>) -> Result<Mesh> {
    let allowed = [
        "point",
        "pointIndex",
        "numPerFace",
        "twoSided",
        "expectedClosure",
        "color",
        "colorIndex",
        "param",
        "paramIndex",
        "normal",
        "normalIndex",
    ];
    let obj = Obj::new(value, *at, &allowed)?;
    // Normals and texture parameters are not lengths.
    obj.mark(Length::Points, &["point"]);
    let points = json::points(obj.required("point")?, &obj.field("point"), 1)?;
    let point_index = indices(&obj, "pointIndex", points.len())?
        .ok_or_else(|| GeometryError::json(&obj.at("pointIndex"), "is required"))?;
    if point_index.is_empty() {
        return Err(GeometryError::json(&obj.at("pointIndex"), "needs at least one index"));
    }
    let params = match obj.get("param") {
        Some(value) => Some(params(value, &obj.field("param"))?),
        None => None,
    };
    let normals = match obj.get("normal") {
        Some(value) => Some(json::points(value, &obj.field("normal"), 1)?),
        None => None,
    };
    let colors = match obj.get("color") {
        Some(value) => {
            let colors = json::integers(value, &obj.field("color"), 0, u32::MAX as i64)?;
            if colors.is_empty() {
                return Err(GeometryError::json(&obj.at("color"), "needs at least one color"));
            }
            Some(colors.into_iter().map(|c| c as u32).collect::<Vec<_>>())
        }
        None => None,
    };
    let mut mesh = Mesh {
        param_index: companion_indices(&obj, "paramIndex", "param", params.as_ref().map(Vec::len), point_index.len())?,
        normal_index: companion_indices(
            &obj,
            "normalIndex",
            "normal",
            normals.as_ref().map(Vec::len),
            point_index.len(),
        )?,
        color_index: companion_indices(&obj, "colorIndex", "color", colors.as_ref().map(Vec::len), point_index.len())?,
        points,
        point_index,
        num_per_face: 0,
        two_sided: obj.bool("twoSided")?.unwrap_or(true),
        expected_closure: 0,
        params,
        normals,
        colors,
    };
    if let Some(n) = obj.get("numPerFace") {
        mesh.num_per_face = json::integer(n, &obj.field("numPerFace"), 0, i32::MAX as i64)? as i32;
    }
    if let Some(c) = obj.get("expectedClosure") {
        mesh.expected_closure = json::integer(c, &obj.field("expectedClosure"), 0, 2)? as u32;
    }
    Ok(mesh)
}

/// An index array whose entries address `count` values (1-based, sign = edge visibility, 0 =
/// face end).
fn indices(obj: &Obj<'_>, key: &str, count: usize) -> Result<Option<Vec<i32>>> {
    let Some(value) = obj.get(key) else { return Ok(None) };
    let count = count.min(i32::MAX as usize) as i64;
    let values = json::integers(value, &obj.field(key), -count, count)?;
    Ok(Some(values.into_iter().map(|i| i as i32).collect()))
}

/// The index array of params, normals or colors: needs its values and one index per point
/// index (the native writer stores as many as there are point indices).
fn companion_indices(
    obj: &Obj<'_>,
    key: &str,
    values_key: &str,
    values: Option<usize>,
    point_indices: usize,
) -> Result<Option<Vec<i32>>> {
    if obj.get(key).is_some() && values.is_none() {
        return Err(GeometryError::json(&obj.at(key), format!("needs `{values_key}`")));
    }
    let Some(indices) = indices(obj, key, values.unwrap_or(0))? else { return Ok(None) };
    if indices.len() != point_indices {
        let message = format!("has {} entries, pointIndex has {point_indices}", indices.len());
        return Err(GeometryError::json(&obj.at(key), message));
    }
    Ok(Some(indices))
}

fn params(value: &Value, at: &At<'_>) -> Result<Vec<[f64; 2]>> {
    let items = json::array(value, at)?;
    if items.is_empty() {
        return Err(GeometryError::json(at, "needs at least one param"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = at.item(i);
            match item {
                Value::Array(uv) if uv.len() == 2 => {
                    Ok([json::number(&uv[0], &at.item(0))?, json::number(&uv[1], &at.item(1))?])
                }
                Value::Object(_) => {
                    let obj = Obj::new(item, at, &["x", "y"])?;
                    Ok([obj.required_number("x")?, obj.required_number("y")?])
                }
                _ => Err(GeometryError::json(&at, "expected a param: [u, v]")),
            }
        })
        .collect()
}

/// The Polyface op payload, in the order of `WriteAsFBPolyfaceDirect`: value vectors, index
/// vectors, then the table fields.
pub(crate) fn to_payload(mesh: &Mesh) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let flat3 = |v: &[Xyz]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let point = fbb.create_vector(&flat3(&mesh.points));
    let param = mesh.params.as_ref().map(|p| fbb.create_vector(&p.iter().flatten().copied().collect::<Vec<f64>>()));
    let normal = mesh.normals.as_ref().map(|n| fbb.create_vector(&flat3(n)));
    let int_color = mesh.colors.as_ref().map(|c| fbb.create_vector(c));
    let point_index = fbb.create_vector(&mesh.point_index);
    let param_index = mesh.param_index.as_ref().map(|i| fbb.create_vector(i));
    let normal_index = mesh.normal_index.as_ref().map(|i| fbb.create_vector(i));
    let color_index = mesh.color_index.as_ref().map(|i| fbb.create_vector(i));

    let start = fbb.start_table();
    fbb.push_slot::<i32>(slot::NUM_PER_FACE, mesh.num_per_face, 0);
    fbb.push_slot::<i32>(slot::NUM_PER_ROW, 0, 0);
    fbb.push_slot::<i32>(slot::MESH_STYLE, INDEXED_FACE_LOOPS, 0);
    fbb.push_slot::<bool>(slot::TWO_SIDED, mesh.two_sided, false);
    fbb.push_slot::<i32>(slot::EXPECTED_CLOSURE, mesh.expected_closure as i32, 0);
    fbb.push_slot_always(slot::POINT, point);
    if let Some(param) = param {
        fbb.push_slot_always(slot::PARAM, param);
    }
    if let Some(normal) = normal {
        fbb.push_slot_always(slot::NORMAL, normal);
    }
    fbb.push_slot_always(slot::POINT_INDEX, point_index);
    if let Some(param_index) = param_index {
        fbb.push_slot_always(slot::PARAM_INDEX, param_index);
    }
    if let Some(normal_index) = normal_index {
        fbb.push_slot_always(slot::NORMAL_INDEX, normal_index);
    }
    if let Some(color_index) = color_index {
        fbb.push_slot_always(slot::COLOR_INDEX, color_index);
    }
    if let Some(int_color) = int_color {
        fbb.push_slot_always(slot::INT_COLOR, int_color);
    }
    let member = fbb.end_table(start);
    let root = variant::create(&mut fbb, kind::POLYFACE, member.as_union_value());
    flatbuf::finish_bgfb(fbb, root)
}

/// Reads a Polyface op payload. Meshes the native reader would drop or strip (indices out of
/// range, index arrays of the wrong length) are errors.
pub(crate) fn read_payload(data: &[u8]) -> PayloadResult<Mesh> {
    let src = Source::new(flatbuf::strip_bgfb(data)?);
    let (member_kind, t) = variant::read(&src.root()?)?;
    if member_kind != kind::POLYFACE {
        return Err(PayloadError::new(format!("{} in a Polyface op", variant::kind_name(member_kind))));
    }
    for (field, name) in [
        (slot::DOUBLE_COLOR, "doubleColor"),
        (slot::COLOR_TABLE, "colorTable"),
        (slot::FACE_INDEX, "faceIndex"),
        (slot::FACE_DATA, "faceData"),
        (slot::AUX_DATA, "auxData"),
        (slot::TAGGED_NUMERIC_DATA, "taggedNumericData"),
        (slot::EDGE_MATE_INDEX, "edgeMateIndex"),
    ] {
        if t.has(field)? {
            return Err(PayloadError::new(format!("Polyface {name} is not supported")));
        }
    }
    let style = t.i32(slot::MESH_STYLE, 0)?;
    if style != INDEXED_FACE_LOOPS {
        return Err(PayloadError::new(format!("Polyface mesh style {style} is not supported")));
    }
    let triples = |flat: Vec<f64>, name: &str| -> PayloadResult<Vec<Xyz>> {
        if flat.len() % 3 != 0 {
            return Err(PayloadError::new(format!("Polyface {name} has {} values, not a multiple of 3", flat.len())));
        }
        Ok(flat.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect())
    };
    let points = triples(t.f64s(slot::POINT)?.unwrap_or_default(), "point")?;
    let point_index = t.i32s(slot::POINT_INDEX)?.unwrap_or_default();
    if points.is_empty() || point_index.is_empty() {
        return Err(PayloadError::new("Polyface without points or point indices"));
    }
    check_range(&point_index, points.len(), "pointIndex")?;
    let params = match t.f64s(slot::PARAM)? {
        Some(flat) if flat.len() % 2 != 0 => {
            return Err(PayloadError::new("Polyface param has an odd number of values"))
        }
        Some(flat) => Some(flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect::<Vec<_>>()),
        None => None,
    };
    let normals = t.f64s(slot::NORMAL)?.map(|flat| triples(flat, "normal")).transpose()?;
    let colors = t.u32s(slot::INT_COLOR)?;
    let companion = |field: u16, name: &str, count: Option<usize>| -> PayloadResult<Option<Vec<i32>>> {
        let Some(indices) = t.i32s(field)? else { return Ok(None) };
        if indices.len() != point_index.len() {
            return Err(PayloadError::new(format!("Polyface {name} length differs from pointIndex")));
        }
        check_range(&indices, count.unwrap_or(0), name)?;
        Ok(Some(indices))
    };
    Ok(Mesh {
        param_index: companion(slot::PARAM_INDEX, "paramIndex", params.as_ref().map(Vec::len))?,
        normal_index: companion(slot::NORMAL_INDEX, "normalIndex", normals.as_ref().map(Vec::len))?,
        color_index: companion(slot::COLOR_INDEX, "colorIndex", colors.as_ref().map(Vec::len))?,
        points,
        point_index,
        num_per_face: t.i32(slot::NUM_PER_FACE, 0)?,
        two_sided: t.u8(slot::TWO_SIDED, 0)? != 0,
        // As the native reader: values it does not know become "unknown".
        expected_closure: match t.i32(slot::EXPECTED_CLOSURE, 0)? {
            c @ 0..=2 => c as u32,
            _ => 0,
        },
        params,
        normals,
        colors,
    })
}

fn check_range(indices: &[i32], count: usize, name: &str) -> PayloadResult<()> {
    match indices.iter().find(|i| i.unsigned_abs() as usize > count) {
        Some(bad) => Err(PayloadError::new(format!("Polyface {name} entry {bad} exceeds the {count} values"))),
        None => Ok(()),
    }
}

/// The `indexedMesh` entry, keys as `IndexedPolyfaceToJson` writes them.
pub(crate) fn to_json(mesh: &Mesh) -> Value {
    let ints = |v: &[i32]| Value::Array(v.iter().map(|i| Value::from(*i)).collect());
    let mut v = Map::new();
    v.insert("point".into(), Value::Array(mesh.points.iter().map(|p| xyz_value(*p)).collect()));
    v.insert("pointIndex".into(), ints(&mesh.point_index));
    if mesh.num_per_face > 2 {
        v.insert("numPerFace".into(), Value::from(mesh.num_per_face));
    }
    v.insert("twoSided".into(), Value::Bool(mesh.two_sided));
    if mesh.expected_closure != 0 {
        v.insert("expectedClosure".into(), Value::from(mesh.expected_closure));
    }
    if let Some(colors) = mesh.colors.as_ref().filter(|c| !c.is_empty()) {
        v.insert("color".into(), Value::Array(colors.iter().map(|c| Value::from(*c)).collect()));
    }
    if let Some(index) = &mesh.color_index {
        v.insert("colorIndex".into(), ints(index));
    }
    if let Some(params) = mesh.params.as_ref().filter(|p| !p.is_empty()) {
        v.insert(
            "param".into(),
            Value::Array(params.iter().map(|p| Value::Array(vec![num(p[0]), num(p[1])])).collect()),
        );
    }
    if let Some(index) = &mesh.param_index {
        v.insert("paramIndex".into(), ints(index));
    }
    if let Some(normals) = mesh.normals.as_ref().filter(|n| !n.is_empty()) {
        v.insert("normal".into(), Value::Array(normals.iter().map(|n| xyz_value(*n)).collect()));
    }
    if let Some(index) = &mesh.normal_index {
        v.insert("normalIndex".into(), ints(index));
    }
    let mut out = Map::new();
    out.insert("indexedMesh".into(), Value::Object(v));
    Value::Object(out)
}
