//! Transactions: the id sequences, and the bookkeeping that must land with the rows at commit
//! (model GeometryGuid/LastMod, project extents, the `be_Local` sequences).

use std::collections::HashSet;

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::Briefcase;
use itwin_geometry::placement::Range3d;

/// State of the open transaction.
pub(super) struct TxnState {
    /// Last used element id (`be_Local.bis_elementidsequence`).
    last_element_id: i64,
    /// Last used aspect / link-table id (`be_Local.ec_instanceidsequence`).
    last_instance_id: i64,
    /// Models whose elements changed, and among them those whose geometry changed.
    changed_models: HashSet<i64>,
    changed_geometry_models: HashSet<i64>,
    /// World range of every placement written in this transaction.
    written_range: Range3d,
    /// Elements inserted in this transaction: their LastMod is already now.
    pub(super) inserted_elements: HashSet<i64>,
}

const ELEMENT_SEQUENCE: &str = "bis_elementidsequence";
const INSTANCE_SEQUENCE: &str = "ec_instanceidsequence";

impl Briefcase {
    /// Starts the transaction that groups the following writes. Nothing is visible in the file
    /// until [`Briefcase::commit`]; [`Briefcase::rollback`] (or an error in commit) drops it all.
    pub fn begin(&mut self) -> Result<(), WriteError> {
        if self.txn.is_some() {
            return Err(WriteError::Invalid("a transaction is already open".into()));
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let state = TxnState {
            last_element_id: read_sequence(&self.conn, ELEMENT_SEQUENCE)?,
            last_instance_id: read_sequence(&self.conn, INSTANCE_SEQUENCE)?,
            changed_models: HashSet::new(),
            changed_geometry_models: HashSet::new(),
            written_range: Range3d::EMPTY,
            inserted_elements: HashSet::new(),
        };
        self.txn = Some(state);
        Ok(())
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// Writes the bookkeeping rows and commits. On error everything is rolled back.
    pub fn commit(&mut self) -> Result<(), WriteError> {
        let state = self.txn.take().ok_or_else(|| WriteError::Invalid("no transaction is open".into()))?;
        let result = self.finish(&state).and_then(|()| Ok(self.conn.execute_batch("COMMIT")?));
        if let Err(e) = result {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.known.clear();
            return Err(e);
        }
        Ok(())
    }

    /// Drops every write since [`Briefcase::begin`].
    pub fn rollback(&mut self) -> Result<(), WriteError> {
        self.txn = None;
        // Ids and classes checked inside the transaction may be gone now.
        self.known.clear();
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Runs `f` in its own transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<T, E: From<WriteError>>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E> {
        self.begin()?;
        match f(self) {
            Ok(value) => {
                self.commit()?;
                Ok(value)
            }
            Err(e) => {
                self.rollback()?;
                Err(e)
            }
        }
    }

    /// Runs one write operation atomically: inside the open transaction under a savepoint, or in a
    /// transaction of its own when none is open.
    pub(super) fn atomically<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        if self.txn.is_none() {
            return self.transaction(f);
        }
        self.savepoint(f)
    }

    /// Runs `f` under a savepoint of the open transaction: if it fails, everything it wrote is
    /// undone and the transaction goes on. For callers that group several writes into one
    /// operation (the synchronizer's element + aspect + children).
    pub fn savepoint<T, E: From<WriteError>>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E> {
        if self.txn.is_none() {
            return Err(WriteError::Invalid("a savepoint needs an open transaction".into()).into());
        }
        // Cached statements: a savepoint per write is cheap only if it is not parsed every time.
        // Nested savepoints may share the name: ROLLBACK TO and RELEASE act on the innermost.
        self.conn
            .prepare_cached("SAVEPOINT itwin_host_group")
            .map_err(WriteError::from)?
            .execute([])
            .map_err(WriteError::from)?;
        match f(self) {
            Ok(value) => {
                self.conn
                    .prepare_cached("RELEASE itwin_host_group")
                    .map_err(WriteError::from)?
                    .execute([])
                    .map_err(WriteError::from)?;
                Ok(value)
            }
            Err(e) => {
                self.conn
                    .execute_batch("ROLLBACK TO itwin_host_group; RELEASE itwin_host_group")
                    .map_err(WriteError::from)?;
                // A rolled-back insert may have put ids into the cache of rows known to exist.
                self.known.clear();
                Err(e)
            }
        }
    }

    /// Runs a write that keeps itself atomic (checks first, undoes late failures) inside the open
    /// transaction, or in a transaction of its own when none is open.
    pub(super) fn self_atomic<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        if self.txn.is_none() {
            return self.transaction(f);
        }
        f(self).inspect_err(|_| self.known.clear())
    }

    pub(super) fn state(&mut self) -> &mut TxnState {
        self.txn.as_mut().expect("write operations run inside atomically()")
    }

    pub(super) fn next_element_id(&mut self) -> i64 {
        let s = self.state();
        s.last_element_id += 1;
        s.last_element_id
    }

    pub(super) fn next_instance_id(&mut self) -> i64 {
        let s = self.state();
        s.last_instance_id += 1;
        s.last_instance_id
    }

    pub(super) fn note_model_changed(&mut self, model: i64, geometry: bool) {
        let s = self.state();
        s.changed_models.insert(model);
        if geometry {
            s.changed_geometry_models.insert(model);
        }
    }

    pub(super) fn note_range_written(&mut self, range: &Range3d) {
        self.state().written_range.extend_range(range);
    }

    fn finish(&mut self, state: &TxnState) -> Result<(), WriteError> {
        write_sequence(&self.conn, ELEMENT_SEQUENCE, state.last_element_id)?;
        write_sequence(&self.conn, INSTANCE_SEQUENCE, state.last_instance_id)?;
        self.touch_changed_models(state)?;
        if !state.written_range.is_empty() {
            grow_project_extents(&self.conn, &state.written_range)?;
        }
        Ok(())
    }

    /// What the native TxnManager does at commit: LastMod on changed models, and a new
    /// GeometryGuid on models whose geometry changed (viewers use it to drop cached tiles).
    fn touch_changed_models(&mut self, state: &TxnState) -> Result<(), WriteError> {
        let now = super::props::julian_day_now();
        for &model in &state.changed_models {
            let exists: Option<i64> = self
                .conn
                .query_row("SELECT ECClassId FROM bis_Model WHERE Id = ?1", [model], |r| r.get(0))
                .optional()?;
            let Some(class_id) = exists else { continue };
            let class = self.schema.class_by_id(&self.conn, class_id)?;
            let mut sets = vec![];
            let mut values: Vec<rusqlite::types::Value> = vec![];
            if let Some(col) = class.property("lastMod").and_then(|p| p.value_column()) {
                sets.push(format!("[{}] = ?", col.column));
                values.push(now.into());
            }
            if state.changed_geometry_models.contains(&model) {
                if let Some(col) = class.property("geometryGuid").and_then(|p| p.value_column()) {
                    sets.push(format!("[{}] = ?", col.column));
                    values.push(uuid::Uuid::new_v4().as_bytes().to_vec().into());
                }
            }
            if sets.is_empty() {
                continue;
            }
            let table = &class.tables[0];
            values.push(model.into());
            let sql = format!("UPDATE [{}] SET {} WHERE [{}] = ?", table.name, sets.join(", "), table.id_column);
            self.conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
        }
        Ok(())
    }
}

fn read_sequence(conn: &rusqlite::Connection, name: &str) -> Result<i64, WriteError> {
    let value: Option<i64> =
        conn.query_row("SELECT Val FROM be_Local WHERE Name = ?1", [name], |r| r.get(0)).optional()?;
    value.ok_or_else(|| WriteError::Invalid(format!("the iModel has no `{name}` id sequence in be_Local")))
}

fn write_sequence(conn: &rusqlite::Connection, name: &str, value: i64) -> Result<(), WriteError> {
    conn.prepare_cached("UPDATE be_Local SET Val = ?2 WHERE Name = ?1")?.execute(rusqlite::params![name, value])?;
    Ok(())
}

/// Grows `dgn_Db/Extents` so it covers `range`; never shrinks what is there.
fn grow_project_extents(conn: &rusqlite::Connection, range: &Range3d) -> Result<(), WriteError> {
    let current: Option<String> = conn
        .query_row(
            "SELECT StrData FROM be_Prop WHERE Namespace = 'dgn_Db' AND Name = 'Extents' AND Id = 0 AND SubId = 0",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let mut extents = *range;
    if let Some(text) = current.as_deref() {
        if let Some(existing) = parse_extents(text) {
            extents.extend_range(&existing);
        }
    }
    if current.as_deref().and_then(parse_extents) == Some(extents) {
        return Ok(());
    }
    let json = serde_json::json!({ "high": extents.high, "low": extents.low }).to_string();
    conn.execute(
        "INSERT INTO be_Prop (Namespace, Name, Id, SubId, TxnMode, StrData) VALUES ('dgn_Db', 'Extents', 0, 0, 0, ?1) \
         ON CONFLICT (Namespace, Name, Id, SubId) DO UPDATE SET StrData = excluded.StrData",
        [json],
    )?;
    Ok(())
}

fn parse_extents(text: &str) -> Option<Range3d> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let point = |k: &str| -> Option<[f64; 3]> {
        let a = v.get(k)?.as_array()?;
        Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?, a.get(2)?.as_f64()?])
    };
    Some(Range3d { low: point("low")?, high: point("high")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_extents_itwinjs_writes() {
        let r = parse_extents(r#"{"high":[50.0,50.0,30.0],"low":[-50.0,-50.0,-10.0]}"#).unwrap();
        assert_eq!(r.low, [-50.0, -50.0, -10.0]);
        assert_eq!(r.high, [50.0, 50.0, 30.0]);
    }
}
