//! Link-table relationships (ElementGroupsMembers, ElementHasLinks,
//! SynchronizationConfigSpecifiesRootSources, …): rows of their own between two elements.

use rusqlite::types::Value;
use serde_json::Value as Json;

use super::elements::as_object;
use super::error::WriteError;
use super::id64;
use super::props::{self, Row, Rules};
use super::resolved::{self, Resolved, WriteCheck};
use super::Briefcase;

/// Relationship rows: the ends are bound by the caller; navigation properties are not supported.
const RELATIONSHIP_RULES: Rules<'static> = Rules { read_only: &[], navigation: false };

impl Briefcase {
    /// Inserts a relationship from wire props (`classFullName`, `sourceId`, `targetId`, and the
    /// class's own properties such as `memberPriority`) and returns its id.
    pub fn insert_relationship(&mut self, props: &Json) -> Result<i64, WriteError> {
        self.atomically(|b| b.insert_relationship_now(props, None))
    }

    /// [`Briefcase::insert_relationship`], with `check` judging the resolved source and target
    /// first (see [`Briefcase::insert_element_checked`]).
    pub fn insert_relationship_checked(&mut self, props: &Json, check: WriteCheck<'_>) -> Result<i64, WriteError> {
        self.atomically(|b| b.insert_relationship_now(props, Some(check)))
    }

    fn insert_relationship_now(&mut self, props: &Json, mut check: Option<WriteCheck<'_>>) -> Result<i64, WriteError> {
        let b = self;
        {
            let obj = as_object(props, "relationship props")?;
            let name = obj
                .get("classFullName")
                .and_then(Json::as_str)
                .ok_or_else(|| WriteError::MissingProperty { property: "classFullName".into() })?;
            let class = b.schema.class_by_name(&b.conn, name)?;
            let rel = b.schema.relationship(&b.conn, class.id)?;
            if class.is_abstract {
                return Err(WriteError::AbstractClass { class: class.full_name() });
            }
            if class.property("sourceECInstanceId").is_none() || class.tables.is_empty() {
                return Err(WriteError::WrongKindOfClass {
                    class: class.full_name(),
                    expected: "a link-table relationship class",
                });
            }
            let id = b.next_instance_id();
            let mut row = Row::new(&class, id);
            for (key, value) in obj {
                let prop_name = match key.as_str() {
                    "classFullName" | "id" => continue,
                    "sourceId" => "sourceECInstanceId",
                    "targetId" => "targetECInstanceId",
                    other => other,
                };
                let prop = props::wire_property(&class, prop_name, &RELATIONSHIP_RULES)?;
                // The ends are checked whatever the key's spelling (`SourceECInstanceId` too).
                let end = if prop.name.eq_ignore_ascii_case("SourceECInstanceId") {
                    Some(&rel.source)
                } else if prop.name.eq_ignore_ascii_case("TargetECInstanceId") {
                    Some(&rel.target)
                } else {
                    None
                };
                let column = prop
                    .value_column()
                    .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: key.clone() })?;
                match end {
                    Some(constraint) => {
                        let element = id64::from_json(value, key)?;
                        let end_class = b.end_class_of(element, constraint, key)?;
                        if !constraint.accepts(&end_class) {
                            return Err(WriteError::WrongClass {
                                what: format!("{key} of `{}`", class.full_name()),
                                id: id64::format(element),
                                found: end_class.full_name(),
                                expected: constraint_names(b, &constraint.classes)?,
                            });
                        }
                        row.put(column, Value::Integer(element));
                    }
                    None => {
                        props::bind_value(&class, prop, key, value, &RELATIONSHIP_RULES, &mut row, &mut Vec::new())?
                    }
                }
            }
            let mut ends = [0; 2];
            for (i, (end, prop)) in
                [("sourceId", "sourceECInstanceId"), ("targetId", "targetECInstanceId")].iter().enumerate()
            {
                let column = class.property(prop).and_then(|p| p.value_column()).expect("checked above");
                match row.get(column) {
                    Value::Integer(element) => ends[i] = *element,
                    _ => return Err(WriteError::MissingProperty { property: (*end).into() }),
                }
            }
            let [source, target] = ends;
            resolved::run_check(b, &mut check, Resolved::Relationship { class: class.full_name(), source, target })?;
            b.insert_rows(&class, id, &row)?;
            Ok(id)
        }
    }

    /// Ids of the relationships of class `class_full_name` (exactly that class) from `source` to `target`.
    pub fn find_relationships(
        &mut self,
        class_full_name: &str,
        source: i64,
        target: i64,
    ) -> Result<Vec<i64>, WriteError> {
        let from = self.relationships_from(class_full_name, source)?;
        Ok(from.into_iter().filter(|&(_, t)| t == target).map(|(id, _)| id).collect())
    }

    /// The relationships of class `class_full_name` (exactly that class) from `source`:
    /// (relationship id, target id), in id order.
    pub fn relationships_from(&mut self, class_full_name: &str, source: i64) -> Result<Vec<(i64, i64)>, WriteError> {
        let class = self.schema.class_by_name(&self.conn, class_full_name)?;
        let (Some(s), Some(t)) = (
            class.property("sourceECInstanceId").and_then(|p| p.value_column()),
            class.property("targetECInstanceId").and_then(|p| p.value_column()),
        ) else {
            return Err(WriteError::WrongKindOfClass {
                class: class.full_name(),
                expected: "a link-table relationship class",
            });
        };
        let table = &class.tables[s.table];
        let sql = format!(
            "SELECT [{}], [{}] FROM [{}] WHERE [{}] = ?1 AND {}",
            table.id_column,
            t.column,
            table.name,
            s.column,
            of_class(table)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![source, class.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut rows: Vec<(i64, i64)> = rows.collect::<Result<_, _>>()?;
        rows.sort_unstable();
        Ok(rows)
    }

    /// The source element of relationship `id` of class `class_full_name`, if it exists.
    pub fn relationship_source(&mut self, class_full_name: &str, id: i64) -> Result<Option<i64>, WriteError> {
        let class = self.schema.class_by_name(&self.conn, class_full_name)?;
        let Some(s) = class.property("sourceECInstanceId").and_then(|p| p.value_column()) else {
            return Err(WriteError::WrongKindOfClass {
                class: class.full_name(),
                expected: "a link-table relationship class",
            });
        };
        let table = &class.tables[s.table];
        let sql = format!(
            "SELECT [{}] FROM [{}] WHERE [{}] = ?1 AND {}",
            s.column,
            table.name,
            table.id_column,
            of_class(table)
        );
        Ok(rusqlite::OptionalExtension::optional(
            self.conn.prepare_cached(&sql)?.query_row(rusqlite::params![id, class.id], |r| r.get(0)),
        )?)
    }

    /// Deletes the relationship `id` of class `class_full_name`.
    pub fn delete_relationship(&mut self, class_full_name: &str, id: i64) -> Result<(), WriteError> {
        self.atomically(|b| {
            let class = b.schema.class_by_name(&b.conn, class_full_name)?;
            let table = class.tables.first().ok_or_else(|| WriteError::WrongKindOfClass {
                class: class.full_name(),
                expected: "a link-table relationship class",
            })?;
            let sql = format!("DELETE FROM [{}] WHERE [{}] = ?1 AND {}", table.name, table.id_column, of_class(table));
            if b.conn.prepare_cached(&sql)?.execute(rusqlite::params![id, class.id])? == 0 {
                return Err(WriteError::NotFound {
                    what: format!("`{}` relationship", class.full_name()),
                    id: id64::format(id),
                });
            }
            Ok(())
        })
    }

    /// The class of a relationship end: element `id`'s, or — for ends that are models, such as
    /// a ModelSelector's targets — the class of model `id` when the element's does not fit.
    fn end_class_of(
        &mut self,
        id: i64,
        constraint: &super::ecschema::Constraint,
        what: &str,
    ) -> Result<std::sync::Arc<super::ClassInfo>, WriteError> {
        let element = self.element_class_of(id, what)?;
        if constraint.accepts(&element) {
            return Ok(element);
        }
        let model: Option<i64> = rusqlite::OptionalExtension::optional(
            self.conn.prepare_cached("SELECT ECClassId FROM bis_Model WHERE Id = ?1")?.query_row([id], |r| r.get(0)),
        )?;
        match model {
            Some(class_id) => {
                let model = self.schema.class_by_id(&self.conn, class_id)?;
                Ok(if constraint.accepts(&model) { model } else { element })
            }
            None => Ok(element),
        }
    }

    /// The class of element `id`, or NotFound naming `what`.
    pub(super) fn element_class_of(
        &mut self,
        id: i64,
        what: &str,
    ) -> Result<std::sync::Arc<super::ClassInfo>, WriteError> {
        let class_id = match self.known.get("bis_Element", id) {
            Some(c) => c,
            None => {
                let found: Option<i64> = rusqlite::OptionalExtension::optional(
                    self.conn
                        .prepare_cached("SELECT ECClassId FROM bis_Element WHERE Id = ?1")?
                        .query_row([id], |r| r.get(0)),
                )?;
                let c = found.ok_or_else(|| WriteError::NotFound { what: what.to_owned(), id: id64::format(id) })?;
                self.known.insert("bis_Element", id, c);
                c
            }
        };
        self.schema.class_by_id(&self.conn, class_id)
    }
}

fn constraint_names(b: &mut Briefcase, classes: &[(i64, bool)]) -> Result<String, WriteError> {
    let mut names = Vec::new();
    for &(id, _) in classes {
        names.push(b.schema.class_by_id(&b.conn, id)?.full_name());
    }
    Ok(names.join(" or "))
}

/// The condition that picks rows of the class bound to `?2`: a relationship class with a table of
/// its own (ModelSelectorRefersToModels) has no class id column, every row is of that class
/// (`?2` is still bound, so the statements keep one parameter list).
fn of_class(table: &super::ecschema::TableMap) -> String {
    match &table.class_id_column {
        Some(column) => format!("[{column}] = ?2"),
        None => "?2 = ?2".to_owned(),
    }
}
