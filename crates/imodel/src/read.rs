//! Reading rows back as wire-format JSON, the shape iTwin.js `getElementProps` returns.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde_json::{json, Map, Value as Json};

use super::ecschema::{ClassInfo, PrimitiveType, PropertyKind, PropertyMap};
use super::error::WriteError;
use super::geometric_columns::has_geometry;
use super::geometry::{element_label, GeometryOwner};
use super::id64;
use super::props;
use super::Briefcase;

/// Navigation properties iTwin.js flattens to a bare id string in ElementProps.
const FLAT_NAVIGATIONS: [&str; 2] = ["Model", "Category"];
/// Properties that the compound key `code` stands for, or that iTwin.js leaves out of
/// ElementProps.
const NOT_IN_PROPS: [&str; 5] = ["LastMod", "CodeSpec", "CodeScope", "CodeValue", "InSpatialIndex"];
/// Properties of classes with geometry that `placement`, `bbox` and `geom` stand for; plain
/// properties elsewhere (a ViewDefinition3d's `origin`, `yaw`, `pitch`, `roll`).
const NOT_IN_PROPS_WITH_GEOMETRY: [&str; 7] =
    ["Origin", "Yaw", "Pitch", "Roll", "BBoxLow", "BBoxHigh", "GeometryStream"];

/// What [`Briefcase::element_props_with`] reads besides the plain properties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Add `geom` (GeometryStreamProps) for elements and parts that have a stream, like iTwin.js
    /// `getElementProps({ id, wantGeometry: true })`. Off by default there too: streams can be large.
    pub want_geometry: bool,
}

impl Briefcase {
    /// The element's props in the wire format, or `None` if there is no such element. Geometry
    /// is left out, as by iTwin.js `getElementProps(id)`; see [`Briefcase::element_props_with`].
    pub fn element_props(&mut self, id: i64) -> Result<Option<Json>, WriteError> {
        self.element_props_with(id, ReadOptions::default())
    }

    /// The element's props in the wire format, or `None` if there is no such element.
    pub fn element_props_with(&mut self, id: i64, options: ReadOptions) -> Result<Option<Json>, WriteError> {
        let class_id: Option<i64> = self
            .conn
            .prepare_cached("SELECT ECClassId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(class_id) = class_id else {
            return Ok(None);
        };
        let class = self.schema.class_by_id(&self.conn, class_id)?;
        let values = self.read_row(&class, id)?;
        let mut out = Map::new();
        out.insert("id".into(), json!(id64::format(id)));
        out.insert("classFullName".into(), json!(class.full_name()));
        let get = |name: &str| -> Option<&Value> {
            let c = class.property(name)?.value_column()?;
            values.get(c.table)?.get(c.position)
        };
        let int = |v: Option<&Value>| match v {
            Some(Value::Integer(i)) => Some(*i),
            _ => None,
        };
        let value_text = match get("codeValue") {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        };
        out.insert(
            "code".into(),
            json!({
                "spec": id64::format(int(get("codeSpec")).unwrap_or(1)),
                "scope": id64::format(int(get("codeScope")).unwrap_or(1)),
                "value": value_text,
            }),
        );
        let with_geometry = has_geometry(&class);
        if let (true, Some(origin), Some(_)) = (with_geometry, class.property("origin"), class.property("yaw")) {
            let real = |v: Option<&Value>| match v {
                Some(Value::Real(f)) => Some(*f),
                Some(Value::Integer(i)) => Some(*i as f64),
                _ => None,
            };
            let at =
                |p: &PropertyMap, axis: &str| p.column(axis).and_then(|c| real(values.get(c.table)?.get(c.position)));
            if let (Some(x), Some(y), Some(z)) = (at(origin, "X"), at(origin, "Y"), at(origin, "Z")) {
                let mut angles = Map::new();
                for name in ["yaw", "pitch", "roll"] {
                    if let Some(a) = real(get(name)).filter(|a| *a != 0.0) {
                        angles.insert(name.into(), json!(a));
                    }
                }
                let mut placement = json!({ "origin": [x, y, z], "angles": angles });
                let low = class.property("bBoxLow");
                let high = class.property("bBoxHigh");
                if let (Some(low), Some(high)) = (low, high) {
                    let l: Option<Vec<f64>> = ["X", "Y", "Z"].iter().map(|a| at(low, a)).collect();
                    let h: Option<Vec<f64>> = ["X", "Y", "Z"].iter().map(|a| at(high, a)).collect();
                    if let (Some(l), Some(h)) = (l, h) {
                        placement["bbox"] = json!({ "low": l, "high": h });
                    }
                }
                out.insert("placement".into(), placement);
            }
        }
        let owner = self.geometry_owner(&class)?;
        if owner == GeometryOwner::Part {
            if let Some(bbox) = box_json(&class, &values) {
                out.insert("bbox".into(), bbox);
            }
        }
        if options.want_geometry && owner != GeometryOwner::None {
            if let Some(Value::Blob(blob)) = get("geometryStream") {
                let category = match owner {
                    GeometryOwner::Element3d => int(get("category")),
                    _ => None,
                };
                let blob = blob.clone();
                let geom = self.decode_geometry(&blob, category, &element_label(&class, Some(id), None))?;
                out.insert("geom".into(), geom);
            }
        }
        for prop in &class.properties {
            let hidden: &[_] = if with_geometry { &NOT_IN_PROPS_WITH_GEOMETRY } else { &[] };
            if NOT_IN_PROPS.iter().chain(hidden).any(|n| prop.name.eq_ignore_ascii_case(n)) {
                continue;
            }
            if let Some(v) = self.property_json(prop, &values)? {
                out.insert(prop.json_name.clone(), v);
            }
        }
        Ok(Some(Json::Object(out)))
    }

    /// The props of an aspect (ExternalSourceAspect and others), or `None`.
    pub fn aspect_props(&mut self, id: i64) -> Result<Option<Json>, WriteError> {
        let (class, _) = match self.aspect_class(id) {
            Ok(found) => found,
            Err(WriteError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let values = self.read_row(&class, id)?;
        let mut out = Map::new();
        out.insert("id".into(), json!(id64::format(id)));
        out.insert("classFullName".into(), json!(class.full_name()));
        for prop in &class.properties {
            if let Some(v) = self.property_json(prop, &values)? {
                out.insert(prop.json_name.clone(), v);
            }
        }
        Ok(Some(Json::Object(out)))
    }

    fn read_row(&mut self, class: &Arc<ClassInfo>, id: i64) -> Result<Vec<Vec<Value>>, WriteError> {
        let mut values = Vec::with_capacity(class.tables.len());
        for table in &class.tables {
            let columns: Vec<String> = table.insert_columns.iter().map(|c| format!("[{c}]")).collect();
            let sql = format!("SELECT {} FROM [{}] WHERE [{}] = ?1", columns.join(", "), table.name, table.id_column);
            let row: Option<Vec<Value>> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([id], |r| (0..columns.len()).map(|i| r.get::<_, Value>(i)).collect())
                .optional()?;
            values.push(row.unwrap_or_else(|| vec![Value::Null; columns.len()]));
        }
        Ok(values)
    }

    fn property_json(&mut self, prop: &PropertyMap, values: &[Vec<Value>]) -> Result<Option<Json>, WriteError> {
        let at = |access: &str| -> Option<&Value> {
            let c = prop.columns.iter().find(|c| c.access.eq_ignore_ascii_case(access))?;
            values.get(c.table)?.get(c.position)
        };
        let single = prop.value_column().and_then(|c| values.get(c.table)?.get(c.position));
        Ok(match prop.kind {
            PropertyKind::Navigation => {
                let Some(Value::Integer(id)) = prop.column("Id").and_then(|c| values.get(c.table)?.get(c.position))
                else {
                    return Ok(None);
                };
                if FLAT_NAVIGATIONS.iter().any(|n| prop.name.eq_ignore_ascii_case(n)) {
                    Some(json!(id64::format(*id)))
                } else {
                    let rel = match prop.column("RelECClassId").and_then(|c| values.get(c.table)?.get(c.position)) {
                        Some(Value::Integer(r)) => *r,
                        _ => prop.navigation.as_ref().map_or(0, |n| n.relationship_id),
                    };
                    let rel_name = self.schema.class_by_id(&self.conn, rel).map(|c| c.full_name()).unwrap_or_default();
                    Some(json!({ "id": id64::format(*id), "relClassName": rel_name }))
                }
            }
            PropertyKind::Primitive(PrimitiveType::Point2d | PrimitiveType::Point3d) => {
                let axes = if prop.kind == PropertyKind::Primitive(PrimitiveType::Point2d) {
                    &["x", "y"][..]
                } else {
                    &["x", "y", "z"][..]
                };
                let mut point = Map::new();
                for axis in axes {
                    match at(&format!("{}.{}", prop.name, axis.to_uppercase())) {
                        Some(Value::Real(f)) => point.insert((*axis).into(), json!(f)),
                        Some(Value::Integer(i)) => point.insert((*axis).into(), json!(*i as f64)),
                        _ => return Ok(None),
                    };
                }
                Some(Json::Object(point))
            }
            PropertyKind::Primitive(t) => single.and_then(|v| primitive_json(t, prop.extended_type.as_deref(), v)),
            PropertyKind::PrimitiveArray | PropertyKind::StructArray => match single {
                Some(Value::Text(t)) => serde_json::from_str(t).ok(),
                _ => None,
            },
            PropertyKind::Struct => {
                let mut out = Map::new();
                for c in &prop.columns {
                    if let Some(v) = values
                        .get(c.table)
                        .and_then(|t| t.get(c.position))
                        .and_then(|v| primitive_json(PrimitiveType::String, None, v).or_else(|| plain_json(v)))
                    {
                        let member = c.access[prop.name.len() + 1..].to_owned();
                        out.insert(super::ecschema::json_name(&member), v);
                    }
                }
                (!out.is_empty()).then_some(Json::Object(out))
            }
        })
    }
}

/// A part's `bbox: { low, high }` as iTwin.js reports it, `None` when not stored.
fn box_json(class: &ClassInfo, values: &[Vec<Value>]) -> Option<Json> {
    let corner = |name: &str| -> Option<Vec<f64>> {
        let prop = class.property(name)?;
        ["X", "Y", "Z"]
            .iter()
            .map(|axis| match prop.column(axis).and_then(|c| values.get(c.table)?.get(c.position)) {
                Some(Value::Real(f)) => Some(*f),
                Some(Value::Integer(i)) => Some(*i as f64),
                _ => None,
            })
            .collect()
    };
    Some(json!({ "low": corner("bBoxLow")?, "high": corner("bBoxHigh")? }))
}

fn plain_json(v: &Value) -> Option<Json> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(json!(i)),
        Value::Real(f) => Some(json!(f)),
        Value::Text(t) => Some(json!(t)),
        Value::Blob(_) => None,
    }
}

fn primitive_json(t: PrimitiveType, extended_type: Option<&str>, v: &Value) -> Option<Json> {
    match (t, v) {
        (_, Value::Null) => None,
        (PrimitiveType::String, Value::Text(s)) if extended_type == Some("Json") => {
            serde_json::from_str(s).ok().or_else(|| Some(json!(s)))
        }
        (PrimitiveType::String, Value::Text(s)) => Some(json!(s)),
        (PrimitiveType::Boolean, Value::Integer(i)) => Some(json!(*i != 0)),
        (PrimitiveType::Integer | PrimitiveType::Long, Value::Integer(i)) => Some(json!(i)),
        (PrimitiveType::Double, Value::Real(f)) => Some(json!(f)),
        (PrimitiveType::Double, Value::Integer(i)) => Some(json!(*i as f64)),
        (PrimitiveType::DateTime, Value::Real(jd)) => Some(json!(props::iso_from_julian_day(*jd))),
        (PrimitiveType::Binary, Value::Blob(b)) if extended_type == Some("BeGuid") => {
            uuid::Uuid::from_slice(b).ok().map(|u| json!(u.to_string()))
        }
        (_, other) => plain_json(other),
    }
}
