//! Read-only questions about the spatial part of an iModel: which models hold elements in its
//! spatial coordinate system, which categories their elements use and how far they reach.

use std::collections::BTreeSet;

use rusqlite::OptionalExtension;

use super::error::WriteError;
use super::Briefcase;
use itwin_geometry::placement::Range3d;

/// Models of `BisCore:SpatialModel` or a subclass (physical, spatial location, …).
const SPATIAL_MODELS: &str = "SELECT m.Id FROM bis_Model m \
     JOIN ec_cache_ClassHierarchy h ON h.ClassId = m.ECClassId \
     JOIN ec_Class c ON c.Id = h.BaseClassId AND c.Name = 'SpatialModel' \
     JOIN ec_Schema s ON s.Id = c.SchemaId AND s.Name = 'BisCore'";

impl Briefcase {
    /// Whether model `id` is a spatial model: its elements are in the iModel's spatial
    /// coordinate system (the one the global origin applies to).
    pub fn is_spatial_model(&self, id: i64) -> Result<bool, WriteError> {
        let sql = format!("{SPATIAL_MODELS} WHERE m.Id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], |r| r.get::<_, i64>(0)).optional()?.is_some())
    }

    /// The spatial models a viewer shows (neither private nor templates), by id.
    pub fn visible_spatial_models(&self) -> Result<Vec<i64>, WriteError> {
        let sql = format!(
            "{SPATIAL_MODELS} WHERE coalesce(m.IsPrivate, 0) = 0 AND coalesce(m.IsTemplate, 0) = 0 ORDER BY m.Id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The spatial view definitions (`BisCore:SpatialViewDefinition` and subclasses), by id.
    pub fn spatial_views(&self) -> Result<Vec<i64>, WriteError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.Id FROM bis_Element e \
             JOIN ec_cache_ClassHierarchy h ON h.ClassId = e.ECClassId \
             JOIN ec_Class c ON c.Id = h.BaseClassId AND c.Name = 'SpatialViewDefinition' \
             JOIN ec_Schema s ON s.Id = c.SchemaId AND s.Name = 'BisCore' ORDER BY e.Id",
        )?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The categories of the 3d elements in `models`, by id.
    pub fn categories_in_models(&self, models: &[i64]) -> Result<Vec<i64>, WriteError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT g.CategoryId FROM bis_Element e CROSS JOIN bis_GeometricElement3d g ON g.ElementId = e.Id \
             WHERE e.ModelId = ?1 AND g.CategoryId IS NOT NULL",
        )?;
        let mut categories = BTreeSet::new();
        for &model in models {
            for category in stmt.query_map([model], |r| r.get::<_, i64>(0))? {
                categories.insert(category?);
            }
        }
        Ok(categories.into_iter().collect())
    }

    /// The union of the spatial-index boxes of the elements in `models` (what iTwin.js's
    /// `models.queryRange` reports); empty when none of them is in the index.
    pub fn spatial_index_range(&self, models: &[i64]) -> Result<Range3d, WriteError> {
        // Elements first: the r-tree answers a lookup by id, a scan of it would read every box.
        let mut stmt = self.conn.prepare_cached(
            "SELECT min(s.MinX), min(s.MinY), min(s.MinZ), max(s.MaxX), max(s.MaxY), max(s.MaxZ) \
             FROM bis_Element e CROSS JOIN dgn_SpatialIndex s ON s.ElementId = e.Id WHERE e.ModelId = ?1",
        )?;
        let mut range = Range3d::EMPTY;
        for &model in models {
            let corners: [Option<f64>; 6] =
                stmt.query_row([model], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))?;
            if let [Some(x0), Some(y0), Some(z0), Some(x1), Some(y1), Some(z1)] = corners {
                range.extend_range(&Range3d { low: [x0, y0, z0], high: [x1, y1, z1] });
            }
        }
        Ok(range)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Briefcase, RootSubject};

    #[test]
    fn finds_spatial_models_their_categories_and_their_range() {
        let dir = tempfile::tempdir().unwrap();
        let mut bim = Briefcase::create(&dir.path().join("s.bim"), &RootSubject::named("s")).unwrap();
        bim.begin().unwrap();
        let partition = |bim: &mut Briefcase, class: &str, name: &str| {
            bim.insert_element(&json!({
                "classFullName": class, "model": "0x1", "parent": { "id": "0x1" },
                "code": { "spec": "bis:InformationPartitionElement", "scope": "0x1", "value": name },
            }))
            .unwrap()
        };
        let physical = partition(&mut bim, "BisCore:PhysicalPartition", "Physical");
        bim.insert_model(
            &json!({ "classFullName": "BisCore:PhysicalModel", "modeledElement": { "id": format!("{physical:#x}") } }),
        )
        .unwrap();
        let definitions = partition(&mut bim, "BisCore:DefinitionPartition", "Definitions");
        bim.insert_model(
            &json!({ "classFullName": "BisCore:DefinitionModel", "modeledElement": { "id": format!("{definitions:#x}") } }),
        )
        .unwrap();
        let category = bim
            .insert_element(&json!({
                "classFullName": "BisCore:SpatialCategory", "model": format!("{definitions:#x}"),
                "code": { "spec": "bis:SpatialCategory", "scope": format!("{definitions:#x}"), "value": "Cat" },
            }))
            .unwrap();
        for (origin, size) in [([1.0, 2.0, 3.0], 1.0), ([-4.0, 0.0, 0.0], 2.0)] {
            bim.insert_element(&json!({
                "classFullName": "Generic:PhysicalObject", "model": format!("{physical:#x}"),
                "category": format!("{category:#x}"),
                "placement": { "origin": origin, "bbox": { "low": [0, 0, 0], "high": [size, size, size] } },
            }))
            .unwrap();
        }
        assert!(bim.is_spatial_model(physical).unwrap());
        assert!(!bim.is_spatial_model(definitions).unwrap());
        assert_eq!(bim.visible_spatial_models().unwrap(), vec![physical]);
        assert_eq!(bim.categories_in_models(&[physical]).unwrap(), vec![category]);
        let range = bim.spatial_index_range(&[physical]).unwrap();
        // The index stores floats rounded outwards.
        for (got, want) in range.low.iter().chain(&range.high).zip([-4.0, 0.0, 0.0, 2.0, 3.0, 4.0]) {
            assert!((got - want).abs() < 1e-5, "{range:?}");
        }
        assert!(bim.spatial_index_range(&[definitions]).unwrap().is_empty());
        bim.rollback().unwrap();
    }
}
