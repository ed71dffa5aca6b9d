//! Wire-format JSON → column values, driven by the property map of the class.

use rusqlite::types::Value;
use serde_json::Value as Json;

use super::ecschema::{ClassInfo, ColumnRef, PrimitiveType, PropertyKind, PropertyMap};
use super::error::WriteError;
use super::id64;

/// The values of one instance, one vector per table of its class (in `insert_columns` order),
/// with a mark on the columns an update should write.
pub(super) struct Row {
    pub values: Vec<Vec<Value>>,
    pub assigned: Vec<Vec<bool>>,
}

impl Row {
    /// A row with the instance id and class id filled in every table.
    pub fn new(class: &ClassInfo, id: i64) -> Row {
        let mut values = Vec::with_capacity(class.tables.len());
        let mut assigned = Vec::with_capacity(class.tables.len());
        for t in &class.tables {
            let mut v = vec![Value::Null; t.insert_columns.len()];
            v[0] = Value::Integer(id);
            if t.class_id_column.is_some() {
                v[1] = Value::Integer(class.id);
            }
            values.push(v);
            assigned.push(vec![false; t.insert_columns.len()]);
        }
        Row { values, assigned }
    }

    pub fn put(&mut self, column: &ColumnRef, value: Value) {
        self.values[column.table][column.position] = value;
        self.assigned[column.table][column.position] = true;
    }

    pub fn get(&self, column: &ColumnRef) -> &Value {
        &self.values[column.table][column.position]
    }
}

/// A navigation value found while binding, to be checked against the file before writing.
pub(super) struct PendingNavigation {
    pub property: String,
    pub id: i64,
    pub rel_class_name: Option<String>,
}

/// Current time as a Julian day, the way ECDb stores `DateTime` and `LastMod`.
pub fn julian_day_now() -> f64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_secs_f64() / 86_400.0 + 2_440_587.5
}

/// Parses an ISO 8601 date-time (`2024-01-02T03:04:05Z`, fractional seconds and offsets allowed,
/// a missing offset read as UTC) into a Julian day.
pub fn julian_day_from_iso(text: &str) -> Option<f64> {
    let utc = chrono::DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&chrono::Utc))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|d| d.and_utc()))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        })
        .ok()?;
    Some(utc.timestamp_millis() as f64 / 86_400_000.0 + 2_440_587.5)
}

/// The ISO 8601 text iTwin.js returns for a stored Julian day (no zone suffix: ECDb date-times
/// without a DateTimeInfo custom attribute are of unspecified kind).
pub fn iso_from_julian_day(jd: f64) -> String {
    let millis = ((jd - 2_440_587.5) * 86_400_000.0).round() as i64;
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

/// How one kind of row (element, model, aspect, relationship) treats the wire properties its
/// class's property map does not settle on its own. Every write path binds through
/// [`bind_wire`] with its rules, so a property is looked up, refused and converted the same way
/// whatever is being written.
pub(super) struct Rules<'r> {
    /// Properties (by schema name, any case) the writer maintains or that another wire key sets,
    /// with the reason a caller may not set them. Several lists, so a caller can add to a
    /// shared one without allocating.
    pub read_only: &'r [&'r [(&'static str, &'static str)]],
    /// Whether navigation properties may be set; `false` refuses them (the writer does not
    /// support them on relationships).
    pub navigation: bool,
}

impl Rules<'_> {
    /// No property refused, navigation values collected: for the writer's own bookkeeping.
    pub const PLAIN: Rules<'static> = Rules { read_only: &[], navigation: true };
}

/// The property a wire key names in `class` (case-insensitive, as iTwin.js), refusing a key the
/// class does not have and a property the rules keep read-only.
pub(super) fn wire_property<'c>(
    class: &'c ClassInfo,
    key: &str,
    rules: &Rules<'_>,
) -> Result<&'c PropertyMap, WriteError> {
    let prop = class
        .property(key)
        .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: key.to_owned() })?;
    if let Some((_, why)) =
        rules.read_only.iter().flat_map(|list| list.iter()).find(|(name, _)| prop.name.eq_ignore_ascii_case(name))
    {
        return Err(WriteError::ReadOnlyProperty { class: class.full_name(), property: key.to_owned(), why });
    }
    Ok(prop)
}

/// The one binding routine: looks up the wire key `key` ([`wire_property`]), converts `value`
/// onto `row`'s columns, and collects a navigation value into `navigations` for the caller to
/// check against the file before any row is written.
pub(super) fn bind_wire(
    class: &ClassInfo,
    key: &str,
    value: &Json,
    rules: &Rules<'_>,
    row: &mut Row,
    navigations: &mut Vec<PendingNavigation>,
) -> Result<(), WriteError> {
    let prop = wire_property(class, key, rules)?;
    bind_value(class, prop, key, value, rules, row, navigations)
}

/// [`bind_wire`] for a property already looked up (a caller that handles some properties itself).
pub(super) fn bind_value(
    class: &ClassInfo,
    prop: &PropertyMap,
    key: &str,
    value: &Json,
    rules: &Rules<'_>,
    row: &mut Row,
    navigations: &mut Vec<PendingNavigation>,
) -> Result<(), WriteError> {
    if let Some(nav) = bind(class, prop, value, row)? {
        if !rules.navigation {
            return Err(WriteError::Invalid(format!(
                "{key}: navigation properties on relationships are not supported"
            )));
        }
        navigations.push(nav);
    }
    Ok(())
}

/// Binds one property's value onto `row`. Navigation values are returned for checking.
fn bind(
    class: &ClassInfo,
    prop: &PropertyMap,
    value: &Json,
    row: &mut Row,
) -> Result<Option<PendingNavigation>, WriteError> {
    let name = prop.json_name.as_str();
    if value.is_null() {
        for column in &prop.columns {
            row.put(column, Value::Null);
        }
        return Ok(None);
    }
    match prop.kind {
        PropertyKind::Navigation => {
            let id = id64::from_json(value, name)?;
            let rel_class_name = value.get("relClassName").and_then(Json::as_str).map(str::to_owned);
            let column = prop.value_column().ok_or_else(|| no_column(class, prop))?;
            row.put(column, if id == 0 { Value::Null } else { Value::Integer(id) });
            Ok((id != 0).then(|| PendingNavigation { property: prop.name.clone(), id, rel_class_name }))
        }
        PropertyKind::Primitive(PrimitiveType::Point2d) | PropertyKind::Primitive(PrimitiveType::Point3d) => {
            let dims = if prop.kind == PropertyKind::Primitive(PrimitiveType::Point2d) { 2 } else { 3 };
            let coords = point(value, dims, name)?;
            for (axis, v) in ["X", "Y", "Z"].iter().zip(coords) {
                let column = prop.column(axis).ok_or_else(|| no_column(class, prop))?;
                row.put(column, Value::Real(v));
            }
            Ok(None)
        }
        PropertyKind::Primitive(t) => {
            let column = prop.value_column().ok_or_else(|| no_column(class, prop))?;
            row.put(column, primitive(t, prop.extended_type.as_deref(), value, name)?);
            Ok(None)
        }
        PropertyKind::Struct => {
            let Json::Object(members) = value else {
                return Err(WriteError::wrong_type(name, "an object", value));
            };
            bind_struct_members(class, prop, &prop.name, members, row)?;
            Ok(None)
        }
        PropertyKind::PrimitiveArray | PropertyKind::StructArray => {
            if !value.is_array() {
                return Err(WriteError::wrong_type(name, "an array", value));
            }
            let column = prop.value_column().ok_or_else(|| no_column(class, prop))?;
            row.put(column, Value::Text(value.to_string()));
            Ok(None)
        }
    }
}

/// Struct members are stored flattened (`Prop.Member`); their type is read from the JSON value.
fn bind_struct_members(
    class: &ClassInfo,
    prop: &PropertyMap,
    prefix: &str,
    members: &serde_json::Map<String, Json>,
    row: &mut Row,
) -> Result<(), WriteError> {
    for (key, value) in members {
        let access = format!("{prefix}.{key}");
        if let Json::Object(inner) = value {
            bind_struct_members(class, prop, &access, inner, row)?;
            continue;
        }
        let column = prop
            .columns
            .iter()
            .find(|c| c.access.eq_ignore_ascii_case(&access))
            .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: access.clone() })?;
        let sql = match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Integer(*b as i64),
            Json::Number(n) => n.as_i64().map(Value::Integer).unwrap_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0))),
            Json::String(s) => Value::Text(s.clone()),
            other => Value::Text(other.to_string()),
        };
        row.put(column, sql);
    }
    Ok(())
}

fn no_column(class: &ClassInfo, prop: &PropertyMap) -> WriteError {
    WriteError::Invalid(format!("property `{}` of `{}` has no column to write", prop.name, class.full_name()))
}

/// `[x, y, z]` or `{ "x": …, "y": …, "z": … }` (z defaults to 0).
pub(super) fn point(value: &Json, dims: usize, name: &str) -> Result<Vec<f64>, WriteError> {
    let expected = if dims == 2 { "a point [x, y] or {x, y}" } else { "a point [x, y, z] or {x, y, z}" };
    let coords: Vec<Option<f64>> = match value {
        Json::Array(items) if items.len() == dims || (dims == 3 && items.len() == 2) => {
            items.iter().map(Json::as_f64).collect()
        }
        Json::Object(map) => ["x", "y", "z"][..dims]
            .iter()
            .map(|k| match map.get(*k) {
                None if *k == "z" => Some(0.0),
                v => v.and_then(Json::as_f64),
            })
            .collect(),
        _ => return Err(WriteError::wrong_type(name, expected, value)),
    };
    let mut out: Vec<f64> = coords
        .into_iter()
        .map(|c| c.filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| WriteError::wrong_type(name, expected, value))?;
    out.resize(dims, 0.0);
    Ok(out)
}

pub(super) fn primitive(
    t: PrimitiveType,
    extended_type: Option<&str>,
    value: &Json,
    name: &str,
) -> Result<Value, WriteError> {
    Ok(match t {
        PrimitiveType::String => match value {
            Json::String(s) => Value::Text(s.clone()),
            // Json-typed strings (jsonProperties) arrive as objects on the wire.
            Json::Object(_) | Json::Array(_) if extended_type == Some("Json") => Value::Text(value.to_string()),
            _ => return Err(WriteError::wrong_type(name, "a string", value)),
        },
        PrimitiveType::Boolean => match value {
            Json::Bool(b) => Value::Integer(*b as i64),
            _ => return Err(WriteError::wrong_type(name, "true or false", value)),
        },
        PrimitiveType::Integer => match value.as_i64() {
            Some(i) if i32::try_from(i).is_ok() => Value::Integer(i),
            _ => return Err(WriteError::wrong_type(name, "a 32-bit integer", value)),
        },
        PrimitiveType::Long => match value {
            Json::Number(n) if n.is_i64() => Value::Integer(n.as_i64().unwrap_or_default()),
            Json::String(s) => Value::Integer(id64::parse(s, name)?),
            _ => return Err(WriteError::wrong_type(name, "an integer", value)),
        },
        PrimitiveType::Double => match value.as_f64() {
            Some(f) if f.is_finite() => Value::Real(f),
            _ => return Err(WriteError::wrong_type(name, "a finite number", value)),
        },
        PrimitiveType::DateTime => match value.as_str().and_then(julian_day_from_iso) {
            Some(jd) => Value::Real(jd),
            None => return Err(WriteError::wrong_type(name, "an ISO 8601 date-time string", value)),
        },
        PrimitiveType::Binary if extended_type == Some("BeGuid") => match value.as_str().map(uuid::Uuid::parse_str) {
            Some(Ok(guid)) => Value::Blob(guid.as_bytes().to_vec()),
            _ => {
                return Err(WriteError::wrong_type(
                    name,
                    "a GUID string like \"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\"",
                    value,
                ))
            }
        },
        PrimitiveType::Binary | PrimitiveType::Geometry | PrimitiveType::Point2d | PrimitiveType::Point3d => {
            return Err(WriteError::Invalid(format!(
                "property `{name}`: this writer cannot write {t:?} values from JSON"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn julian_days_match_ecdb() {
        // The reference measured 2024-01-02T03:04:05Z → 2460311.6278356481.
        let jd = julian_day_from_iso("2024-01-02T03:04:05Z").unwrap();
        assert!((jd - 2_460_311.627_835_648).abs() < 1e-9);
        assert_eq!(iso_from_julian_day(jd), "2024-01-02T03:04:05.000");
        assert!(julian_day_from_iso("yesterday").is_none());
    }

    #[test]
    fn primitives_reject_wrong_json_types() {
        assert!(matches!(primitive(PrimitiveType::String, None, &json!(5), "d"), Err(WriteError::WrongType { .. })));
        assert!(matches!(primitive(PrimitiveType::Double, None, &json!("x"), "d"), Err(WriteError::WrongType { .. })));
        assert!(primitive(PrimitiveType::Integer, None, &json!(1u64 << 40), "i").is_err());
        assert_eq!(primitive(PrimitiveType::Boolean, None, &json!(true), "b").unwrap(), Value::Integer(1));
        let guid =
            primitive(PrimitiveType::Binary, Some("BeGuid"), &json!("12345678-1234-1234-1234-123456789abc"), "g")
                .unwrap();
        assert_eq!(
            guid,
            Value::Blob(vec![
                0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc
            ])
        );
        assert!(primitive(PrimitiveType::Binary, Some("BeGuid"), &json!("not-a-guid"), "g").is_err());
    }

    #[test]
    fn points_accept_arrays_and_objects() {
        assert_eq!(point(&json!([1, 2, 3]), 3, "p").unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(point(&json!({"x": 1, "y": 2}), 3, "p").unwrap(), vec![1.0, 2.0, 0.0]);
        assert!(point(&json!([1, "a", 3]), 3, "p").is_err());
        assert!(point(&json!("1,2,3"), 3, "p").is_err());
    }
}
