//! Class metadata read from the file's own `ec_*` tables: class ids, the tables a class is stored
//! in, and where each property lives (table, column). Nothing here is hard-coded per class, so
//! classes of imported domain schemas are written the same way as BisCore's.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};

use super::error::WriteError;

/// `ec_Class.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassType {
    Entity,
    Relationship,
    Struct,
    CustomAttribute,
}

/// `ec_Property.Kind`, with the primitive type resolved (enumerations to their underlying type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    Primitive(PrimitiveType),
    Struct,
    PrimitiveArray,
    StructArray,
    Navigation,
}

/// `ec_Property.PrimitiveType` (ECObjects `PrimitiveType` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrimitiveType {
    Binary,
    Boolean,
    DateTime,
    Double,
    Integer,
    Long,
    Point2d,
    Point3d,
    String,
    Geometry,
}

impl PrimitiveType {
    fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0x101 => Self::Binary,
            0x201 => Self::Boolean,
            0x301 => Self::DateTime,
            0x401 => Self::Double,
            0x501 => Self::Integer,
            0x601 => Self::Long,
            0x701 => Self::Point2d,
            0x801 => Self::Point3d,
            0x901 => Self::String,
            0xa01 => Self::Geometry,
            _ => return None,
        })
    }
}

/// One table that holds rows of a class; `id_column` takes the instance id, `class_id_column` the class id.
#[derive(Debug)]
pub struct TableMap {
    pub name: String,
    pub id_column: String,
    pub class_id_column: Option<String>,
    /// The columns an insert writes, in order; `ColumnRef::position` indexes into it.
    pub insert_columns: Vec<String>,
    /// `INSERT INTO table (insert_columns) VALUES (?, …)`.
    pub insert_sql: String,
}

/// Where one leaf of a property (its access string, e.g. `Origin.X`) is stored.
#[derive(Debug, Clone)]
pub struct ColumnRef {
    pub access: String,
    pub table: usize,
    pub column: String,
    pub position: usize,
}

/// A navigation property: the relationship it is declared with and which end it points to.
#[derive(Debug, Clone)]
pub struct NavigationInfo {
    pub relationship_id: i64,
    /// True when the property sits on the relationship's source and points to its target.
    pub forward: bool,
}

#[derive(Debug)]
pub struct PropertyMap {
    pub name: String,
    pub json_name: String,
    pub kind: PropertyKind,
    pub extended_type: Option<String>,
    pub navigation: Option<NavigationInfo>,
    /// Leaves that have a real column (virtual columns are dropped).
    pub columns: Vec<ColumnRef>,
}

impl PropertyMap {
    pub fn column(&self, access_suffix: &str) -> Option<&ColumnRef> {
        self.columns.iter().find(|c| {
            c.access.len() > self.name.len() && c.access[self.name.len() + 1..].eq_ignore_ascii_case(access_suffix)
        })
    }

    /// The single column of a primitive or navigation-id leaf.
    pub fn value_column(&self) -> Option<&ColumnRef> {
        match self.kind {
            PropertyKind::Navigation => self.column("Id"),
            _ => self.columns.iter().find(|c| c.access.eq_ignore_ascii_case(&self.name)),
        }
    }
}

/// Everything the writer needs to know about one class.
#[derive(Debug)]
pub struct ClassInfo {
    pub id: i64,
    pub schema: String,
    pub name: String,
    pub class_type: ClassType,
    pub is_abstract: bool,
    /// This class and all its base classes (mixins included).
    pub ancestors: HashSet<i64>,
    /// Tables that hold this class's rows, the primary table first.
    pub tables: Vec<TableMap>,
    pub properties: Vec<PropertyMap>,
    by_json_name: HashMap<String, usize>,
    /// The same, keyed by the exact wire name: the common case needs no lower-casing.
    by_exact_json_name: HashMap<String, usize>,
}

impl ClassInfo {
    /// `Schema:Class`, as iTwin.js writes `classFullName`.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.schema, self.name)
    }

    pub fn is_a(&self, class_id: i64) -> bool {
        self.ancestors.contains(&class_id)
    }

    /// A property by its wire (camelCase) name; matching is case-insensitive like ECSQL.
    pub fn property(&self, json_name: &str) -> Option<&PropertyMap> {
        let index = match self.by_exact_json_name.get(json_name) {
            Some(&i) => i,
            None => *self.by_json_name.get(&json_name.to_ascii_lowercase())?,
        };
        Some(&self.properties[index])
    }
}

/// One end of a relationship: the classes it accepts.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub classes: Vec<(i64, bool)>,
}

#[derive(Debug)]
pub struct RelationshipInfo {
    pub class: Arc<ClassInfo>,
    pub source: Constraint,
    pub target: Constraint,
}

/// (class, EC property, wire name): `SubCategory.Properties` travels as `appearance`.
const WIRE_ALIASES: [(&str, &str, &str); 1] = [("BisCore:SubCategory", "Properties", "appearance")];

/// The wire name of an EC property: iTwin.js lower-cases the first letter.
pub fn json_name(ec_name: &str) -> String {
    let mut chars = ec_name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Per-connection cache of class metadata; read once per class, on first use.
#[derive(Default)]
pub struct SchemaCache {
    by_name: HashMap<String, Arc<ClassInfo>>,
    by_given_name: HashMap<String, Arc<ClassInfo>>,
    by_id: HashMap<i64, Arc<ClassInfo>>,
    relationships: HashMap<i64, Arc<RelationshipInfo>>,
    depth: HashMap<i64, usize>,
    /// Chosen relationship per (declared relationship, class, target class) when none is named.
    pub(super) default_relationships: HashMap<(i64, i64, i64), i64>,
    /// Placement-rule verdict per (model class, element class): the rule broken, if any.
    pub(super) model_rule_verdicts: HashMap<(i64, i64), Option<&'static str>>,
}

impl SchemaCache {
    /// Resolves `Schema:Class` / `Schema.Class` (schema name or alias, case-insensitive).
    pub fn class_by_name(&mut self, conn: &Connection, full_name: &str) -> Result<Arc<ClassInfo>, WriteError> {
        // Names arrive spelled the same way every time; look them up as given before normalising.
        if let Some(found) = self.by_given_name.get(full_name) {
            return Ok(found.clone());
        }
        let key = full_name.to_ascii_lowercase().replace('.', ":");
        if let Some(found) = self.by_name.get(&key).cloned() {
            self.by_given_name.insert(full_name.to_owned(), found.clone());
            return Ok(found);
        }
        let unknown = || WriteError::UnknownClass { class: full_name.to_owned() };
        let (schema, class) = key.split_once(':').ok_or_else(unknown)?;
        let id: Option<i64> = conn
            .prepare_cached(
                "SELECT c.Id FROM ec_Class c JOIN ec_Schema s ON s.Id = c.SchemaId \
                 WHERE (s.Name = ?1 OR s.Alias = ?1) AND c.Name = ?2",
            )?
            .query_row([schema, class], |r| r.get(0))
            .optional()?;
        let info = self.class_by_id(conn, id.ok_or_else(unknown)?)?;
        self.by_name.insert(key, info.clone());
        self.by_given_name.insert(full_name.to_owned(), info.clone());
        Ok(info)
    }

    /// Whether `class` derives from the class named `name` (false if the file has no such class).
    pub fn is_a_named(&mut self, conn: &Connection, class: &ClassInfo, name: &str) -> Result<bool, WriteError> {
        match self.class_by_name(conn, name) {
            Ok(base) => Ok(class.is_a(base.id)),
            Err(WriteError::UnknownClass { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `class` derives from any of the classes named in `names`.
    pub fn is_a_any(&mut self, conn: &Connection, class: &ClassInfo, names: &[&str]) -> Result<bool, WriteError> {
        for name in names {
            if self.is_a_named(conn, class, name)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn class_by_id(&mut self, conn: &Connection, id: i64) -> Result<Arc<ClassInfo>, WriteError> {
        if let Some(found) = self.by_id.get(&id) {
            return Ok(found.clone());
        }
        let mut info = load_class(conn, id)?;
        self.apply_wire_aliases(conn, &mut info)?;
        let info = Arc::new(info);
        self.by_id.insert(id, info.clone());
        Ok(info)
    }

    /// Wire names that iTwin.js gives some properties instead of their camelCase EC name.
    fn apply_wire_aliases(&mut self, conn: &Connection, info: &mut ClassInfo) -> Result<(), WriteError> {
        for (class_name, property, wire_name) in WIRE_ALIASES {
            let (schema, class) = class_name.split_once(':').expect("Schema:Class");
            let alias_class: Option<i64> = conn
                .prepare_cached("SELECT c.Id FROM ec_Class c JOIN ec_Schema s ON s.Id = c.SchemaId WHERE s.Name = ?1 AND c.Name = ?2")?
                .query_row([schema, class], |r| r.get(0))
                .optional()?;
            if alias_class.is_some_and(|c| info.is_a(c)) {
                if let Some(p) = info.properties.iter_mut().find(|p| p.name.eq_ignore_ascii_case(property)) {
                    p.json_name = wire_name.to_string();
                }
            }
        }
        info.by_json_name =
            info.properties.iter().enumerate().map(|(i, p)| (p.json_name.to_ascii_lowercase(), i)).collect();
        info.by_exact_json_name = info.properties.iter().enumerate().map(|(i, p)| (p.json_name.clone(), i)).collect();
        Ok(())
    }

    pub fn relationship(&mut self, conn: &Connection, id: i64) -> Result<Arc<RelationshipInfo>, WriteError> {
        if let Some(found) = self.relationships.get(&id) {
            return Ok(found.clone());
        }
        let class = self.class_by_id(conn, id)?;
        if class.class_type != ClassType::Relationship {
            return Err(WriteError::WrongKindOfClass { class: class.full_name(), expected: "a relationship class" });
        }
        let mut source = Constraint { classes: Vec::new() };
        let mut target = Constraint { classes: Vec::new() };
        let mut stmt = conn.prepare_cached(
            "SELECT rc.RelationshipEnd, rcc.ClassId, rc.IsPolymorphic FROM ec_RelationshipConstraint rc \
             JOIN ec_RelationshipConstraintClass rcc ON rcc.ConstraintId = rc.Id WHERE rc.RelationshipClassId = ?1",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (end, class_id, polymorphic) = row?;
            let constraint = if end == 0 { &mut source } else { &mut target };
            constraint.classes.push((class_id, polymorphic));
        }
        let info = Arc::new(RelationshipInfo { class, source, target });
        self.relationships.insert(id, info.clone());
        Ok(info)
    }

    /// How many classes `class_id` derives from (itself included): a measure of specificity.
    pub fn depth(&mut self, conn: &Connection, class_id: i64) -> Result<usize, WriteError> {
        if let Some(&d) = self.depth.get(&class_id) {
            return Ok(d);
        }
        let d = self.class_by_id(conn, class_id)?.ancestors.len();
        self.depth.insert(class_id, d);
        Ok(d)
    }

    /// All non-abstract relationship classes derived from `relationship_id` (itself included).
    pub fn derived_relationships(
        &mut self,
        conn: &Connection,
        relationship_id: i64,
    ) -> Result<Vec<Arc<RelationshipInfo>>, WriteError> {
        let ids: Vec<i64> = conn
            .prepare_cached("SELECT ClassId FROM ec_cache_ClassHierarchy WHERE BaseClassId = ?1 ORDER BY ClassId")?
            .query_map([relationship_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let rel = self.relationship(conn, id)?;
            if !rel.class.is_abstract {
                out.push(rel);
            }
        }
        Ok(out)
    }
}

impl Constraint {
    /// Whether an instance of `class` may sit at this end.
    pub fn accepts(&self, class: &ClassInfo) -> bool {
        self.classes.iter().any(|&(id, polymorphic)| class.id == id || (polymorphic && class.is_a(id)))
    }

    /// The depth of the most specific constraint class that accepts `class`, if any.
    pub fn match_depth(
        &self,
        class: &ClassInfo,
        depth_of: &mut impl FnMut(i64) -> Result<usize, WriteError>,
    ) -> Result<Option<usize>, WriteError> {
        let mut best = None;
        for &(id, polymorphic) in &self.classes {
            if class.id == id || (polymorphic && class.is_a(id)) {
                let d = depth_of(id)?;
                best = Some(best.map_or(d, |b: usize| b.max(d)));
            }
        }
        Ok(best)
    }
}

fn load_class(conn: &Connection, id: i64) -> Result<ClassInfo, WriteError> {
    let (schema, name, class_type, modifier): (String, String, i64, i64) = conn
        .prepare_cached(
            "SELECT s.Name, c.Name, c.Type, c.Modifier FROM ec_Class c JOIN ec_Schema s ON s.Id = c.SchemaId WHERE c.Id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?
        .ok_or_else(|| WriteError::UnknownClass { class: format!("class id {id}") })?;
    let class_type = match class_type {
        0 => ClassType::Entity,
        1 => ClassType::Relationship,
        2 => ClassType::Struct,
        _ => ClassType::CustomAttribute,
    };
    let mut ancestors: HashSet<i64> = conn
        .prepare_cached("SELECT BaseClassId FROM ec_cache_ClassHierarchy WHERE ClassId = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ancestors.insert(id);

    let mut tables: Vec<TableMap> = Vec::new();
    let mut properties: Vec<PropertyMap> = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT pp.AccessString, t.Name, col.Name, col.IsVirtual, col.ColumnKind, \
                p.Name, p.Kind, p.PrimitiveType, p.ExtendedTypeName, e.UnderlyingPrimitiveType, \
                p.NavigationRelationshipClassId, p.NavigationDirection \
         FROM ec_PropertyMap pm \
         JOIN ec_PropertyPath pp ON pp.Id = pm.PropertyPathId \
         JOIN ec_Property p ON p.Id = pp.RootPropertyId \
         LEFT JOIN ec_Enumeration e ON e.Id = p.EnumerationId \
         JOIN ec_Column col ON col.Id = pm.ColumnId \
         JOIN ec_Table t ON t.Id = col.TableId \
         WHERE pm.ClassId = ?1 ORDER BY t.Type, t.Id, col.Ordinal",
    )?;
    struct Leaf {
        access: String,
        table: String,
        column: String,
        is_virtual: bool,
        column_kind: i64,
        property: String,
        kind: i64,
        primitive: Option<i64>,
        extended_type: Option<String>,
        enum_type: Option<i64>,
        nav_rel: Option<i64>,
        nav_direction: Option<i64>,
    }
    let leaves = stmt.query_map([id], |r| {
        Ok(Leaf {
            access: r.get(0)?,
            table: r.get(1)?,
            column: r.get(2)?,
            is_virtual: r.get(3)?,
            column_kind: r.get(4)?,
            property: r.get(5)?,
            kind: r.get(6)?,
            primitive: r.get(7)?,
            extended_type: r.get(8)?,
            enum_type: r.get(9)?,
            nav_rel: r.get(10)?,
            nav_direction: r.get(11)?,
        })
    })?;
    // ECInstanceId/ECClassId system properties have no ec_Property row of their own in the map's
    // root; their leaves are recognised by the column kind (1 = instance id, 2 = class id).
    let mut system_leaves = Vec::new();
    let mut data_leaves = Vec::new();
    for leaf in leaves {
        let leaf = leaf?;
        if leaf.is_virtual {
            continue;
        }
        if leaf.access.eq_ignore_ascii_case("ECInstanceId") || leaf.access.eq_ignore_ascii_case("ECClassId") {
            system_leaves.push(leaf);
        } else {
            data_leaves.push(leaf);
        }
    }
    for leaf in &system_leaves {
        let index = match tables.iter().position(|t| t.name == leaf.table) {
            Some(i) => i,
            None => {
                tables.push(TableMap {
                    name: leaf.table.clone(),
                    id_column: String::new(),
                    class_id_column: None,
                    insert_columns: Vec::new(),
                    insert_sql: String::new(),
                });
                tables.len() - 1
            }
        };
        if leaf.column_kind & 1 != 0 {
            tables[index].id_column = leaf.column.clone();
        } else {
            tables[index].class_id_column = Some(leaf.column.clone());
        }
    }
    tables.retain(|t| !t.id_column.is_empty());
    for t in &mut tables {
        t.insert_columns.push(t.id_column.clone());
        if let Some(c) = &t.class_id_column {
            t.insert_columns.push(c.clone());
        }
    }
    for leaf in data_leaves {
        // Relationship end class ids (SourceECClassId …) map into the endpoint's table: read-only.
        let Some(table) = tables.iter().position(|t| t.name == leaf.table) else {
            continue;
        };
        if leaf.column_kind & 2 != 0 {
            continue;
        }
        let kind = match leaf.kind {
            0 => {
                let code = leaf.primitive.or(leaf.enum_type).unwrap_or(0x901);
                PropertyKind::Primitive(PrimitiveType::from_code(code).unwrap_or(PrimitiveType::String))
            }
            1 => PropertyKind::Struct,
            2 => PropertyKind::PrimitiveArray,
            3 => PropertyKind::StructArray,
            _ => PropertyKind::Navigation,
        };
        let t = &mut tables[table];
        let position = t.insert_columns.len();
        t.insert_columns.push(leaf.column.clone());
        let column = ColumnRef { access: leaf.access.clone(), table, column: leaf.column, position };
        match properties.iter_mut().find(|p| p.name.eq_ignore_ascii_case(&leaf.property)) {
            Some(p) => p.columns.push(column),
            None => properties.push(PropertyMap {
                json_name: json_name(&leaf.property),
                name: leaf.property,
                kind,
                extended_type: leaf.extended_type,
                navigation: leaf
                    .nav_rel
                    .map(|rel| NavigationInfo { relationship_id: rel, forward: leaf.nav_direction == Some(1) }),
                columns: vec![column],
            }),
        }
    }
    for t in &mut tables {
        let columns: Vec<String> = t.insert_columns.iter().map(|c| format!("[{c}]")).collect();
        let params = vec!["?"; columns.len()].join(", ");
        t.insert_sql = format!("INSERT INTO [{}] ({}) VALUES ({})", t.name, columns.join(", "), params);
    }
    let by_json_name = properties.iter().enumerate().map(|(i, p)| (p.json_name.to_ascii_lowercase(), i)).collect();
    Ok(ClassInfo {
        id,
        schema,
        name,
        class_type,
        is_abstract: modifier == 1,
        ancestors,
        tables,
        properties,
        by_json_name,
        by_exact_json_name: HashMap::new(),
    })
}
