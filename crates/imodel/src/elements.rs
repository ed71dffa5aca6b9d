//! Insert and update of elements from wire-format ElementProps.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value as Json};

use super::ecschema::{ClassInfo, ClassType};
use super::error::WriteError;
use super::geometric_columns::{self as columns, has_geometry, GeomProps, PlacementProps, ShapeWrite, StoredShape};
use super::geometry::{element_label, GeometryOwner};
use super::id64;
use super::props::{self, PendingNavigation, Row, Rules};
use super::resolved::{self, Resolved, ResolvedElement, WriteCheck};
use super::Briefcase;
use itwin_geometry::placement::check_coordinate;

/// Properties the wire format sets through a compound key, or the iModel maintains itself.
const RESERVED: [(&str, &str); 5] = [
    ("LastMod", "the iModel maintains it"),
    ("InSpatialIndex", "the iModel maintains it"),
    ("CodeSpec", "set it through `code`"),
    ("CodeScope", "set it through `code`"),
    ("CodeValue", "set it through `code`"),
];

/// Properties of classes with geometry (geometric elements, geometry parts) that `placement`,
/// `bbox` and `geom` stand for. Other classes may have properties of these names (a
/// ViewDefinition3d's `origin`, `yaw`, `pitch`, `roll`): there they are plain properties.
const RESERVED_WITH_GEOMETRY: [(&str, &str); 7] = [
    ("Origin", "set it through `placement`"),
    ("Yaw", "set it through `placement`"),
    ("Pitch", "set it through `placement`"),
    ("Roll", "set it through `placement`"),
    ("BBoxLow", "set it through `placement`"),
    ("BBoxHigh", "set it through `placement`"),
    ("GeometryStream", "set it through `geom`"),
];

/// Navigation properties a [`ResolvedElement`] reports on their own rather than as references.
const NOT_REFERENCES: [&str; 4] = ["Model", "Parent", "CodeSpec", "CodeScope"];

/// What binding the wire keys of one element produced besides column values.
struct Bound<'p> {
    owner: GeometryOwner,
    navigations: Vec<PendingNavigation>,
    placement: Option<PlacementProps>,
    /// `geom` as given; encoded once the category is known and checked.
    geom: Option<&'p Json>,
    has_code: bool,
}

impl Bound<'_> {
    fn new(owner: GeometryOwner) -> Self {
        Bound { owner, navigations: Vec::new(), placement: None, geom: None, has_code: false }
    }
}

impl Briefcase {
    /// Inserts an element from its wire-format props (`classFullName`, `model`, `code`, `parent`,
    /// `category`, `placement`, `geom`, `userLabel`, `federationGuid`, `jsonProperties` and the
    /// class's own properties in camelCase) and returns its id. Inserting a Category also inserts
    /// its default SubCategory (id = category id + 1).
    ///
    /// `geom` (iTwin.js GeometryStreamProps) is taken by 3d geometric elements and GeometryParts;
    /// the box (`placement.bbox`, a part's `bbox`) is then computed from it, whatever is given.
    /// A stream without geometry (`[]`, only header and appearances) stores no stream and no
    /// placement, as iTwin.js does. [`Briefcase::update_element`] keeps a moved element's stream and box.
    pub fn insert_element(&mut self, props: &Json) -> Result<i64, WriteError> {
        // No savepoint: everything is checked before the first row is written, and a failure
        // after it is undone by deleting the element (see `insert_rows`). Savepoints cost a
        // sub-journal copy of every page an insert touches.
        self.self_atomic(|b| b.insert_element_now(props, None))
    }

    /// [`Briefcase::insert_element`], with `check` judging the write as resolved (model, parent,
    /// code and every navigation value, keys matched as the writer matches them) before any row
    /// is written; its error refuses the insert.
    pub fn insert_element_checked(&mut self, props: &Json, check: WriteCheck<'_>) -> Result<i64, WriteError> {
        self.self_atomic(|b| b.insert_element_now(props, Some(check)))
    }

    /// Updates the properties present in `props` (which must carry `id`); `null` clears one.
    /// The class and model of an element cannot change.
    pub fn update_element(&mut self, props: &Json) -> Result<(), WriteError> {
        self.atomically(|b| b.update_element_now(props, None))
    }

    /// [`Briefcase::update_element`], with `check` judging the write as resolved (see
    /// [`Briefcase::insert_element_checked`]).
    pub fn update_element_checked(&mut self, props: &Json, check: WriteCheck<'_>) -> Result<(), WriteError> {
        self.atomically(|b| b.update_element_now(props, Some(check)))
    }

    fn insert_element_now(&mut self, props: &Json, mut check: Option<WriteCheck<'_>>) -> Result<i64, WriteError> {
        let obj = as_object(props, "element props")?;
        let class = self.concrete_class(obj, "BisCore:Element", "an element class")?;
        let owner = self.geometry_owner(&class)?;
        let id = self.next_element_id();
        let mut row = Row::new(&class, id);
        let mut bound = Bound::new(owner);
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
                // Time-ordered (UUID version 7, random below the millisecond): the file's unique
                // FederationGuid index then grows at its end instead of at a random page per
                // insert, which at millions of elements no page cache holds.
                row.put(column, Value::Blob(uuid::Uuid::now_v7().as_bytes().to_vec()));
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
        let resolved = ResolvedElement {
            id,
            class: class.full_name(),
            inserting: true,
            model,
            parent: resolved::bound_navigation(&class, &row, "parent").flatten(),
            sets_parent: true,
            code: resolved::bound_code(&class, &row),
            references: resolved::references(&bound.navigations, &NOT_REFERENCES),
        };
        resolved::run_check(self, &mut check, Resolved::Element(resolved))?;
        if let Some(column) = class.property("inSpatialIndex").and_then(|p| p.value_column()) {
            let located = self.is_spatially_located(&model_class, model)?;
            row.put(column, Value::Integer(located as i64));
        }
        let shape = self.bind_shape(&class, &bound, &mut row, None)?;
        self.insert_rows(&class, id, &row)?;
        self.known.insert("bis_Element", id, class.id);
        self.state().inserted_elements.insert(id);
        self.note_shape_written(model, shape.as_ref());
        if self.schema.is_a_named(&self.conn, &class, "BisCore:Category")? {
            if let Err(e) = self.insert_default_subcategory(&class, id, &row) {
                self.undo_insert(&class, id)?;
                return Err(e);
            }
        }
        Ok(id)
    }

    fn update_element_now(&mut self, props: &Json, mut check: Option<WriteCheck<'_>>) -> Result<(), WriteError> {
        let obj = as_object(props, "element props")?;
        let id =
            id64::from_json(obj.get("id").ok_or_else(|| WriteError::MissingProperty { property: "id".into() })?, "id")?;
        let existing: Option<(i64, i64, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT ECClassId, ModelId, ParentId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (class_id, model, stored_parent) =
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
        let owner = self.geometry_owner(&class)?;
        let mut row = Row::new(&class, id);
        let mut bound = Bound::new(owner);
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
        // `model` is checked above under its usual spelling; any other spelling binds the same column.
        if resolved::bound_navigation(&class, &row, "model").is_some_and(|m| m != Some(model)) {
            return Err(WriteError::Invalid(format!("element {} cannot move to another model", id64::format(id))));
        }
        self.check_navigations(&class, &bound.navigations, &mut row)?;
        let new_parent = resolved::bound_navigation(&class, &row, "parent");
        let resolved = ResolvedElement {
            id,
            class: class.full_name(),
            inserting: false,
            model,
            parent: new_parent.unwrap_or(stored_parent),
            sets_parent: new_parent.is_some(),
            code: resolved::bound_code(&class, &row),
            references: resolved::references(&bound.navigations, &NOT_REFERENCES),
        };
        resolved::run_check(self, &mut check, Resolved::Element(resolved))?;
        let shape = self.bind_shape(&class, &bound, &mut row, Some(id))?;
        self.update_row(&class, id, &row)?;
        self.note_shape_written(model, shape.as_ref());
        Ok(())
    }

    /// Encodes `geom` and merges it and `placement` with what element `existing` has stored (an
    /// insert has nothing stored), onto the row's placement, box and stream columns. Returns what
    /// a 3d element gets written; parts have no placement to report.
    fn bind_shape(
        &mut self,
        class: &ClassInfo,
        bound: &Bound<'_>,
        row: &mut Row,
        existing: Option<i64>,
    ) -> Result<Option<ShapeWrite>, WriteError> {
        if bound.geom.is_none() && bound.placement.is_none() {
            return match (bound.owner, existing) {
                (GeometryOwner::Part, None) => Err(WriteError::MissingProperty { property: "geom".into() }),
                _ => Ok(None),
            };
        }
        // Errors name a new element by its code, an existing one by its id; made only when needed.
        let label = |row: &Row| {
            let code_value = match class.property("codeValue").and_then(|p| p.value_column()).map(|c| row.get(c)) {
                Some(Value::Text(v)) if existing.is_none() => Some(v.as_str()),
                _ => None,
            };
            element_label(class, existing, code_value)
        };
        match bound.owner {
            GeometryOwner::Element3d => {
                let geom = match bound.geom {
                    None => GeomProps::Absent,
                    Some(geom) => {
                        let category = self
                            .category_after_write(class, row, existing)?
                            .ok_or_else(|| WriteError::MissingProperty { property: "category".into() })?;
                        self.encode_geometry(geom, Some(category), &label(row))?
                    }
                };
                let stored = match existing {
                    Some(id) => self.stored_shape(class, id)?,
                    None => StoredShape::default(),
                };
                let write = columns::resolve(bound.placement, geom, &stored)
                    .map_err(|why| WriteError::Invalid(format!("{}: {why}", label(row))))?;
                if let Some(placed) = write.placed() {
                    check_storable(placed).map_err(|why| WriteError::Invalid(format!("{}: {why}", label(row))))?;
                }
                columns::put_element_shape(class, &write, row);
                Ok(Some(write))
            }
            GeometryOwner::Part => {
                // Parts take no `placement` (refused while binding), so `geom` is there.
                let Some(geom) = bound.geom else { return Ok(None) };
                let label = label(row);
                match self.encode_geometry(geom, None, &label)? {
                    GeomProps::Encoded(encoded) => columns::put_part_geometry(class, encoded, row),
                    // iTwin.js stores such a part with an inverted (empty) box, which no instance
                    // can be ranged with; refuse it instead.
                    GeomProps::NoGeometry | GeomProps::Absent => {
                        return Err(WriteError::Invalid(format!("{label}: `geom`: a geometry part needs geometry")))
                    }
                }
                Ok(None)
            }
            GeometryOwner::None => Ok(None),
        }
    }

    /// The category an element has once the row is written: the one bound, else the stored one.
    fn category_after_write(
        &mut self,
        class: &ClassInfo,
        row: &Row,
        existing: Option<i64>,
    ) -> Result<Option<i64>, WriteError> {
        let column = class.property("category").and_then(|p| p.value_column());
        if let Some(column) = column.filter(|c| row.assigned[c.table][c.position]) {
            return Ok(match row.get(column) {
                Value::Integer(category) => Some(*category),
                _ => None,
            });
        }
        match existing {
            Some(id) => self.stored_category(class, id),
            None => Ok(None),
        }
    }

    fn note_shape_written(&mut self, model: i64, shape: Option<&ShapeWrite>) {
        self.note_model_changed(model, shape.is_some_and(ShapeWrite::changes_geometry));
        if let Some(placed) = shape.and_then(ShapeWrite::placed) {
            self.note_range_written(&placed.world_range());
        }
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
    fn bind_element_key<'p>(
        &mut self,
        class: &ClassInfo,
        key: &str,
        value: &'p Json,
        row: &mut Row,
        bound: &mut Bound<'p>,
    ) -> Result<(), WriteError> {
        match key {
            "code" => {
                self.bind_code(class, value, row, &mut bound.navigations)?;
                bound.has_code = true;
            }
            "placement" => bound.placement = Some(columns::parse_placement(class, value)?),
            "geom" => {
                if bound.owner == GeometryOwner::None {
                    return Err(WriteError::Invalid(format!(
                        "`geom`: a `{}` has no 3d geometry (only 3d geometric elements and geometry parts take `geom`)",
                        class.full_name()
                    )));
                }
                bound.geom = Some(value);
            }
            // A part's box always follows its geometry; what iTwin.js reports may come back.
            "bbox" if bound.owner == GeometryOwner::Part => {}
            _ => {
                let with_geometry: &[_] = if has_geometry(class) { &RESERVED_WITH_GEOMETRY } else { &[] };
                let rules = Rules { read_only: &[&RESERVED, with_geometry], navigation: true };
                props::bind_wire(class, key, value, &rules, row, &mut bound.navigations)?;
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
            props::bind_wire(class, name, &Json::String(id64::format(id)), &Rules::PLAIN, row, navs)?;
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
        let sub_id = self.insert_element_now(&sub, None)?;
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
/// Refuses a placement that cannot be stored meaningfully (see [`check_coordinate`]); the
/// geometry's own box was checked when it was encoded.
fn check_storable(placed: &itwin_geometry::placement::Placement3d) -> Result<(), String> {
    let located = placed.origin.iter().try_for_each(|&v| check_coordinate(v)).and_then(|()| {
        // An element without geometry has an empty box: only its origin says where it is.
        placed.bbox.check_storable()?;
        placed.world_range().check_storable()
    });
    located.map_err(|why| format!("`placement`: {why}"))?;
    if placed.angles.iter().any(|a| !a.is_finite()) {
        return Err("`placement`: angles must be finite numbers".into());
    }
    Ok(())
}

fn bind_empty_code(class: &ClassInfo, row: &mut Row) -> Result<(), WriteError> {
    for name in ["codeSpec", "codeScope"] {
        let column = class.property(name).and_then(|p| p.value_column()).expect("elements have codes");
        row.put(column, Value::Integer(1));
    }
    Ok(())
}
