//! `appearance` entries (ElementGraphics `BasicSymbology`, op 4) and `geomPart` entries
//! (`GeometryPart`, op 3).
//!
//! The native builder does not write an op per `appearance` entry: it keeps the current
//! appearance, writes a BasicSymbology only before the next geometry and only when the
//! appearance differs from what is in effect, and stores the sub-category id only when it
//! changed. [`AppearanceState`] does the same so that our streams match its bytes.

use serde_json::{Map, Value};

use super::error::{GeometryError, PayloadError, PayloadResult};
use super::flatbuf::{self, Doubles, Source};
use super::json::{self, num, xyz_value, At, Obj};
use crate::math::{self, degrees_to_radians, radians_to_degrees, Angles, Matrix, Transform, Xyz};

type Result<T> = std::result::Result<T, GeometryError>;

/// What an `appearance` entry asks for; everything not given follows the sub-category.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Appearance {
    sub_category: Option<u64>,
    color: Option<u32>,
    weight: Option<u32>,
    transparency: f64,
    display_priority: i32,
    geometry_class: u8,
}

/// Parses the value of an `appearance` entry.
pub(crate) fn parse_appearance(value: &Value, at: &At<'_>) -> Result<Appearance> {
    let allowed = ["subCategory", "color", "weight", "transparency", "displayPriority", "geometryClass", "style"];
    let obj = Obj::new(value, *at, &allowed)?;
    if obj.get("style").is_some() {
        return Err(GeometryError::json(&obj.at("style"), "line styles are not supported"));
    }
    let transparency = obj.number("transparency")?.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&transparency) {
        return Err(GeometryError::json(&obj.at("transparency"), "expected a number from 0 to 1"));
    }
    let int = |key: &str, min: i64, max: i64| -> Result<Option<i64>> {
        obj.get(key).map(|v| json::integer(v, &obj.field(key), min, max)).transpose()
    };
    Ok(Appearance {
        sub_category: obj.get("subCategory").map(|v| json::id64(v, &obj.field("subCategory"))).transpose()?,
        color: int("color", 0, u32::MAX as i64)?.map(|c| c as u32),
        weight: int("weight", 0, u32::MAX as i64)?.map(|w| w as u32),
        transparency,
        display_priority: int("displayPriority", i32::MIN as i64, i32::MAX as i64)?.unwrap_or(0) as i32,
        // GeometryClass: Primary, Construction, Dimension, Pattern.
        geometry_class: int("geometryClass", 0, 3)?.unwrap_or(0) as u8,
    })
}

/// The sub-category in effect: the category's default one, or another.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SubCategory {
    Default,
    Other(u64),
}

/// The builder's `GeometryParams` as far as `appearance` entries reach.
#[derive(Debug, Clone, PartialEq)]
struct Params {
    sub_category: SubCategory,
    color: Option<u32>,
    weight: Option<u32>,
    transparency: f64,
    display_priority: i32,
    geometry_class: u8,
}

/// Tracks appearances between geometry entries the way `GeometryBuilder` does.
pub(crate) struct AppearanceState {
    current: Params,
    pending: bool,
    sub_category_changed: bool,
    default_sub_category: Option<u64>,
    is_part: bool,
}

impl AppearanceState {
    /// `default_sub_category`: the element category's default sub-category, when known (it
    /// decides whether a sub-category counts as a change); `is_part`: part streams never
    /// store sub-categories.
    pub(crate) fn new(default_sub_category: Option<u64>, is_part: bool) -> Self {
        AppearanceState {
            current: Params {
                sub_category: SubCategory::Default,
                color: None,
                weight: None,
                transparency: 0.0,
                display_priority: 0,
                geometry_class: 0,
            },
            pending: false,
            sub_category_changed: false,
            default_sub_category,
            is_part,
        }
    }

    /// An `appearance` entry: resets to the sub-category appearance, then applies what it gives.
    pub(crate) fn apply(&mut self, appearance: &Appearance) {
        let sub_category = match appearance.sub_category {
            Some(id) if Some(id) == self.default_sub_category => SubCategory::Default,
            Some(id) => SubCategory::Other(id),
            None => self.current.sub_category,
        };
        let next = Params {
            sub_category,
            color: appearance.color,
            weight: appearance.weight,
            transparency: appearance.transparency,
            display_priority: appearance.display_priority,
            geometry_class: appearance.geometry_class,
        };
        if next == self.current {
            return;
        }
        if !self.sub_category_changed {
            self.sub_category_changed = !self.is_part && next.sub_category != self.current.sub_category;
        }
        self.current = next;
        self.pending = true;
    }

    /// The BasicSymbology payload due before the next geometry, if any.
    pub(crate) fn take_pending(&mut self) -> Option<Vec<u8>> {
        if !self.pending {
            return None;
        }
        self.pending = false;
        let store_sub_category = !self.is_part && self.sub_category_changed;
        self.sub_category_changed = false;
        let sub_category = match (store_sub_category, self.current.sub_category) {
            (false, _) => 0,
            (true, SubCategory::Other(id)) => id,
            (true, SubCategory::Default) => self.default_sub_category.unwrap_or(0),
        };
        Some(basic_symbology(sub_category, &self.current))
    }
}

/// `CreateBasicSymbology`, fields in the generated order. Display priority is 2d only: 3d
/// streams (all of ours) store 0.
fn basic_symbology(sub_category: u64, p: &Params) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let start = fbb.start_table();
    fbb.push_slot::<f64>(12, p.transparency, 0.0);
    fbb.push_slot::<i64>(10, 0, 0);
    fbb.push_slot::<i64>(4, sub_category as i64, 0);
    fbb.push_slot::<i32>(14, 0, 0);
    fbb.push_slot::<u32>(8, p.weight.unwrap_or(0), 0);
    fbb.push_slot::<u32>(6, p.color.unwrap_or(0), 0);
    fbb.push_slot::<u8>(22, 0, 0);
    fbb.push_slot::<u8>(20, u8::from(p.weight.is_some()), 0);
    fbb.push_slot::<u8>(18, u8::from(p.color.is_some()), 0);
    fbb.push_slot::<i8>(16, p.geometry_class as i8, 0);
    let root = fbb.end_table(start);
    flatbuf::finish(fbb, root)
}

/// The `appearance` entry for a BasicSymbology op. `last_sub_category` is the sub-category in
/// effect (0 when unknown); like the native reader, an unchanged one is not repeated.
pub(crate) fn appearance_json(data: &[u8], last_sub_category: &mut u64) -> PayloadResult<Value> {
    let src = Source::new(data);
    let t = src.root()?;
    let mut v = Map::new();
    let sub_category = t.i64(4, 0)? as u64;
    if sub_category != 0 && sub_category != *last_sub_category {
        v.insert("subCategory".into(), Value::String(json::id64_string(sub_category)));
        *last_sub_category = sub_category;
    }
    if t.u8(18, 0)? != 0 {
        v.insert("color".into(), Value::from(t.u32(6, 0)?));
    }
    if t.u8(20, 0)? != 0 {
        v.insert("weight".into(), Value::from(t.u32(8, 0)?));
    }
    if t.u8(22, 0)? != 0 {
        v.insert("style".into(), Value::String(json::id64_string(t.i64(10, 0)? as u64)));
    }
    let transparency = t.f64(12, 0.0)?;
    if transparency != 0.0 {
        v.insert("transparency".into(), num(transparency));
    }
    let display_priority = t.i32(14, 0)?;
    if display_priority != 0 {
        v.insert("displayPriority".into(), Value::from(display_priority));
    }
    let geometry_class = t.u8(16, 0)? as i8;
    if geometry_class != 0 {
        v.insert("geometryClass".into(), Value::from(geometry_class));
    }
    let mut out = Map::new();
    out.insert("appearance".into(), Value::Object(v));
    Ok(Value::Object(out))
}

/// What a GeometryPartInstance op stores: the part, and a placement unless it is the identity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartInstance {
    part: u64,
    placement: Option<(Xyz, Angles, f64)>,
}

/// Parses the value of a `geomPart` entry and derives what the native writer stores: it builds
/// the transform from origin, angles and scale, then takes origin, angles and scale back out of
/// the transform (so angles come back recomputed, e.g. yaw 30 as 29.999999999999996).
pub(crate) fn parse_part_instance(value: &Value, at: &At<'_>) -> Result<PartInstance> {
    let obj = Obj::new(value, *at, &["part", "origin", "rotation", "scale"])?;
    let part = json::id64(obj.required("part")?, &obj.field("part"))?;
    let origin = obj.xyz("origin")?.unwrap_or([0.0; 3]);
    let angles = match obj.get("rotation") {
        Some(rotation) => {
            let r = Obj::new(rotation, obj.field("rotation"), &["yaw", "pitch", "roll"])?;
            // The native reader takes each angle through radians (`Angle`) into degrees.
            let degrees = |key: &str| -> Result<f64> {
                Ok(radians_to_degrees(degrees_to_radians(r.number(key)?.unwrap_or(0.0))))
            };
            Angles { yaw: degrees("yaw")?, pitch: degrees("pitch")?, roll: degrees("roll")? }
        }
        None => Angles { yaw: 0.0, pitch: 0.0, roll: 0.0 },
    };
    let mut matrix = angles.to_matrix();
    if let Some(scale) = obj.number("scale")? {
        if scale <= 0.0 {
            return Err(GeometryError::json(&obj.at("scale"), "must be positive"));
        }
        if scale != 1.0 {
            for row in matrix.iter_mut() {
                for value in row.iter_mut() {
                    *value *= scale;
                }
            }
        }
    }
    let transform = Transform { matrix, origin };
    if transform.is_identity() {
        return Ok(PartInstance { part, placement: None });
    }
    let scale = rigid_signed_scale(&matrix).unwrap_or(1.0).abs();
    Ok(PartInstance { part, placement: Some((origin, Angles::from_matrix(&matrix), scale)) })
}

/// `RotMatrix::IsRigidSignedScale`: the scale of a rotation times a uniform (possibly negative)
/// scale, `None` for other matrices.
fn rigid_signed_scale(m: &Matrix) -> Option<f64> {
    let columns = [math::column(m, 0), math::column(m, 1), math::column(m, 2)];
    let normalized = columns.map(math::normalize);
    let unit = math::from_columns(normalized[0].0, normalized[1].0, normalized[2].0);
    let orthonormal = math::is_orthogonal(&unit);
    let scales = normalized.map(|(_, length)| length.abs());
    let max = scales.iter().copied().fold(f64::MIN, f64::max);
    let min = scales.iter().copied().fold(f64::MAX, f64::min);
    let uniform = max - min <= (1.0 + max) * 1.0e-12;
    let scale = if math::determinant(m) < 0.0 { -max } else { max };
    (orthonormal && uniform).then_some(scale)
}

/// `CreateGeometryPart`, fields in the generated order.
pub(crate) fn part_instance_payload(instance: &PartInstance) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let start = fbb.start_table();
    match instance.placement {
        None => fbb.push_slot::<i64>(4, instance.part as i64, 0),
        Some((origin, angles, scale)) => {
            fbb.push_slot::<f64>(14, scale, 1.0);
            fbb.push_slot::<f64>(12, angles.roll, 0.0);
            fbb.push_slot::<f64>(10, angles.pitch, 0.0);
            fbb.push_slot::<f64>(8, angles.yaw, 0.0);
            fbb.push_slot::<i64>(4, instance.part as i64, 0);
            fbb.push_slot_always(6, Doubles(origin));
        }
    }
    let root = fbb.end_table(start);
    flatbuf::finish(fbb, root)
}

/// The part a GeometryPartInstance payload instances.
pub(crate) fn part_instance_id(data: &[u8]) -> PayloadResult<u64> {
    let part = Source::new(data).root()?.i64(4, 0)? as u64;
    if part == 0 {
        return Err(PayloadError::new("GeometryPart without a part id"));
    }
    Ok(part)
}

/// The `geomPart` entry for a GeometryPartInstance op: only what is stored.
pub(crate) fn part_instance_json(data: &[u8]) -> PayloadResult<Value> {
    let part = part_instance_id(data)?;
    let src = Source::new(data);
    let t = src.root()?;
    let mut v = Map::new();
    v.insert("part".into(), Value::String(json::id64_string(part)));
    if let Some(origin) = t.doubles::<3>(6)? {
        v.insert("origin".into(), xyz_value(origin));
    }
    if t.has(8)? || t.has(10)? || t.has(12)? {
        let mut rotation = Map::new();
        for (key, slot) in [("yaw", 8), ("pitch", 10), ("roll", 12)] {
            let degrees = t.f64(slot, 0.0)?;
            if degrees != 0.0 {
                rotation.insert(key.into(), num(degrees));
            }
        }
        v.insert("rotation".into(), Value::Object(rotation));
    }
    if t.has(14)? {
        v.insert("scale".into(), num(t.f64(14, 1.0)?));
    }
    let mut out = Map::new();
    out.insert("geomPart".into(), Value::Object(v));
    Ok(Value::Object(out))
}
