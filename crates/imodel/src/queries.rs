//! Read-only lookups the synchronizer runs: elements by code, aspects by scope, the element tree.

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::Briefcase;

/// One row of the element tree: id, parent, model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeRow {
    /// The element.
    pub id: i64,
    /// Its parent element.
    pub parent: Option<i64>,
    /// Its model.
    pub model: i64,
}

impl Briefcase {
    /// How many elements of each class the file holds (class full name, count), most first.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn element_counts(&self) -> Result<Vec<(String, i64)>, WriteError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.Name || ':' || c.Name, count(*) FROM bis_Element e JOIN ec_Class c ON c.Id = e.ECClassId \
             JOIN ec_Schema s ON s.Id = c.SchemaId GROUP BY e.ECClassId ORDER BY 2 DESC, 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The element with this code (spec id, scope id, value), if any.
    pub fn find_element_by_code(&self, spec: i64, scope: i64, value: &str) -> Result<Option<i64>, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT Id FROM bis_Element WHERE CodeSpecId = ?1 AND CodeScopeId = ?2 AND CodeValue = ?3")?
            .query_row(rusqlite::params![spec, scope, value], |r| r.get(0))
            .optional()?)
    }

    /// Parent and model of an element, or `None` if there is no such element.
    pub fn parent_and_model(&self, id: i64) -> Result<Option<(Option<i64>, i64)>, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT ParentId, ModelId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// The full class name of an element, or `None` if there is no such element.
    pub fn element_class_name(&mut self, id: i64) -> Result<Option<String>, WriteError> {
        match self.element_class_of(id, "element") {
            Ok(class) => Ok(Some(class.full_name())),
            Err(WriteError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every element's id, parent and model: the synchronizer walks the job's tree in memory.
    pub fn element_tree(&self) -> Result<Vec<TreeRow>, WriteError> {
        let mut stmt = self.conn.prepare_cached("SELECT Id, ParentId, ModelId FROM bis_Element")?;
        let rows = stmt.query_map([], |r| Ok(TreeRow { id: r.get(0)?, parent: r.get(1)?, model: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What an element owns directly: its children and the top-level elements of its sub-model.
    pub fn owned_elements(&self, id: i64) -> Result<Vec<i64>, WriteError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT Id FROM bis_Element WHERE ParentId = ?1 \
             UNION SELECT Id FROM bis_Element WHERE ModelId = ?1 AND ParentId IS NULL AND Id <> ?1 ORDER BY 1",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Elements of `class_full_name` (and subclasses) whose navigation property `property` points at `target`.
    pub fn find_elements_by_navigation(
        &mut self,
        class_full_name: &str,
        property: &str,
        target: i64,
    ) -> Result<Vec<i64>, WriteError> {
        let class = self.schema.class_by_name(&self.conn, class_full_name)?;
        let column = class
            .property(property)
            .and_then(|p| p.value_column())
            .ok_or_else(|| WriteError::UnknownProperty { class: class.full_name(), property: property.to_owned() })?;
        let table = &class.tables[column.table];
        let sql = format!(
            "SELECT t.[{}] FROM [{}] t JOIN ec_cache_ClassHierarchy h ON h.ClassId = t.ECClassId AND h.BaseClassId = ?2 WHERE t.[{}] = ?1 ORDER BY 1",
            table.id_column, table.name, column.column
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids = stmt.query_map(rusqlite::params![target, class.id], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Whether an element has a sub-model.
    pub fn has_model(&self, id: i64) -> Result<bool, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM bis_Model WHERE Id = ?1")?
            .query_row([id], |r| r.get::<_, i64>(0))?
            > 0)
    }
}
