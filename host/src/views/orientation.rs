//! `Origin`, `Yaw`, `Pitch` and `Roll` of a ViewDefinition3d, written and read by column.
//!
//! The briefcase writer reserves these four property names for the placement of geometric
//! elements and refuses them on every class (and its reader reports them as a `placement`); a
//! ViewDefinition3d has properties of the same names for where it looks from. Until the writer
//! confines that rule to geometric elements, the view's four are written here, to the columns
//! the file's own class map gives them, in the same transaction as the rest of the view.

use rusqlite::OptionalExtension;

use crate::imodel::{Briefcase, SchemaCache};
use crate::sync::SyncError;

/// The class all views with these properties derive from.
const VIEW_3D: &str = "BisCore:ViewDefinition3d";

/// Where a 3d view's box starts and how it is turned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Orientation {
    pub origin: [f64; 3],
    /// Yaw, pitch, roll in degrees.
    pub angles: [f64; 3],
}

impl Orientation {
    /// Whether `other` says the same, within 1e-9 (relative past 1).
    pub fn same_as(&self, other: &Orientation) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        self.origin.iter().chain(&self.angles).zip(other.origin.iter().chain(&other.angles)).all(|(a, b)| close(*a, *b))
    }
}

/// (table, id column, [origin x, y, z, yaw, pitch, roll] columns) of the class's map.
fn columns(bim: &Briefcase) -> Result<(String, String, [String; 6]), SyncError> {
    let class = SchemaCache::default().class_by_name(bim.connection(), VIEW_3D)?;
    let missing = || SyncError::HostFailure(format!("`{VIEW_3D}` has no origin, yaw, pitch and roll columns"));
    let origin = class.property("origin").ok_or_else(missing)?;
    let mut found = Vec::with_capacity(6);
    for axis in ["X", "Y", "Z"] {
        found.push(origin.column(axis).ok_or_else(missing)?);
    }
    for angle in ["yaw", "pitch", "roll"] {
        found.push(class.property(angle).and_then(|p| p.value_column()).ok_or_else(missing)?);
    }
    if found.iter().any(|c| c.table != found[0].table) {
        return Err(SyncError::HostFailure(format!("`{VIEW_3D}` keeps its orientation in more than one table")));
    }
    let table = &class.tables[found[0].table];
    let names = std::array::from_fn(|i| found[i].column.clone());
    Ok((table.name.clone(), table.id_column.clone(), names))
}

/// The stored orientation of view `id`, if it has one.
pub(super) fn read(bim: &Briefcase, id: i64) -> Result<Option<Orientation>, SyncError> {
    let (table, id_column, c) = columns(bim)?;
    let sql = format!(
        "SELECT [{}], [{}], [{}], [{}], [{}], [{}] FROM [{table}] WHERE [{id_column}] = ?1",
        c[0], c[1], c[2], c[3], c[4], c[5]
    );
    let values: Option<[Option<f64>; 6]> = bim
        .connection()
        .query_row(&sql, [id], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))
        .optional()
        .map_err(|e| SyncError::HostFailure(format!("reading the orientation of view {id:#x}: {e}")))?;
    Ok(values.and_then(|v| {
        let [x, y, z, yaw, pitch, roll] = v;
        Some(Orientation { origin: [x?, y?, z?], angles: [yaw?, pitch?, roll?] })
    }))
}

/// Stores the orientation of view `id` (a row the writer inserted in this transaction).
pub(super) fn write(bim: &Briefcase, id: i64, orientation: &Orientation) -> Result<(), SyncError> {
    let (table, id_column, c) = columns(bim)?;
    let sql = format!(
        "UPDATE [{table}] SET [{}] = ?2, [{}] = ?3, [{}] = ?4, [{}] = ?5, [{}] = ?6, [{}] = ?7 WHERE [{id_column}] = ?1",
        c[0], c[1], c[2], c[3], c[4], c[5]
    );
    let [x, y, z] = orientation.origin;
    let [yaw, pitch, roll] = orientation.angles;
    let updated = bim
        .connection()
        .execute(&sql, rusqlite::params![id, x, y, z, yaw, pitch, roll])
        .map_err(|e| SyncError::HostFailure(format!("writing the orientation of view {id:#x}: {e}")))?;
    if updated != 1 {
        return Err(SyncError::HostFailure(format!("view {id:#x} has no row in {table}")));
    }
    Ok(())
}
