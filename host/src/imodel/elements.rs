//! Insert and update of elements from wire-format ElementProps.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value as Json};

use super::ecschema::{ClassInfo, ClassType};
use super::error::WriteError;
use super::id64;
use super::placement::{Placement3d, Range3d};
use super::props::{self, PendingNavigation, Row};
use super::Briefcase;

/// Properties the wire format sets through a compound key, or the iModel maintains itself.
const RESERVED: [(&str, &str); 12] = [
    ("LastMod", "the iModel maintains it"),
    ("InSpatialIndex", "the iModel maintains it"),
    ("CodeSpec", "set it through `code`"),
    ("CodeScope", "set it through `code`"),
    ("CodeValue", "set it through `code`"),
    ("Origin", "set it through `placement`"),
    ("Yaw", "set it through `placement`"),
    ("Pitch", "set it through `placement`"),
    ("Roll", "set it through `placement`"),
    ("BBoxLow", "set it through `placement`"),
    ("BBoxHigh", "set it through `placement`"),
    ("GeometryStream", "set it through `geom`"),
];

/// What binding the wire keys of one element produced besides column values.
#[derive(Default)]
struct Bound {
    navigations: Vec<PendingNavigation>,
    placement: Option<Placement3d>,
    has_code: bool,
}

impl Briefcase {
    /// Inserts an element from its wire-format props (`classFullName`, `model`, `code`, `parent`,
    /// `category`, `placement`, `userLabel`, `federationGuid`, `jsonProperties` and the class's own
    /// properties in camelCase) and returns its id. Inserting a Category also inserts its default
    /// SubCategory (id = category id + 1).
    pub fn insert_element(&mut self, props: &Json) -> Result<i64, WriteError> {
        // No savepoint: everything is checked before the first row is written, and a failure
        // after it is undone by deleting the element (see `insert_rows`). Savepoints cost a
        // sub-journal copy of every page an insert touches.
        self.self_atomic(|b| b.insert_element_now(props))
    }

    /// Updates the properties present in `props` (which must carry `id`); `null` clears one.
    /// The class and model of an element cannot change.
    pub fn update_element(&mut self, props: &Json) -> Result<(), WriteError> {
        self.atomically(|b| b.update_element_now(props))
    }

    fn insert_element_now(&mut self, props: &Json) -> Result<i64, WriteError> {
        let obj = as_object(props, "element props")?;
        let class = self.concrete_class(obj, "BisCore:Element", "an element class")?;
        let id = self.next_element_id();
        let mut row = Row::new(&class, id);
        let mut bound = Bound::default();
        for (key, value) in obj {
            match key.as_str() {
                "classFullName" => {}
                "id" => {
                    if !(value.is_null() || value == "0" || value == "") {
                        return Err(WriteError::Invalid(
                            "`id` is assigned by the iModel: leave it out when inserting".into(),
                        ));
                    }
                }
                _ => self.bind_element_key(&class, key, value, &mut row, &mut bound)?,
            }
        }
        if !bound.has_code {
            bind_empty_code(&class, &mut row)?;
        }
        let fed = class.property("federationGuid").and_then(|p| p.value_column());
        if let Some(column) = fed {
            if !row.assigned[column.table][column.position] {
                row.put(column, Value::Blob(uuid::Uuid::new_v4().as_bytes().to_vec()));
            }
        }
        self.put_last_mod(&class, &mut row);
        let model = required_id(&class, &row, "model")?;
        if class.property("category").is_some() {
            required_id(&class, &row, "category")?;
        }
        let targets = self.check_navigations(&class, &bound.navigations, &mut row)?;
        let model_class = nav_target(&bound.navigations, &targets, "Model")
            .ok_or_else(|| WriteError::NotFound { what: "model".into(), id: id64::format(model) })?;
        self.check_model_accepts(&model_class, &class, model)?;
        if let Some(column) = class.property("inSpatialIndex").and_then(|p| p.value_column()) {
            let located = self.is_spatially_located(&model_class, model)?;
            row.put(column, Value::Integer(located as i64));
        }
        self.insert_rows(&class, id, &row)?;
        self.known.insert("bis_Element", id, class.id);
        self.state().inserted_elements.insert(id);
        self.note_model_changed(model, bound.placement.is_some());
        if let Some(placement) = bound.placement {
            self.note_range_written(&placement.world_range());
        }
        if self.schema.is_a_named(&self.conn, &class, "BisCore:Category")? {
            if let Err(e) = self.insert_default_subcategory(&class, id, &row) {
                self.undo_insert(&class, id)?;
                return Err(e);
            }
        }
        Ok(id)
    }

    fn update_element_now(&mut self, props: &Json) -> Result<(), WriteError> {
        let obj = as_object(props, "element props")?;
        let id =
            id64::from_json(obj.get("id").ok_or_else(|| WriteError::MissingProperty { property: "id".into() })?, "id")?;
        let existing: Option<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT ECClassId, ModelId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (class_id, model) =
            existing.ok_or_else(|| WriteError::NotFound { what: "element".into(), id: id64::format(id) })?;
        let class = self.schema.class_by_id(&self.conn, class_id)?;
        if let Some(name) = obj.get("classFullName").and_then(Json::as_str) {
            let asked = self.schema.class_by_name(&self.conn, name)?;
            if asked.id != class.id {
                return Err(WriteError::Invalid(format!(
                    "element {} is a `{}`; its class cannot change to `{}`",
                    id64::format(id),
                    class.full_name(),
                    asked.full_name()
                )));
            }
        }
        let mut row = Row::new(&class, id);
        let mut bound = Bound::default();
        for (key, value) in obj {
            match key.as_str() {
                "classFullName" | "id" => {}
                "model" => {
                    if id64::from_json(value, "model")? != model {
                        return Err(WriteError::Invalid(format!(
                            "element {} cannot move to another model",
                            id64::format(id)
                        )));
                    }
                }
                _ => self.bind_element_key(&class, key, value, &mut row, &mut bound)?,
            }
        }
        self.put_last_mod(&class, &mut row);
        for (i, column) in ["category", "codeSpec", "codeScope"].iter().enumerate() {
            if let Some(col) = class.property(column).and_then(|p| p.value_column()) {
                if row.assigned[col.table][col.position] && row.get(col) == &Value::Null {
                    return Err(WriteError::MissingProperty {
                        property: ["category", "code.spec", "code.scope"][i].into(),
                    });
                }
            }
        }
        self.check_navigations(&class, &bound.navigations, &mut row)?;
        self.update_row(&class, id, &row)?;
        self.note_model_changed(model, bound.placement.is_some());
        if let Some(placement) = bound.placement {
            self.note_range_written(&placement.world_range());
        }
        Ok(())
    }

    /// Inserts one row per table of the class. If a later table fails, the rows already written
    /// are deleted again, so a failed insert leaves nothing behind without needing a savepoint.
    pub(super) fn insert_rows(&mut self, class: &ClassInfo, id: i64, row: &Row) -> Result<(), WriteError> {
        for (i, (table, values)) in class.tables.iter().zip(&row.values).enumerate() {
            let result =
                self.conn.prepare_cached(&table.insert_sql)?.execute(rusqlite::params_from_iter(values.iter()));
            if let Err(e) = result {
                let error = self.explain_constraint(e, class, row);
                if i > 0 {
                    self.undo_insert(class, id)?;
                }
                return Err(error);
            }
        }
        Ok(())
    }

    /// Deletes a just-inserted instance from every table of its class, children tables first.
    fn undo_insert(&mut self, class: &ClassInfo, id: i64) -> Result<(), WriteError> {
        for table in class.tables.iter().rev() {
            let sql = format!("DELETE FROM [{}] WHERE [{}] = ?1", table.name, table.id_column);
            self.conn.prepare_cached(&sql)?.execute([id])?;
        }
        Ok(())
    }

    /// Binds one wire key of an element: the compound keys `code` and `placement`, or a property.
    fn bind_element_key(
        &mut self,
        class: &ClassInfo,
        key: &str,
        value: &Json,
        row: &mut Row,
        bound: &mut Bound,
    ) -> Result<(), WriteError> {
        match key {
            "code" => {
                self.bind_code(class, value, row, &mut bound.navigations)?;
                bound.has_code = true;
            }
            "placement" => bound.placement = bind_placement(class, value, row)?,
            "geom" => {
                return Err(WriteError::Invalid(
                    "`geom`: geometry streams are not written by this version of the briefcase writer yet".into(),
                ))
            }
            _ => {
                let prop = class.property(key).ok_or_else(|| WriteError::UnknownProperty {
                    class: class.full_name(),
                    property: key.to_owned(),
                })?;
                if let Some((_, why)) = RESERVED.iter().find(|(name, _)| prop.name.eq_ignore_ascii_case(name)) {
                    return Err(WriteError::ReadOnlyProperty {
                        class: class.full_name(),
                        property: key.to_owned(),
                        why,
                    });
                }
                if let Some(nav) = props::bind(class, prop, value, row)? {
                    bound.navigations.push(nav);
                }
            }
        }
        Ok(())
    }

    /// `code: { spec, scope, value }`; `spec` is a code spec id or name; an empty value is stored as NULL.
    fn bind_code(
        &mut self,
        class: &ClassInfo,
        value: &Json,
        row: &mut Row,
        navs: &mut Vec<PendingNavigation>,
    ) -> Result<(), WriteError> {
        let code = as_object(value, "code")?;
        let spec = match code.get("spec") {
            Some(Json::String(s)) if !s.starts_with("0x") && s.parse::<u64>().is_err() => self
                .code_spec_by_name(s)?
                .ok_or_else(|| WriteError::NotFound { what: "code spec".into(), id: s.clone() })?,
            Some(v) => id64::from_json(v, "code.spec")?,
            None => return Err(WriteError::MissingProperty { property: "code.spec".into() }),
        };
        let scope = id64::from_json(
            code.get("scope").ok_or_else(|| WriteError::MissingProperty { property: "code.scope".into() })?,
            "code.scope",
        )?;
        let text = match code.get("value") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => return Err(WriteError::wrong_type("code.value", "a string", other)),
        };
        for (name, id) in [("codeSpec", spec), ("codeScope", scope)] {
            let prop = class
                .property(name)
                .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: name.into() })?;
            if let Some(nav) = props::bind(class, prop, &Json::String(id64::format(id)), row)? {
                navs.push(nav);
            }
        }
        let column = class.property("codeValue").and_then(|p| p.value_column()).expect("elements have CodeValue");
        row.put(column, text.map_or(Value::Null, Value::Text));
        Ok(())
    }

    fn put_last_mod(&self, class: &ClassInfo, row: &mut Row) {
        if let Some(column) = class.property("lastMod").and_then(|p| p.value_column()) {
            row.put(column, Value::Real(props::julian_day_now()));
        }
    }

    /// The concrete element class named by `classFullName`, derived from `root`.
    pub(super) fn concrete_class(
        &mut self,
        obj: &Map<String, Json>,
        root: &str,
        expected: &'static str,
    ) -> Result<Arc<ClassInfo>, WriteError> {
        let name = match obj.get("classFullName") {
            Some(Json::String(s)) => s,
            Some(other) => {
                return Err(WriteError::wrong_type("classFullName", "a string like \"Generic:PhysicalObject\"", other))
            }
            None => return Err(WriteError::MissingProperty { property: "classFullName".into() }),
        };
        let class = self.schema.class_by_name(&self.conn, name)?;
        let root = self.schema.class_by_name(&self.conn, root)?;
        if class.class_type != ClassType::Entity || !class.is_a(root.id) {
            return Err(WriteError::WrongKindOfClass { class: class.full_name(), expected });
        }
        if class.is_abstract {
            return Err(WriteError::AbstractClass { class: class.full_name() });
        }
        Ok(class)
    }

    /// Turns a constraint violation into the error a caller can act on.
    pub(super) fn explain_constraint(&mut self, error: rusqlite::Error, class: &ClassInfo, row: &Row) -> WriteError {
        let message = error.to_string();
        let value_of = |name: &str| class.property(name).and_then(|p| p.value_column()).map(|c| row.get(c).clone());
        if message.contains("UNIQUE constraint failed") && message.contains("CodeValue") {
            let spec = match value_of("codeSpec") {
                Some(Value::Integer(id)) => self.code_spec_name(id).unwrap_or_else(|| id64::format(id)),
                _ => "?".into(),
            };
            let scope = match value_of("codeScope") {
                Some(Value::Integer(id)) => id64::format(id),
                _ => "?".into(),
            };
            let value = match value_of("codeValue") {
                Some(Value::Text(v)) => v,
                _ => String::new(),
            };
            return WriteError::DuplicateCode { value, spec, scope };
        }
        if message.contains("UNIQUE constraint failed") && message.contains("FederationGuid") {
            let guid = match value_of("federationGuid") {
                Some(Value::Blob(b)) => uuid::Uuid::from_slice(&b).map(|u| u.to_string()).unwrap_or_default(),
                _ => String::new(),
            };
            return WriteError::DuplicateFederationGuid { guid };
        }
        if message.contains("UNIQUE constraint failed") && class.property("sourceECInstanceId").is_some() {
            return WriteError::Invalid(format!("this `{}` relationship already exists", class.full_name()));
        }
        if message.contains("FOREIGN KEY constraint failed") {
            return WriteError::Invalid(format!(
                "a `{}` refers to a row that does not exist, or is still referred to ({message})",
                class.full_name()
            ));
        }
        WriteError::Sqlite(error)
    }

    /// The default SubCategory the native library creates with every Category: id = category + 1,
    /// same model and code value, code spec `bis:SubCategory` scoped by the category.
    fn insert_default_subcategory(
        &mut self,
        category: &ClassInfo,
        category_id: i64,
        row: &Row,
    ) -> Result<(), WriteError> {
        let model = match category.property("model").and_then(|p| p.value_column()).map(|c| row.get(c)) {
            Some(Value::Integer(m)) => *m,
            _ => unreachable!("model was checked"),
        };
        let name = match category.property("codeValue").and_then(|p| p.value_column()).map(|c| row.get(c)) {
            Some(Value::Text(v)) => Json::String(v.clone()),
            _ => Json::Null,
        };
        let spec = self
            .code_spec_by_name("bis:SubCategory")?
            .ok_or_else(|| WriteError::NotFound { what: "code spec".into(), id: "bis:SubCategory".into() })?;
        let sub = serde_json::json!({
            "classFullName": "BisCore:SubCategory",
            "model": id64::format(model),
            "code": { "spec": id64::format(spec), "scope": id64::format(category_id), "value": name },
            "parent": { "id": id64::format(category_id), "relClassName": "BisCore:CategoryOwnsSubCategories" },
            "appearance": {},
        });
        let sub_id = self.insert_element_now(&sub)?;
        debug_assert_eq!(sub_id, category_id + 1);
        Ok(())
    }

    /// Whether elements of `model` go into the spatial index: 3d geometric models that are not
    /// flagged IsNotSpatiallyLocated.
    fn is_spatially_located(&mut self, model_class: &ClassInfo, model: i64) -> Result<bool, WriteError> {
        if let Some(located) = self.known.spatially_located(model) {
            return Ok(located);
        }
        let geometric3d = self.schema.class_by_name(&self.conn, "BisCore:GeometricModel3d")?;
        let mut located = model_class.is_a(geometric3d.id);
        if located {
            if let Some(col) = model_class.property("isNotSpatiallyLocated").and_then(|p| p.value_column()) {
                let table = &model_class.tables[col.table];
                let sql = format!("SELECT [{}] FROM [{}] WHERE [{}] = ?1", col.column, table.name, table.id_column);
                let flag: Option<bool> = self.conn.prepare_cached(&sql)?.query_row([model], |r| r.get(0))?;
                located = !flag.unwrap_or(false);
            }
        }
        self.known.set_spatially_located(model, located);
        Ok(located)
    }
}

pub(super) fn as_object<'a>(value: &'a Json, what: &str) -> Result<&'a Map<String, Json>, WriteError> {
    value.as_object().ok_or_else(|| WriteError::wrong_type(what, "a JSON object", value))
}

fn nav_target(
    navs: &[PendingNavigation],
    targets: &[Option<Arc<ClassInfo>>],
    property: &str,
) -> Option<Arc<ClassInfo>> {
    navs.iter().position(|n| n.property == property).and_then(|i| targets[i].clone())
}

fn required_id(class: &ClassInfo, row: &Row, property: &str) -> Result<i64, WriteError> {
    let column = class.property(property).and_then(|p| p.value_column());
    match column.map(|c| row.get(c)) {
        Some(Value::Integer(id)) => Ok(*id),
        _ => Err(WriteError::MissingProperty { property: property.into() }),
    }
}

/// The empty code: spec `bis:NullCodeSpec` (0x1), scope the root subject (0x1), value NULL.
fn bind_empty_code(class: &ClassInfo, row: &mut Row) -> Result<(), WriteError> {
    for name in ["codeSpec", "codeScope"] {
        let column = class.property(name).and_then(|p| p.value_column()).expect("elements have codes");
        row.put(column, Value::Integer(1));
    }
    Ok(())
}

/// `placement: { origin, angles: { yaw, pitch, roll }, bbox: { low, high } }` (degrees; missing
/// angles are 0). Without `bbox` the element-aligned box is all zeros, which is what the native
/// library stores for an element without geometry.
fn bind_placement(class: &ClassInfo, value: &Json, row: &mut Row) -> Result<Option<Placement3d>, WriteError> {
    let not_3d = || WriteError::Invalid(format!("`placement`: `{}` is not a 3d geometric element", class.full_name()));
    let origin_prop = class.property("origin").ok_or_else(not_3d)?;
    if class.property("yaw").is_none() {
        return Err(not_3d());
    }
    if value.is_null() {
        for name in ["origin", "yaw", "pitch", "roll", "bBoxLow", "bBoxHigh"] {
            for column in &class.property(name).expect("3d placement").columns {
                row.put(column, Value::Null);
            }
        }
        return Ok(None);
    }
    let obj = as_object(value, "placement")?;
    let origin = props::point(
        obj.get("origin").ok_or_else(|| WriteError::MissingProperty { property: "placement.origin".into() })?,
        3,
        "placement.origin",
    )?;
    for (axis, v) in ["X", "Y", "Z"].iter().zip(&origin) {
        row.put(origin_prop.column(axis).expect("point3d"), Value::Real(*v));
    }
    let mut angles = [0.0; 3];
    if let Some(a) = obj.get("angles").filter(|a| !a.is_null()) {
        let a = as_object(a, "placement.angles")?;
        for (i, name) in ["yaw", "pitch", "roll"].iter().enumerate() {
            if let Some(v) = a.get(*name) {
                angles[i] = v.as_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                    WriteError::wrong_type(&format!("placement.angles.{name}"), "a number of degrees", v)
                })?;
            }
        }
    }
    for (name, v) in ["yaw", "pitch", "roll"].iter().zip(angles) {
        row.put(class.property(name).and_then(|p| p.value_column()).expect("3d placement"), Value::Real(v));
    }
    let mut bbox = Range3d { low: [0.0; 3], high: [0.0; 3] };
    for prop in ["bBoxLow", "bBoxHigh"] {
        for column in &class.property(prop).expect("3d placement").columns {
            row.put(column, Value::Real(0.0));
        }
    }
    if let Some(b) = obj.get("bbox").filter(|b| !b.is_null()) {
        let b = as_object(b, "placement.bbox")?;
        for (i, (key, prop)) in [("low", "bBoxLow"), ("high", "bBoxHigh")].iter().enumerate() {
            let p = props::point(
                b.get(*key).ok_or_else(|| WriteError::MissingProperty { property: format!("placement.bbox.{key}") })?,
                3,
                &format!("placement.bbox.{key}"),
            )?;
            let prop = class.property(prop).expect("3d placement");
            for (axis, v) in ["X", "Y", "Z"].iter().zip(&p) {
                row.put(prop.column(axis).expect("point3d"), Value::Real(*v));
            }
            if i == 0 {
                bbox.low = [p[0], p[1], p[2]]
            } else {
                bbox.high = [p[0], p[1], p[2]]
            }
        }
        if (0..3).any(|i| bbox.low[i] > bbox.high[i]) {
            return Err(WriteError::Invalid("`placement.bbox`: low is above high".into()));
        }
    }
    Ok(Some(Placement3d { origin: [origin[0], origin[1], origin[2]], angles, bbox }))
}
