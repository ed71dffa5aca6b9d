//! Reading the numbers out of wire-format JSON, accepting the forms the native reader
//! (`IModelJsonReader.cpp`) accepts: points as `[x, y]`, `[x, y, z]` or `{x, y, z?}`, angles as
//! degrees or `{degrees}` / `{radians}`. What the native reader would silently skip is an error here.

use serde_json::Value;

use super::{Bad, Parsed};
use crate::math::{Frame, Xyz};

/// `obj[key]`, treating JSON null like a missing member (as the native reader does).
pub fn member<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub fn required<'a>(obj: &'a Value, key: &str) -> Parsed<&'a Value> {
    member(obj, key).ok_or_else(|| Bad::invalid(format!("`{key}` is required")))
}

pub fn number_value(value: &Value, what: &str) -> Parsed<f64> {
    value.as_f64().ok_or_else(|| Bad::invalid(format!("`{what}` must be a number, found {value}")))
}

pub fn optional_number(obj: &Value, key: &str) -> Parsed<Option<f64>> {
    member(obj, key).map(|v| number_value(v, key)).transpose()
}

pub fn required_number(obj: &Value, key: &str) -> Parsed<f64> {
    number_value(required(obj, key)?, key)
}

pub fn xyz(value: &Value, what: &str) -> Parsed<Xyz> {
    let bad = || Bad::invalid(format!("`{what}` must be [x, y, z?] or {{x, y, z?}}, found {value}"));
    match value {
        Value::Array(items) if (2..=3).contains(&items.len()) => {
            let mut p = [0.0; 3];
            for (coordinate, item) in p.iter_mut().zip(items) {
                *coordinate = item.as_f64().ok_or_else(bad)?;
            }
            Ok(p)
        }
        Value::Object(_) => {
            let x = member(value, "x").and_then(Value::as_f64).ok_or_else(bad)?;
            let y = member(value, "y").and_then(Value::as_f64).ok_or_else(bad)?;
            let z = match member(value, "z") {
                Some(z) => z.as_f64().ok_or_else(bad)?,
                None => 0.0,
            };
            Ok([x, y, z])
        }
        _ => Err(bad()),
    }
}

pub fn required_xyz(obj: &Value, key: &str) -> Parsed<Xyz> {
    xyz(required(obj, key)?, key)
}

/// A non-empty array of points.
pub fn points(value: &Value, what: &str) -> Parsed<Vec<Xyz>> {
    let items = value.as_array().ok_or_else(|| Bad::invalid(format!("`{what}` must be an array of points")))?;
    if items.is_empty() {
        return Err(Bad::invalid(format!("`{what}` has no points")));
    }
    items.iter().map(|p| xyz(p, what)).collect()
}

/// An angle in radians from degrees (a bare number) or `{degrees}` / `{radians}`.
pub fn angle_radians(value: &Value, what: &str) -> Parsed<f64> {
    if let Some(degrees) = value.as_f64() {
        return Ok(degrees.to_radians());
    }
    if let Some(degrees) = member(value, "degrees") {
        return Ok(number_value(degrees, what)?.to_radians());
    }
    if let Some(radians) = member(value, "radians") {
        return number_value(radians, what);
    }
    Err(Bad::invalid(format!("`{what}` must be degrees, {{degrees}} or {{radians}}, found {value}")))
}

/// `{yaw, pitch, roll}` in degrees, each optional (0).
pub fn yaw_pitch_roll_degrees(value: &Value) -> Parsed<[f64; 3]> {
    if !value.is_object() {
        return Err(Bad::invalid(format!("a rotation must be {{yaw, pitch, roll}}, found {value}")));
    }
    let angle = |key| member(value, key).map_or(Ok(0.0), |a| Ok(angle_radians(a, key)?.to_degrees()));
    Ok([angle("yaw")?, angle("pitch")?, angle("roll")?])
}

/// The local axes of a solid: `xyzVectors` as given, `xyVectors` / `zxVectors` squared and
/// normalized (as native `derefAxes` does). `None` when none of them is present.
pub fn axes(obj: &Value) -> Parsed<Option<Frame>> {
    let vectors = |key: &str, count: usize| -> Parsed<Option<Vec<Xyz>>> {
        let Some(value) = member(obj, key) else { return Ok(None) };
        let list = value.as_array().filter(|l| l.len() == count);
        let list = list.ok_or_else(|| Bad::invalid(format!("`{key}` must be an array of {count} vectors")))?;
        Ok(Some(list.iter().map(|v| xyz(v, key)).collect::<Parsed<_>>()?))
    };
    if let Some(v) = vectors("xyzVectors", 3)? {
        return Ok(Some(Frame { columns: [v[0], v[1], v[2]] }));
    }
    let squared = |frame: Frame, primary, secondary, key: &str| {
        frame.squared_and_normalized(primary, secondary).ok_or_else(|| Bad::invalid(format!("`{key}` are parallel")))
    };
    if let Some(v) = vectors("xyVectors", 2)? {
        return Ok(Some(squared(Frame { columns: [v[0], v[1], [0.0; 3]] }, 0, 1, "xyVectors")?));
    }
    if let Some(v) = vectors("zxVectors", 2)? {
        return Ok(Some(squared(Frame { columns: [v[1], [0.0; 3], v[0]] }, 2, 0, "zxVectors")?));
    }
    Ok(None)
}

/// An element id: `"0x1a"`, a decimal string or a number; never 0.
pub fn element_id(value: &Value, what: &str) -> Parsed<i64> {
    let id = match value {
        Value::String(s) => match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse::<u64>().ok(),
        },
        Value::Number(n) => n.as_u64(),
        _ => None,
    };
    match id.and_then(|id| i64::try_from(id).ok()) {
        Some(id) if id != 0 => Ok(id),
        _ => Err(Bad::invalid(format!("`{what}` must be an element id, found {value}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn points_take_arrays_with_optional_z_and_objects() {
        assert_eq!(xyz(&json!([1, 2]), "p").unwrap(), [1.0, 2.0, 0.0]);
        assert_eq!(xyz(&json!([1, 2, 3]), "p").unwrap(), [1.0, 2.0, 3.0]);
        assert_eq!(xyz(&json!({"x": 1, "y": 2}), "p").unwrap(), [1.0, 2.0, 0.0]);
        assert!(xyz(&json!([1]), "p").is_err());
        assert!(xyz(&json!([1, 2, 3, 4]), "p").is_err());
        assert!(xyz(&json!({"x": 1}), "p").is_err());
        assert!(xyz(&json!("1,2"), "p").is_err());
    }

    #[test]
    fn angles_are_degrees_unless_marked() {
        assert_eq!(angle_radians(&json!(180), "a").unwrap(), std::f64::consts::PI);
        assert_eq!(angle_radians(&json!({"degrees": 180}), "a").unwrap(), std::f64::consts::PI);
        assert_eq!(angle_radians(&json!({"radians": 1.5}), "a").unwrap(), 1.5);
        assert!(angle_radians(&json!("90"), "a").is_err());
    }

    #[test]
    fn ids_are_hex_or_decimal_and_never_zero() {
        assert_eq!(element_id(&json!("0x1A"), "part").unwrap(), 26);
        assert_eq!(element_id(&json!("26"), "part").unwrap(), 26);
        assert_eq!(element_id(&json!(26), "part").unwrap(), 26);
        assert!(element_id(&json!("0x0"), "part").is_err());
        assert!(element_id(&json!("0xffffffffffffffff"), "part").is_err());
        assert!(element_id(&json!(-1), "part").is_err());
    }

    #[test]
    fn xy_vectors_are_squared_and_xyz_vectors_kept() {
        let squared = axes(&json!({"xyVectors": [[2, 0, 0], [1, 1, 0]]})).unwrap().unwrap();
        assert_eq!(squared, Frame::IDENTITY);
        let kept = axes(&json!({"xyzVectors": [[2, 0, 0], [1, 1, 0], [0, 0, 3]]})).unwrap().unwrap();
        assert_eq!(kept.columns[0], [2.0, 0.0, 0.0]);
        assert_eq!(axes(&json!({})).unwrap(), None);
        assert!(axes(&json!({"xyVectors": [[1, 0, 0], [2, 0, 0]]})).is_err());
    }
}
