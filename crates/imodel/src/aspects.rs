//! Element aspects, and the ExternalSourceAspect lookups change detection runs on.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde_json::Value as Json;

use super::ecschema::ClassInfo;
use super::elements::as_object;
use super::error::WriteError;
use super::id64;
use super::props::{self, Row, Rules};
use super::Briefcase;

/// One ExternalSourceAspect: the provenance of an element in a source.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalSourceAspectRow {
    /// The aspect's id.
    pub id: i64,
    /// The element it belongs to.
    pub element_id: i64,
    /// The scope element its identifier is unique in.
    pub scope: i64,
    /// Its Kind (`Element`, `DocumentWithBeGuid`, …).
    pub kind: String,
    /// The item's id in the source.
    pub identifier: String,
    /// The item's version.
    pub version: Option<String>,
    /// The item's checksum.
    pub checksum: Option<String>,
    /// The ExternalSource it came from.
    pub source: Option<i64>,
    /// Its jsonProperties text.
    pub json_properties: Option<String>,
}

/// What deletion detection needs of an ExternalSourceAspect: whose it is and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AspectProvenance {
    /// The element the aspect belongs to.
    pub element_id: i64,
    /// The aspect's scope.
    pub scope: i64,
    /// The ExternalSource it came from.
    pub source: Option<i64>,
}

/// The SQL of the ExternalSourceAspect lookups, built once from the file's property map.
pub(super) struct AspectQueries {
    provenance: String,
    find: String,
    by_element: String,
    in_scope: String,
    elements_in_scope: String,
}

const ASPECT_ROOTS: [&str; 2] = ["BisCore:ElementMultiAspect", "BisCore:ElementUniqueAspect"];

impl Briefcase {
    /// Inserts an aspect from wire props (`classFullName`, `element: { id }`, and the class's
    /// properties, e.g. `scope`, `source`, `identifier`, `kind`, `version`, `checksum`,
    /// `jsonProperties` of an ExternalSourceAspect) and returns its id.
    pub fn insert_aspect(&mut self, props: &Json) -> Result<i64, WriteError> {
        // Checked before writing, and undone on a late failure, like element inserts.
        self.self_atomic(|b| b.insert_aspect_now(props))
    }

    /// Updates the properties present in `props` (which must carry the aspect's `id`).
    pub fn update_aspect(&mut self, props: &Json) -> Result<(), WriteError> {
        self.atomically(|b| b.update_aspect_now(props))
    }

    /// Deletes an aspect.
    pub fn delete_aspect(&mut self, id: i64) -> Result<(), WriteError> {
        self.atomically(|b| {
            let (class, element) = b.aspect_class(id)?;
            let table = &class.tables[0];
            b.conn
                .prepare_cached(&format!("DELETE FROM [{}] WHERE [{}] = ?1", table.name, table.id_column))?
                .execute([id])?;
            b.touch_element(element)?;
            Ok(())
        })
    }

    /// The `Owner` of an element's `BisCore:ChannelRootAspect` (its channel key), if it has one.
    pub fn channel_root_owner(&mut self, element: i64) -> Result<Option<String>, WriteError> {
        let class = self.schema.class_by_name(&self.conn, "BisCore:ChannelRootAspect")?;
        let column = |name: &str| {
            class
                .property(name)
                .and_then(|p| p.value_column())
                .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: name.into() })
        };
        let (owner, of) = (column("owner")?, column("element")?);
        let table = &class.tables[owner.table];
        let sql =
            format!("SELECT [{}] FROM [{}] WHERE [{}] = ?1 AND ECClassId = ?2", owner.column, table.name, of.column);
        Ok(self.conn.prepare_cached(&sql)?.query_row(rusqlite::params![element, class.id], |r| r.get(0)).optional()?)
    }

    /// The ExternalSourceAspects with this scope, kind and identifier (usually one).
    pub fn find_external_source_aspects(
        &mut self,
        scope: i64,
        kind: &str,
        identifier: &str,
    ) -> Result<Vec<ExternalSourceAspectRow>, WriteError> {
        let sql = self.aspect_queries()?.find.clone();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![scope, identifier, kind], read_aspect_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ExternalSourceAspects of an element.
    pub fn external_source_aspects_of(&mut self, element: i64) -> Result<Vec<ExternalSourceAspectRow>, WriteError> {
        let sql = self.aspect_queries()?.by_element.clone();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([element], read_aspect_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ExternalSourceAspects in `scope` with `kind`.
    pub fn external_source_aspects_in_scope(
        &mut self,
        scope: i64,
        kind: &str,
    ) -> Result<Vec<ExternalSourceAspectRow>, WriteError> {
        let sql = self.aspect_queries()?.in_scope.clone();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![scope, kind], read_aspect_row)?;
        let mut rows: Vec<ExternalSourceAspectRow> = rows.collect::<Result<_, _>>()?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// The elements tracked by an ExternalSourceAspect in `scope` (of any kind), in aspect order.
    pub fn elements_tracked_in_scope(&mut self, scope: i64) -> Result<Vec<i64>, WriteError> {
        let sql = self.aspect_queries()?.elements_in_scope.clone();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([scope], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `visit` with the provenance of every ExternalSourceAspect in the iModel, in aspect
    /// order, holding none of them: deletion detection reads them once per job, and a job of ten
    /// million elements has as many.
    pub fn visit_external_source_aspect_provenance(
        &mut self,
        mut visit: impl FnMut(AspectProvenance),
    ) -> Result<(), WriteError> {
        let sql = self.aspect_queries()?.provenance.clone();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            visit(AspectProvenance { element_id: r.get(0)?, scope: r.get(1)?, source: r.get(2)? });
        }
        Ok(())
    }

    fn insert_aspect_now(&mut self, props: &Json) -> Result<i64, WriteError> {
        let obj = as_object(props, "aspect props")?;
        let class = self.concrete_class(obj, "BisCore:ElementAspect", "an aspect class")?;
        let id = self.next_instance_id();
        let mut row = Row::new(&class, id);
        let mut navigations = Vec::new();
        for (key, value) in obj {
            if key == "classFullName" || key == "id" {
                continue;
            }
            props::bind_wire(&class, key, value, &Rules::PLAIN, &mut row, &mut navigations)?;
        }
        let element = match class.property("element").and_then(|p| p.value_column()).map(|c| row.get(c)) {
            Some(Value::Integer(e)) => *e,
            _ => return Err(WriteError::MissingProperty { property: "element".into() }),
        };
        self.check_navigations(&class, &navigations, &mut row)?;
        self.insert_rows(&class, id, &row)?;
        // The native library marks the owner modified when one of its aspects changes.
        self.touch_element(element)?;
        Ok(id)
    }

    fn update_aspect_now(&mut self, props: &Json) -> Result<(), WriteError> {
        let obj = as_object(props, "aspect props")?;
        let id =
            id64::from_json(obj.get("id").ok_or_else(|| WriteError::MissingProperty { property: "id".into() })?, "id")?;
        let (class, element) = self.aspect_class(id)?;
        let mut row = Row::new(&class, id);
        let mut navigations = Vec::new();
        for (key, value) in obj {
            if key == "classFullName" || key == "id" {
                continue;
            }
            let prop = props::wire_property(&class, key, &Rules::PLAIN)?;
            if prop.name.eq_ignore_ascii_case("Element") && id64::from_json(value, "element")? != element {
                return Err(WriteError::Invalid(format!("aspect {} cannot move to another element", id64::format(id))));
            }
            props::bind_value(&class, prop, key, value, &Rules::PLAIN, &mut row, &mut navigations)?;
        }
        self.check_navigations(&class, &navigations, &mut row)?;
        self.update_row(&class, id, &row)?;
        self.touch_element(element)?;
        Ok(())
    }

    /// Writes the assigned columns of `row` with one UPDATE per table.
    pub(super) fn update_row(&mut self, class: &ClassInfo, id: i64, row: &Row) -> Result<(), WriteError> {
        for (t, table) in class.tables.iter().enumerate() {
            let mut sets = Vec::new();
            let mut values = Vec::new();
            for (c, column) in table.insert_columns.iter().enumerate() {
                if row.assigned[t][c] {
                    sets.push(format!("[{column}] = ?"));
                    values.push(row.values[t][c].clone());
                }
            }
            if sets.is_empty() {
                continue;
            }
            values.push(Value::Integer(id));
            let sql = format!("UPDATE [{}] SET {} WHERE [{}] = ?", table.name, sets.join(", "), table.id_column);
            let result = self.conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values));
            if let Err(e) = result {
                return Err(self.explain_constraint(e, class, row));
            }
        }
        Ok(())
    }

    /// The class and owner of aspect `id`, looked up in both aspect tables.
    pub(super) fn aspect_class(&mut self, id: i64) -> Result<(Arc<ClassInfo>, i64), WriteError> {
        for root in ASPECT_ROOTS {
            let root = self.schema.class_by_name(&self.conn, root)?;
            let table = &root.tables[0];
            let element_col = root
                .property("element")
                .and_then(|p| p.value_column())
                .map(|c| c.column.clone())
                .unwrap_or_else(|| "ElementId".into());
            let sql = format!(
                "SELECT [{}], [{}] FROM [{}] WHERE [{}] = ?1",
                table.class_id_column.as_deref().unwrap_or("ECClassId"),
                element_col,
                table.name,
                table.id_column
            );
            let found: Option<(i64, i64)> =
                self.conn.prepare_cached(&sql)?.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if let Some((class_id, element)) = found {
                return Ok((self.schema.class_by_id(&self.conn, class_id)?, element));
            }
        }
        Err(WriteError::NotFound { what: "aspect".into(), id: id64::format(id) })
    }

    fn touch_element(&mut self, element: i64) -> Result<(), WriteError> {
        if self.txn.as_ref().is_some_and(|t| t.inserted_elements.contains(&element)) {
            return Ok(());
        }
        self.conn
            .prepare_cached("UPDATE bis_Element SET LastMod = ?2 WHERE Id = ?1")?
            .execute(rusqlite::params![element, props::julian_day_now()])?;
        Ok(())
    }

    fn aspect_queries(&mut self) -> Result<&AspectQueries, WriteError> {
        if self.aspect_queries.is_none() {
            let class = self.schema.class_by_name(&self.conn, "BisCore:ExternalSourceAspect")?;
            let col = |name: &str| -> Result<String, WriteError> {
                class
                    .property(name)
                    .and_then(|p| p.value_column())
                    .map(|c| format!("[{}]", c.column))
                    .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: name.into() })
            };
            let table = &class.tables[0];
            let columns = format!(
                "SELECT [{}], {}, {}, {}, {}, {}, {}, {}, {} FROM [{}]",
                table.id_column,
                col("element")?,
                col("scope")?,
                col("kind")?,
                col("identifier")?,
                col("version")?,
                col("checksum")?,
                col("source")?,
                col("jsonProperties")?,
                table.name,
            );
            // A literal, not a parameter: the file's partial indexes on these columns are
            // declared `WHERE ECClassId = <id>`, and SQLite only uses them for a literal.
            let select = format!("{columns} WHERE ECClassId = {}", class.id);
            // Without statistics SQLite prefers the class-id index for "scope = ? AND kind = ?",
            // scanning every aspect; name the index that starts with the scope column.
            let scope_column =
                class.property("scope").and_then(|p| p.value_column()).map(|c| c.column.clone()).unwrap_or_default();
            let by_scope_index = index_starting_with(&self.conn, &table.name, &scope_column)?;
            let by_scope = match &by_scope_index {
                Some(index) => format!("{columns} INDEXED BY [{index}] WHERE ECClassId = {}", class.id),
                None => select.clone(),
            };
            self.aspect_queries = Some(AspectQueries {
                find: format!(
                    "{select} AND {} = ?1 AND {} = ?2 AND {} = ?3",
                    col("scope")?,
                    col("identifier")?,
                    col("kind")?
                ),
                by_element: format!("{select} AND {} = ?1 ORDER BY 1", col("element")?),
                // No ORDER BY: it would walk the table in id order; callers sort.
                in_scope: format!("{by_scope} AND {} = ?1 AND {} = ?2", col("scope")?, col("kind")?),
                elements_in_scope: format!(
                    "SELECT {} FROM [{}]{} WHERE ECClassId = {} AND {} = ?1 ORDER BY [{}]",
                    col("element")?,
                    table.name,
                    by_scope_index.as_ref().map(|i| format!(" INDEXED BY [{i}]")).unwrap_or_default(),
                    class.id,
                    col("scope")?,
                    table.id_column
                ),
                // Three integer columns: reading every aspect's strings cost more than the walk.
                provenance: format!(
                    "SELECT {}, {}, {} FROM [{}] WHERE ECClassId = {} ORDER BY [{}]",
                    col("element")?,
                    col("scope")?,
                    col("source")?,
                    table.name,
                    class.id,
                    table.id_column
                ),
            });
        }
        Ok(self.aspect_queries.as_ref().expect("just built"))
    }
}

/// The name of an index on `table` whose first column is `column`, if there is one.
fn index_starting_with(conn: &rusqlite::Connection, table: &str, column: &str) -> Result<Option<String>, WriteError> {
    let indexes: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_index_list('{table}')"))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for index in indexes {
        let first: Option<String> = conn
            .query_row(&format!("SELECT name FROM pragma_index_info('{index}') WHERE seqno = 0"), [], |r| r.get(0))
            .optional()?;
        if first.is_some_and(|c| c.eq_ignore_ascii_case(column)) {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

fn read_aspect_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExternalSourceAspectRow> {
    Ok(ExternalSourceAspectRow {
        id: r.get(0)?,
        element_id: r.get(1)?,
        scope: r.get(2)?,
        kind: r.get(3)?,
        identifier: r.get(4)?,
        version: r.get(5)?,
        checksum: r.get(6)?,
        source: r.get(7)?,
        json_properties: r.get(8)?,
    })
}
