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
use super::json::{self, num, xyz_value, At, Length, Obj};
use crate::math::{self, radians_to_degrees, Angles, Matrix, Transform};
use crate::model::{Appearance, PartInstance};

type Result<T> = std::result::Result<T, GeometryError>;

/// Parses the value of an `appearance` entry.
pub(crate) fn parse_appearance(value: &Value, at: &At<'_>) -> Result<Appearance> {
    let allowed = ["subCategory", "color", "weight", "transparency", "displayPriority", "geometryClass", "style"];
    let obj = Obj::new(value, *at, &allowed)?;
    // The invalid id ("0", as iTwin.js writes `Id64.invalid`) means no line style.
    if obj.get("style").is_some_and(|style| !matches!(style.as_str(), Some("0" | "0x0"))) {
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
        sub_category: obj.get("subCategory").map(|v| json::element_id(v, &obj.field("subCategory"))).transpose()?,
        style: None,
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
    Other(i64),
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
    default_sub_category: Option<i64>,
    is_part: bool,
}

impl AppearanceState {
    /// `default_sub_category`: the element category's default sub-category, when known (it
    /// decides whether a sub-category counts as a change); `is_part`: part streams never
    /// store sub-categories.
    pub(crate) fn new(default_sub_category: Option<i64>, is_part: bool) -> Self {
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
fn basic_symbology(sub_category: i64, p: &Params) -> Vec<u8> {
    let mut fbb = flatbuf::builder();
    let start = fbb.start_table();
    fbb.push_slot::<f64>(12, p.transparency, 0.0);
    fbb.push_slot::<i64>(10, 0, 0);
    fbb.push_slot::<i64>(4, sub_category, 0);
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

/// Reads a BasicSymbology op.
pub(crate) fn read_appearance(data: &[u8]) -> PayloadResult<Appearance> {
    let src = Source::new(data);
    let t = src.root()?;
    let sub_category = t.i64(4, 0)?;
    Ok(Appearance {
        sub_category: (sub_category != 0).then_some(sub_category),
        color: if t.u8(18, 0)? != 0 { Some(t.u32(6, 0)?) } else { None },
        weight: if t.u8(20, 0)? != 0 { Some(t.u32(8, 0)?) } else { None },
        style: if t.u8(22, 0)? != 0 { Some(t.i64(10, 0)?) } else { None },
        transparency: t.f64(12, 0.0)?,
        display_priority: t.i32(14, 0)?,
        geometry_class: t.u8(16, 0)?,
    })
}

/// The `appearance` entry, as the native writer shapes it. `last_sub_category` is the
/// sub-category in effect (0 when unknown); like the native reader, an unchanged one is not
/// repeated.
pub(crate) fn appearance_json(a: &Appearance, last_sub_category: &mut i64) -> Value {
    let mut v = Map::new();
    if let Some(sub_category) = a.sub_category.filter(|id| *id != *last_sub_category) {
        v.insert("subCategory".into(), Value::String(json::id64_string(sub_category)));
        *last_sub_category = sub_category;
    }
    if let Some(color) = a.color {
        v.insert("color".into(), Value::from(color));
    }
    if let Some(weight) = a.weight {
        v.insert("weight".into(), Value::from(weight));
    }
    if let Some(style) = a.style {
        v.insert("style".into(), Value::String(json::id64_string(style)));
    }
    if a.transparency != 0.0 {
        v.insert("transparency".into(), num(a.transparency));
    }
    if a.display_priority != 0 {
        v.insert("displayPriority".into(), Value::from(a.display_priority));
    }
    if a.geometry_class != 0 {
        v.insert("geometryClass".into(), Value::from(a.geometry_class as i8));
    }
    let mut out = Map::new();
    out.insert("appearance".into(), Value::Object(v));
    Value::Object(out)
}

/// Parses the value of a `geomPart` entry. A non-positive scale, which the native library
/// ignores, reads (for ranging) but is noted in `unstorable`.
pub(crate) fn parse_part_instance(
    value: &Value,
    at: &At<'_>,
    unstorable: &mut Option<GeometryError>,
) -> Result<PartInstance> {
    let obj = Obj::new(value, *at, &["part", "origin", "rotation", "scale"])?;
    // Angles and the instance's own scale stay as they are: only the origin moves.
    obj.mark(Length::Point, &["origin"]);
    let part = json::element_id(obj.required("part")?, &obj.field("part"))?;
    let origin = obj.xyz("origin")?.unwrap_or([0.0; 3]);
    let angles = match obj.get("rotation") {
        Some(rotation) => {
            let r = Obj::new(rotation, obj.field("rotation"), &["yaw", "pitch", "roll"])?;
            // The native reader takes each angle through radians (`Angle`) into degrees.
            let degrees = |key: &str| -> Result<f64> {
                let radians = r.get(key).map(|v| json::angle_radians(v, &r.field(key))).transpose()?;
                Ok(radians_to_degrees(radians.unwrap_or(0.0)))
            };
            Angles { yaw: degrees("yaw")?, pitch: degrees("pitch")?, roll: degrees("roll")? }
        }
        None => Angles { yaw: 0.0, pitch: 0.0, roll: 0.0 },
    };
    let scale = obj.number("scale")?.unwrap_or(1.0);
    if scale <= 0.0 {
        unstorable.get_or_insert_with(|| GeometryError::json(&obj.at("scale"), "must be positive"));
    }
    Ok(PartInstance { part, origin, angles, scale })
}

impl PartInstance {
    /// The instance transform's matrix: rotation times the scale, which the native library
    /// applies only when positive.
    pub(crate) fn matrix(&self) -> Matrix {
        let mut matrix = self.angles.to_matrix();
        if self.scale > 0.0 && self.scale != 1.0 {
            for value in matrix.iter_mut().flatten() {
                *value *= self.scale;
            }
        }
        matrix
    }
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

/// `CreateGeometryPart`, fields in the generated order. What is stored is what the native
/// writer derives: it builds the transform from origin, angles and scale, then takes origin,
/// angles and scale back out of the transform (so angles come back recomputed, e.g. yaw 30 as
/// 29.999999999999996); an identity transform stores the part id only.
pub(crate) fn part_instance_payload(instance: &PartInstance) -> Vec<u8> {
    let part = instance.part;
    let matrix = instance.matrix();
    let mut fbb = flatbuf::builder();
    let start = fbb.start_table();
    if (Transform { matrix, origin: instance.origin }).is_identity() {
        fbb.push_slot::<i64>(4, part, 0);
    } else {
        let scale = rigid_signed_scale(&matrix).unwrap_or(1.0).abs();
        let angles = Angles::from_matrix(&matrix);
        fbb.push_slot::<f64>(14, scale, 1.0);
        fbb.push_slot::<f64>(12, angles.roll, 0.0);
        fbb.push_slot::<f64>(10, angles.pitch, 0.0);
        fbb.push_slot::<f64>(8, angles.yaw, 0.0);
        fbb.push_slot::<i64>(4, part, 0);
        fbb.push_slot_always(6, Doubles(instance.origin));
    }
    let root = fbb.end_table(start);
    flatbuf::finish(fbb, root)
}

/// The part a GeometryPartInstance payload instances.
pub(crate) fn part_instance_id(data: &[u8]) -> PayloadResult<i64> {
    let part = Source::new(data).root()?.i64(4, 0)?;
    if part == 0 {
        return Err(PayloadError::new("GeometryPart without a part id"));
    }
    Ok(part)
}

/// Reads a GeometryPartInstance op: what is stored, defaults for the rest.
pub(crate) fn read_part_instance(data: &[u8]) -> PayloadResult<PartInstance> {
    let part = part_instance_id(data)?;
    let src = Source::new(data);
    let t = src.root()?;
    Ok(PartInstance {
        part,
        origin: t.doubles::<3>(6)?.unwrap_or([0.0; 3]),
        angles: Angles { yaw: t.f64(8, 0.0)?, pitch: t.f64(10, 0.0)?, roll: t.f64(12, 0.0)? },
        scale: t.f64(14, 1.0)?,
    })
}

/// The `geomPart` entry: the part, and the placement unless it is the identity (the native
/// writer stores origin, angles and scale together then, each left out when at its default).
pub(crate) fn part_instance_json(p: &PartInstance) -> Value {
    let mut v = Map::new();
    v.insert("part".into(), Value::String(json::id64_string(p.part)));
    let angles = [("yaw", p.angles.yaw), ("pitch", p.angles.pitch), ("roll", p.angles.roll)];
    let rotated = angles.iter().any(|(_, a)| *a != 0.0);
    if p.origin != [0.0; 3] || rotated || p.scale != 1.0 {
        v.insert("origin".into(), xyz_value(p.origin));
    }
    if rotated {
        let rotation = angles.iter().filter(|(_, a)| *a != 0.0).map(|(k, a)| ((*k).to_owned(), num(*a)));
        v.insert("rotation".into(), Value::Object(rotation.collect()));
    }
    if p.scale != 1.0 {
        v.insert("scale".into(), num(p.scale));
    }
    let mut out = Map::new();
    out.insert("geomPart".into(), Value::Object(v));
    Value::Object(out)
}
