//! Deleting an element with everything that belongs to it: its children, its sub-model and that
//! model's elements (recursively), its aspects and its link-table relationships.

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::id64;
use super::Briefcase;

/// What deleting an element takes with it: (element, its model, its class) owners first, and
/// the ids that have a sub-model.
type Owned = (Vec<(i64, i64, i64)>, Vec<i64>);

/// A delete that a reference still prevents.
struct DeleteBlocked;

/// Elements the iModel itself needs: the root subject, RealityDataSources and the dictionary.
const BUILT_IN: [i64; 3] = [0x1, 0xe, 0x10];

impl Briefcase {
    /// Deletes element `id` with its children and sub-models; returns how many elements went.
    pub fn delete_element(&mut self, id: i64) -> Result<usize, WriteError> {
        Ok(self.delete_element_by_class(id)?.values().sum())
    }

    /// [`Briefcase::delete_element`], returning how many elements of each class went.
    pub fn delete_element_by_class(
        &mut self,
        id: i64,
    ) -> Result<std::collections::BTreeMap<String, usize>, WriteError> {
        if BUILT_IN.contains(&id) {
            return Err(WriteError::Invalid(format!(
                "element {} is part of every iModel and cannot be deleted",
                id64::format(id)
            )));
        }
        self.atomically(|b| {
            let exists: Option<i64> = b.conn.query_row("SELECT ModelId FROM bis_Element WHERE Id = ?1", [id], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(WriteError::NotFound { what: "element".into(), id: id64::format(id) });
            }
            let (elements, models) = b.collect_owned(id)?;
            b.check_parts_unused(&elements)?;
            // Owners were collected before what they own, so the reverse order deletes children
            // and model contents first. Elements still referenced from inside the tree (a
            // category used by elements of another sub-model) wait for a later pass.
            let mut pending: Vec<(i64, i64)> = elements.iter().rev().map(|&(e, m, _)| (e, m)).collect();
            while !pending.is_empty() {
                let mut blocked = Vec::new();
                let mut blocked_by = None;
                for (element, model) in pending.iter().copied() {
                    match b.delete_one(element, models.contains(&element)) {
                        Ok(()) => b.note_model_changed(model, true),
                        Err(DeleteBlocked) => {
                            blocked_by.get_or_insert(element);
                            blocked.push((element, model));
                        }
                    }
                }
                if blocked.len() == pending.len() {
                    return Err(WriteError::Invalid(format!(
                        "element {} is still used by other elements (as their category, code scope, parent or type), so it cannot be deleted",
                        id64::format(blocked_by.unwrap_or(id))
                    )));
                }
                pending = blocked;
            }
            b.known.clear();
            let mut by_class = std::collections::BTreeMap::new();
            for &(_, _, class_id) in &elements {
                *by_class.entry(b.schema.class_by_id(&b.conn, class_id)?.full_name()).or_insert(0) += 1;
            }
            Ok(by_class)
        })
    }

    /// Deletes one element (and its model row): blocked if something still refers to it. A
    /// failed DELETE changes nothing (SQLite undoes the statement), so it can be tried again.
    fn delete_one(&mut self, element: i64, has_model: bool) -> Result<(), DeleteBlocked> {
        let attempt = |b: &mut Self| -> Result<(), WriteError> {
            if has_model {
                b.conn.prepare_cached("DELETE FROM bis_Model WHERE Id = ?1")?.execute([element])?;
            }
            b.delete_link_table_rows(element)?;
            b.conn.prepare_cached("DELETE FROM bis_Element WHERE Id = ?1")?.execute([element])?;
            Ok(())
        };
        attempt(self).map_err(|_| DeleteBlocked)
    }

    /// The element, its children and every element of its sub-models, owners first, each with
    /// its model; plus the ids that have a sub-model.
    fn collect_owned(&mut self, root: i64) -> Result<Owned, WriteError> {
        let mut out = Vec::new();
        let mut models = Vec::new();
        let mut queue = vec![root];
        // A parent cycle (refused by the synchronizer, possible in files others wrote) must not
        // make the walk endless: each element is collected once.
        let mut seen = std::collections::HashSet::from([root]);
        let mut i = 0;
        let (root_model, root_class): (i64, i64) =
            self.conn.query_row("SELECT ModelId, ECClassId FROM bis_Element WHERE Id = ?1", [root], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        out.push((root, root_model, root_class));
        while i < queue.len() {
            let element = queue[i];
            i += 1;

            let mut children =
                self.conn.prepare_cached("SELECT Id, ModelId, ECClassId FROM bis_Element WHERE ParentId = ?1")?;
            let found: Vec<(i64, i64, i64)> =
                children.query_map([element], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
            drop(children);
            let has_model: bool = self
                .conn
                .prepare_cached("SELECT count(*) FROM bis_Model WHERE Id = ?1")?
                .query_row([element], |r| r.get::<_, i64>(0))?
                > 0;
            let mut contents = Vec::new();
            if has_model {
                models.push(element);
                // Top-level elements of the sub-model; their children arrive through the queue.
                let mut stmt = self.conn.prepare_cached(
                    "SELECT Id, ModelId, ECClassId FROM bis_Element WHERE ModelId = ?1 AND ParentId IS NULL",
                )?;
                contents =
                    stmt.query_map([element], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
            }
            for pair in found.into_iter().chain(contents) {
                if seen.insert(pair.0) {
                    out.push(pair);
                    queue.push(pair.0);
                }
            }
        }
        Ok((out, models))
    }

    /// Rows of link-table relationships that end at `element` (ECDb deletes them with it).
    fn delete_link_table_rows(&mut self, element: i64) -> Result<(), WriteError> {
        if self.link_tables.is_none() {
            // Link tables of relationships between elements only: ECDb's own relationship
            // classes map onto its ec_* tables (type 2, "existing"), which must never be touched.
            let mut stmt = self.conn.prepare(
                "SELECT DISTINCT t.Name, src.Name, tgt.Name FROM ec_PropertyMap pm_s \
                 JOIN ec_PropertyPath pp_s ON pp_s.Id = pm_s.PropertyPathId AND pp_s.AccessString = 'SourceECInstanceId' \
                 JOIN ec_Column src ON src.Id = pm_s.ColumnId AND src.IsVirtual = 0 \
                 JOIN ec_Table t ON t.Id = src.TableId AND t.Type IN (0, 1, 3) \
                 JOIN ec_PropertyMap pm_t ON pm_t.ClassId = pm_s.ClassId \
                 JOIN ec_PropertyPath pp_t ON pp_t.Id = pm_t.PropertyPathId AND pp_t.AccessString = 'TargetECInstanceId' \
                 JOIN ec_Column tgt ON tgt.Id = pm_t.ColumnId AND tgt.TableId = t.Id \
                 JOIN ec_Class c ON c.Id = pm_s.ClassId AND c.Type = 1 \
                 WHERE EXISTS (SELECT 1 FROM ec_RelationshipConstraint rc \
                     JOIN ec_RelationshipConstraintClass rcc ON rcc.ConstraintId = rc.Id \
                     JOIN ec_cache_ClassHierarchy h ON h.ClassId = rcc.ClassId \
                     JOIN ec_Class e ON e.Id = h.BaseClassId AND e.Name = 'Element' \
                     JOIN ec_Schema s ON s.Id = e.SchemaId AND s.Name = 'BisCore' \
                     WHERE rc.RelationshipClassId = c.Id)",
            )?;
            let tables =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
            self.link_tables = Some(
                tables
                    .into_iter()
                    .map(|(t, s, g): (String, String, String)| {
                        format!("DELETE FROM [{t}] WHERE [{s}] = ?1 OR [{g}] = ?1")
                    })
                    .collect(),
            );
        }
        for sql in self.link_tables.clone().unwrap_or_default() {
            self.conn.prepare_cached(&sql)?.execute([element])?;
        }
        Ok(())
    }
}
