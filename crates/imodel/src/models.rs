//! Models: which elements a model may hold, and inserting the model of a partition (or any
//! sub-modeled element).

use rusqlite::{Connection, OptionalExtension};
use serde_json::Value as Json;

use super::ecschema::{ClassInfo, SchemaCache};
use super::elements::as_object;
use super::error::WriteError;
use super::id64;
use super::props::{self, Row, Rules};
use super::resolved::{self, Resolved, WriteCheck};
use super::Briefcase;

/// Model properties the native library maintains.
const MODEL_PROPERTIES: Rules<'static> = Rules {
    read_only: &[&[("LastMod", "the iModel maintains it"), ("GeometryGuid", "the iModel maintains it")]],
    navigation: true,
};

/// Where an element of a class may live (element class → model classes), as the native
/// library's element handlers enforce it; the schema alone does not say this.
const ELEMENT_RULES: &[(&str, &[&str], &str)] = &[
    ("BisCore:Subject", &["BisCore:RepositoryModel"], "subjects belong to the repository model (0x1)"),
    (
        "BisCore:InformationPartitionElement",
        &["BisCore:RepositoryModel"],
        "partitions belong to the repository model (0x1)",
    ),
    ("BisCore:DefinitionElement", &["BisCore:DefinitionModel"], "definition elements belong to a definition model"),
    ("BisCore:GeometricElement3d", &["BisCore:GeometricModel3d"], "3d geometric elements belong to a 3d model"),
    ("BisCore:GeometricElement2d", &["BisCore:GeometricModel2d"], "2d geometric elements belong to a 2d model"),
    ("BisCore:LinkElement", &["BisCore:InformationModel"], "link elements belong to an information model"),
];

/// What a model may hold (model class → element classes), from the native model handlers.
const MODEL_RULES: &[(&str, &[&str], &str)] = &[
    (
        "BisCore:GroupInformationModel",
        &["BisCore:GroupInformationElement"],
        "a group information model holds only group information elements",
    ),
    ("BisCore:LinkModel", &["BisCore:LinkElement"], "a link model holds only link elements"),
    ("BisCore:DocumentListModel", &["BisCore:Document"], "a document list model holds only documents"),
];

/// The first rule an element of class `element` in a model of class `model_class` breaks.
fn rule_broken(
    schema: &mut SchemaCache,
    conn: &Connection,
    model_class: &ClassInfo,
    element: &ClassInfo,
) -> Result<Option<&'static str>, WriteError> {
    for (element_class, models, rule) in ELEMENT_RULES {
        if schema.is_a_any(conn, element, &[element_class])? && !schema.is_a_any(conn, model_class, models)? {
            return Ok(Some(rule));
        }
    }
    for (model_name, elements, rule) in MODEL_RULES {
        if schema.is_a_any(conn, model_class, &[model_name])? && !schema.is_a_any(conn, element, elements)? {
            return Ok(Some(rule));
        }
    }
    Ok(None)
}

impl Briefcase {
    /// Checks the BIS placement rules for an element of `element` class in `model`; the verdict
    /// is cached per pair of classes.
    pub(super) fn check_model_accepts(
        &mut self,
        model_class: &ClassInfo,
        element: &ClassInfo,
        model: i64,
    ) -> Result<(), WriteError> {
        let key = (model_class.id, element.id);
        let verdict = match self.schema.model_rule_verdicts.get(&key) {
            Some(v) => *v,
            None => {
                let v = rule_broken(&mut self.schema, &self.conn, model_class, element)?;
                self.schema.model_rule_verdicts.insert(key, v);
                v
            }
        };
        match verdict {
            None => Ok(()),
            Some(rule) => Err(WriteError::WrongModel {
                class: element.full_name(),
                model: id64::format(model),
                model_class: model_class.full_name(),
                rule,
            }),
        }
    }

    /// Inserts a model (wire `ModelProps`: `classFullName`, `modeledElement`, optional
    /// `parentModel`, `isPrivate`, `isTemplate`, `jsonProperties` and class properties). Its id is
    /// the modeled element's id.
    pub fn insert_model(&mut self, props: &Json) -> Result<i64, WriteError> {
        self.atomically(|b| b.insert_model_now(props, None))
    }

    /// [`Briefcase::insert_model`], with `check` judging the resolved write first (see
    /// [`Briefcase::insert_element_checked`]).
    pub fn insert_model_checked(&mut self, props: &Json, check: WriteCheck<'_>) -> Result<i64, WriteError> {
        self.atomically(|b| b.insert_model_now(props, Some(check)))
    }

    fn insert_model_now(&mut self, props: &Json, mut check: Option<WriteCheck<'_>>) -> Result<i64, WriteError> {
        let obj = as_object(props, "model props")?;
        let class = self.concrete_class(obj, "BisCore:Model", "a model class")?;
        // The modeled element is the model's id: found under any spelling of its key, as the
        // binding below would find it, and it must be given exactly once.
        let mut modeled_keys = obj
            .iter()
            .filter(|(k, _)| class.property(k).is_some_and(|p| p.name.eq_ignore_ascii_case("ModeledElement")));
        let (_, modeled) =
            modeled_keys.next().ok_or_else(|| WriteError::MissingProperty { property: "modeledElement".into() })?;
        if modeled_keys.next().is_some() {
            return Err(WriteError::Invalid("`modeledElement` is given more than once".into()));
        }
        let id = id64::from_json(modeled, "modeledElement")?;
        let element_model: Option<i64> =
            self.conn.query_row("SELECT ModelId FROM bis_Element WHERE Id = ?1", [id], |r| r.get(0)).optional()?;
        let element_model = element_model
            .ok_or_else(|| WriteError::NotFound { what: "modeledElement".into(), id: id64::format(id) })?;
        let taken: bool =
            self.conn.query_row("SELECT count(*) FROM bis_Model WHERE Id = ?1", [id], |r| r.get::<_, i64>(0))? > 0;
        if taken {
            return Err(WriteError::Invalid(format!("element {} already has a model", id64::format(id))));
        }
        let mut row = Row::new(&class, id);
        let mut navigations = Vec::new();
        let mut defaults = serde_json::Map::new();
        defaults.insert("parentModel".into(), Json::String(id64::format(element_model)));
        defaults.insert("isPrivate".into(), Json::Bool(false));
        defaults.insert("isTemplate".into(), Json::Bool(false));
        // 3d models carry two more flags the native library writes as false.
        for flag in ["isNotSpatiallyLocated", "isPlanProjection"] {
            if class.property(flag).is_some() {
                defaults.insert(flag.into(), Json::Bool(false));
            }
        }
        for (key, value) in defaults.iter().filter(|(k, _)| !obj.contains_key(*k)).chain(obj.iter()) {
            if key == "classFullName" || key == "id" || key == "name" {
                continue;
            }
            props::bind_wire(&class, key, value, &MODEL_PROPERTIES, &mut row, &mut navigations)?;
        }
        self.check_navigations(&class, &navigations, &mut row)?;
        let references = resolved::references(&navigations, &["ModeledElement"]);
        resolved::run_check(self, &mut check, Resolved::Model { id, class: class.full_name(), references })?;
        self.insert_rows(&class, id, &row)?;
        // LastMod is set at commit, with the other model bookkeeping.
        self.note_model_changed(id, false);
        self.known.insert(&class.tables[0].name, id, class.id);
        Ok(id)
    }
}
