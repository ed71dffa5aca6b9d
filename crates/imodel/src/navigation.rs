//! Checks of navigation values (does the target exist, is it of a class the relationship accepts)
//! and the choice of the relationship class stored beside it.

use std::sync::Arc;

use rusqlite::OptionalExtension;

use super::ecschema::{ClassInfo, PropertyMap, RelationshipInfo};
use super::error::WriteError;
use super::id64;
use super::props::{PendingNavigation, Row};
use super::Briefcase;

impl Briefcase {
    /// Checks every navigation value bound on `row` and fills the non-virtual `RelECClassId`
    /// columns. Returns the class of each target, in the order of `pending`.
    pub(super) fn check_navigations(
        &mut self,
        class: &ClassInfo,
        pending: &[PendingNavigation],
        row: &mut Row,
    ) -> Result<Vec<Option<Arc<ClassInfo>>>, WriteError> {
        let mut targets = Vec::with_capacity(pending.len());
        for nav in pending {
            let prop = class.properties.iter().find(|p| p.name == nav.property).expect("bound from this class");
            let target = self.check_navigation_target(class, prop, nav.id)?;
            if let Some(rel_column) = prop.column("RelECClassId") {
                let rel =
                    self.navigation_relationship(class, prop, target.as_deref(), nav.rel_class_name.as_deref())?;
                row.put(rel_column, rusqlite::types::Value::Integer(rel));
            }
            targets.push(target);
        }
        Ok(targets)
    }

    /// The end a navigation property points to, with the table its rows live in.
    fn navigation_end(&mut self, prop: &PropertyMap) -> Result<(Arc<RelationshipInfo>, bool), WriteError> {
        let nav = prop.navigation.as_ref().expect("navigation property");
        let rel = self.schema.relationship(&self.conn, nav.relationship_id)?;
        Ok((rel, nav.forward))
    }

    /// Looks the target row up (cached) and checks its class against the relationship's constraint.
    fn check_navigation_target(
        &mut self,
        class: &ClassInfo,
        prop: &PropertyMap,
        id: i64,
    ) -> Result<Option<Arc<ClassInfo>>, WriteError> {
        let (rel, forward) = self.navigation_end(prop)?;
        let constraint = if forward { &rel.target } else { &rel.source };
        let Some(&(end_class_id, _)) = constraint.classes.first() else {
            return Ok(None);
        };
        let end_class = self.schema.class_by_id(&self.conn, end_class_id)?;
        let Some(table) = end_class.tables.first() else {
            return Ok(None);
        };
        let found = match self.known.get(&table.name, id) {
            Some(class_id) => Some(class_id),
            None => {
                let sql = format!(
                    "SELECT {} FROM [{}] WHERE [{}] = ?1",
                    table.class_id_column.as_deref().map_or("0".to_owned(), |c| format!("[{c}]")),
                    table.name,
                    table.id_column
                );
                let found: Option<i64> = self.conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
                if let Some(class_id) = found {
                    self.known.insert(&table.name, id, class_id);
                }
                found
            }
        };
        let what =
            || format!("{} of `{}` ({})", prop.json_name, class.full_name(), table.name.trim_start_matches("bis_"));
        let class_id = found.ok_or_else(|| WriteError::NotFound { what: what(), id: id64::format(id) })?;
        if class_id == 0 {
            return Ok(None);
        }
        let target = self.schema.class_by_id(&self.conn, class_id)?;
        if !constraint.accepts(&target) {
            let expected = self.schema.class_by_id(&self.conn, end_class_id)?.full_name();
            return Err(WriteError::WrongClass {
                what: what(),
                id: id64::format(id),
                found: target.full_name(),
                expected,
            });
        }
        Ok(Some(target))
    }

    /// The relationship class for a navigation value: the one named by `relClassName` (checked),
    /// or else the most specific relationship derived from the property's whose ends accept both
    /// classes (a PhysicalObject's child gets PhysicalElementAssemblesElements, a Subject's
    /// SubjectOwnsSubjects).
    fn navigation_relationship(
        &mut self,
        class: &ClassInfo,
        prop: &PropertyMap,
        target: Option<&ClassInfo>,
        rel_class_name: Option<&str>,
    ) -> Result<i64, WriteError> {
        let (declared, forward) = self.navigation_end(prop)?;
        let field = format!("{}.relClassName", prop.json_name);
        if let Some(name) = rel_class_name {
            let rel_class = self.schema.class_by_name(&self.conn, name)?;
            if !rel_class.is_a(declared.class.id) {
                return Err(WriteError::WrongClass {
                    what: field,
                    id: name.to_owned(),
                    found: rel_class.full_name(),
                    expected: declared.class.full_name(),
                });
            }
            if rel_class.is_abstract {
                return Err(WriteError::AbstractClass { class: rel_class.full_name() });
            }
            let rel = self.schema.relationship(&self.conn, rel_class.id)?;
            if let Some(target) = target {
                let (source, target_end) = if forward { (class, target) } else { (target, class) };
                if !rel.source.accepts(source) || !rel.target.accepts(target_end) {
                    return Err(WriteError::Invalid(format!(
                        "{field}: `{}` does not relate a `{}` to a `{}`",
                        rel.class.full_name(),
                        source.full_name(),
                        target_end.full_name()
                    )));
                }
            }
            return Ok(rel.class.id);
        }
        let Some(target) = target else {
            return Ok(declared.class.id);
        };
        let key = (declared.class.id, class.id, target.id);
        if let Some(&cached) = self.schema.default_relationships.get(&key) {
            return Ok(cached);
        }
        let (source, target_end) = if forward { (class, target) } else { (target, class) };
        let mut best: Option<((usize, i64), i64)> = None;
        for rel in self.schema.derived_relationships(&self.conn, declared.class.id)? {
            let conn = &self.conn;
            let mut depth = |id: i64| -> Result<usize, WriteError> { self.schema.depth(conn, id) };
            let (Some(s), Some(t)) =
                (rel.source.match_depth(source, &mut depth)?, rel.target.match_depth(target_end, &mut depth)?)
            else {
                continue;
            };
            // Most specific ends first; on a tie, the shallower relationship (the declared one).
            let rel_depth = rel.class.ancestors.len() as i64;
            let score = (s + t, -rel_depth);
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, rel.class.id));
            }
        }
        let chosen = best.map(|(_, id)| id).ok_or_else(|| {
            WriteError::Invalid(format!(
                "{field}: no relationship derived from `{}` relates a `{}` to a `{}`",
                declared.class.full_name(),
                source.full_name(),
                target_end.full_name()
            ))
        })?;
        self.schema.default_relationships.insert(key, chosen);
        Ok(chosen)
    }
}
