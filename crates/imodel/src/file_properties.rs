//! File properties (`be_Prop` rows) the host reads and writes besides the bookkeeping of a
//! transaction: the coordinate facts of the iModel (`dgn_Db` `Units`, `Extents`) and its default
//! view (`dgn_View` `DefaultView`), in the forms iTwin.js 5.7.3 writes them.

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::Briefcase;
use itwin_geometry::placement::Range3d;

/// `IModelDb.views.setDefaultViewId` stores the view id here, as 8 little-endian bytes.
const DEFAULT_VIEW: (&str, &str) = ("dgn_View", "DefaultView");
/// `{"globalOrigin": [x, y, z], "initialProjectCenter": [..], "ecefLocation"?: {..}}`.
const UNITS: (&str, &str) = ("dgn_Db", "Units");
/// `{"low": [x, y, z], "high": [x, y, z]}`.
const EXTENTS: (&str, &str) = ("dgn_Db", "Extents");

/// What the iModel says about its spatial coordinate system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpatialFrame {
    /// `IModelDb.globalOrigin`: subtracted from source coordinates to get the iModel's.
    pub global_origin: [f64; 3],
    /// Whether an `ecefLocation` is stored (iTwin.js calls such an iModel geolocated).
    pub geolocated: bool,
}

impl Briefcase {
    /// The text of a file property (id 0, sub-id 0), if the row exists.
    pub fn file_property_text(&self, namespace: &str, name: &str) -> Result<Option<String>, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT StrData FROM be_Prop WHERE Namespace = ?1 AND Name = ?2 AND Id = 0 AND SubId = 0")?
            .query_row([namespace, name], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// The blob of a file property (id 0, sub-id 0), if the row exists.
    pub fn file_property_blob(&self, namespace: &str, name: &str) -> Result<Option<Vec<u8>>, WriteError> {
        Ok(self
            .conn
            .prepare_cached("SELECT Data FROM be_Prop WHERE Namespace = ?1 AND Name = ?2 AND Id = 0 AND SubId = 0")?
            .query_row([namespace, name], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten())
    }

    /// Writes a blob file property (id 0, sub-id 0), replacing what was there; inside the open
    /// transaction, so a rollback takes it back.
    pub fn save_file_property_blob(&mut self, namespace: &str, name: &str, data: &[u8]) -> Result<(), WriteError> {
        self.require_transaction("write a file property")?;
        self.conn.execute(
            "INSERT INTO be_Prop (Namespace, Name, Id, SubId, TxnMode, StrData, Data) VALUES (?1, ?2, 0, 0, 0, NULL, ?3) \
             ON CONFLICT (Namespace, Name, Id, SubId) DO UPDATE SET StrData = NULL, Data = excluded.Data",
            rusqlite::params![namespace, name, data],
        )?;
        Ok(())
    }

    /// Removes a file property (id 0, sub-id 0), if there is one.
    pub fn delete_file_property(&mut self, namespace: &str, name: &str) -> Result<(), WriteError> {
        self.require_transaction("delete a file property")?;
        self.conn.execute(
            "DELETE FROM be_Prop WHERE Namespace = ?1 AND Name = ?2 AND Id = 0 AND SubId = 0",
            [namespace, name],
        )?;
        Ok(())
    }

    /// The global origin and whether the iModel is geolocated. A file without `Units` (or with
    /// unreadable JSON there) has the origin at zero, as iTwin.js reads it.
    pub fn spatial_frame(&self) -> Result<SpatialFrame, WriteError> {
        let text = self.file_property_text(UNITS.0, UNITS.1)?;
        let units: serde_json::Value = text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
        let global_origin = xyz(&units["globalOrigin"]).unwrap_or([0.0; 3]);
        if !global_origin.iter().all(|c| c.is_finite()) {
            return Err(WriteError::Invalid(format!("the iModel's global origin {global_origin:?} is not finite")));
        }
        Ok(SpatialFrame { global_origin, geolocated: units.get("ecefLocation").is_some_and(|e| !e.is_null()) })
    }

    /// The project extents (`IModelDb.projectExtents`), or `None` if the file has none.
    pub fn project_extents(&self) -> Result<Option<Range3d>, WriteError> {
        let text = self.file_property_text(EXTENTS.0, EXTENTS.1)?;
        let value: Option<serde_json::Value> = text.as_deref().and_then(|t| serde_json::from_str(t).ok());
        Ok(value.and_then(|v| Some(Range3d { low: xyz(&v["low"])?, high: xyz(&v["high"])? })))
    }

    /// The default view's id, if the property is set (whether or not that view still exists).
    pub fn default_view(&self) -> Result<Option<i64>, WriteError> {
        let blob = self.file_property_blob(DEFAULT_VIEW.0, DEFAULT_VIEW.1)?;
        // iTwin.js ignores a blob of any other length (`getDefaultViewId` answers "invalid").
        Ok(blob.and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok()).map(i64::from_le_bytes).filter(|&id| id != 0))
    }

    /// Makes `view` the iModel's default view, as `IModelDb.views.setDefaultViewId` does.
    pub fn set_default_view(&mut self, view: i64) -> Result<(), WriteError> {
        self.save_file_property_blob(DEFAULT_VIEW.0, DEFAULT_VIEW.1, &view.to_le_bytes())
    }

    /// Removes the default view property.
    pub fn clear_default_view(&mut self) -> Result<(), WriteError> {
        self.delete_file_property(DEFAULT_VIEW.0, DEFAULT_VIEW.1)
    }

    fn require_transaction(&self, what: &str) -> Result<(), WriteError> {
        if self.txn.is_none() {
            return Err(WriteError::Invalid(format!("cannot {what} outside a transaction (call begin first)")));
        }
        Ok(())
    }
}

/// `[x, y, z]` (z may be missing) or `{"x", "y", "z"}`.
fn xyz(value: &serde_json::Value) -> Option<[f64; 3]> {
    let coordinate = |v: Option<&serde_json::Value>| v.map_or(Some(0.0), serde_json::Value::as_f64);
    match value {
        serde_json::Value::Array(a) if (2..=3).contains(&a.len()) => {
            Some([a[0].as_f64()?, a[1].as_f64()?, coordinate(a.get(2))?])
        }
        serde_json::Value::Object(o) => Some([o.get("x")?.as_f64()?, o.get("y")?.as_f64()?, coordinate(o.get("z"))?]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootSubject;

    fn fresh() -> (tempfile::TempDir, Briefcase) {
        let dir = tempfile::tempdir().unwrap();
        let bim = Briefcase::create(&dir.path().join("p.bim"), &RootSubject::named("p")).unwrap();
        (dir, bim)
    }

    #[test]
    fn the_seed_has_its_origin_at_zero_and_is_not_geolocated() {
        let (_dir, bim) = fresh();
        assert_eq!(bim.spatial_frame().unwrap(), SpatialFrame { global_origin: [0.0; 3], geolocated: false });
        let extents = bim.project_extents().unwrap().unwrap();
        assert_eq!((extents.low, extents.high), ([-50.0, -50.0, -10.0], [50.0, 50.0, 30.0]));
    }

    #[test]
    fn reads_the_units_itwinjs_writes() {
        let (_dir, mut bim) = fresh();
        // What iTwin.js 5.7.3 stored after `globalOrigin = ..`, `setEcefLocation(..)`, `updateIModelProps()`.
        let units = r#"{"globalOrigin":[1000.0,2000.0,30.0],"initialProjectCenter":[0.0,0.0,0.0],"ecefLocation":{"origin":[4000000.0,1000000.0,4500000.0],"orientation":{"yaw":10.0,"pitch":20.0,"roll":29.999999999999996}}}"#;
        bim.begin().unwrap();
        bim.conn
            .execute("UPDATE be_Prop SET StrData = ?1 WHERE Namespace = 'dgn_Db' AND Name = 'Units'", [units])
            .unwrap();
        assert_eq!(
            bim.spatial_frame().unwrap(),
            SpatialFrame { global_origin: [1000.0, 2000.0, 30.0], geolocated: true }
        );
        bim.rollback().unwrap();
    }

    #[test]
    fn the_default_view_is_stored_as_itwinjs_stores_it() {
        let (_dir, mut bim) = fresh();
        assert_eq!(bim.default_view().unwrap(), None);
        bim.begin().unwrap();
        bim.set_default_view(0x18).unwrap();
        // iTwin.js wrote `1800000000000000` (hex) for view 0x18.
        assert_eq!(bim.file_property_blob("dgn_View", "DefaultView").unwrap().unwrap(), [0x18, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bim.default_view().unwrap(), Some(0x18));
        bim.clear_default_view().unwrap();
        assert_eq!(bim.default_view().unwrap(), None);
        bim.commit().unwrap();
    }

    #[test]
    fn file_properties_are_written_only_inside_a_transaction() {
        let (_dir, mut bim) = fresh();
        assert!(bim.set_default_view(0x18).is_err());
    }
}
