//! `geom` against the file: encoding an element's or part's GeometryStreamProps with the context
//! the bytes depend on (the category's default sub-category), the checks the codec cannot make
//! (sub-categories belong to the element's category, instanced parts exist), and the local box
//! from the codec's range code with part boxes read from the file. Also the way back: stored
//! streams decoded for `getElementProps({wantGeometry: true})`-style reads.

use std::collections::{HashMap, HashSet};

use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use serde_json::Value as Json;

use super::ecschema::{ClassInfo, ColumnRef};
use super::error::WriteError;
use super::geometric_columns::{has_placement_columns, EncodedGeometry, GeomProps, StoredShape};
use super::id64;
use super::Briefcase;
use itwin_geometry::codec::{self, StreamContext};
use itwin_geometry::placement::Range3d;
use itwin_geometry::{GeometryError, GeometryStream, Reference};

/// What kind of geometry a class stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GeometryOwner {
    /// A `BisCore:GeometricElement3d`: stream, box and placement; appearances in its category.
    Element3d,
    /// A `BisCore:GeometryPart`: stream and box; no category, no placement.
    Part,
    /// Anything else, 2d elements included (the codec writes 3d streams only).
    None,
}

/// The element a geometry error is about, as messages name it.
pub(super) fn element_label(class: &ClassInfo, id: Option<i64>, code_value: Option<&str>) -> String {
    let code = code_value.filter(|v| !v.is_empty()).map(|v| format!(" {v:?}")).unwrap_or_default();
    match id {
        None => format!("new `{}`{code}", class.full_name()),
        Some(id) => format!("element {} (`{}`{code})", id64::format(id), class.full_name()),
    }
}

impl Briefcase {
    /// Which geometry `class` stores, from the columns it has (3d placement, or a part's box).
    pub(super) fn geometry_owner(&mut self, class: &ClassInfo) -> Result<GeometryOwner, WriteError> {
        let has_stream = class.property("geometryStream").and_then(|p| p.value_column()).is_some();
        if !has_stream {
            return Ok(GeometryOwner::None);
        }
        // BisCore:GeometricElement3d is where these columns come from.
        if has_placement_columns(class) {
            return Ok(GeometryOwner::Element3d);
        }
        let has_box = class.property("bBoxLow").is_some() && class.property("bBoxHigh").is_some();
        if self.schema.is_a_named(&self.conn, class, "BisCore:GeometryPart")? && has_box {
            return Ok(GeometryOwner::Part);
        }
        Ok(GeometryOwner::None)
    }

    /// Encodes `geom` of an element in `category` (`None`: of a geometry part), after checking
    /// what it refers to, and computes its box. `element` names the element in errors.
    pub(super) fn encode_geometry(
        &mut self,
        geom: &Json,
        category: Option<i64>,
        element: &str,
    ) -> Result<GeomProps, WriteError> {
        if geom.is_null() {
            return Ok(GeomProps::NoGeometry);
        }
        let context = match category {
            Some(category) => {
                StreamContext { default_sub_category: self.default_sub_category(category)?, is_part: false }
            }
            None => StreamContext { default_sub_category: None, is_part: true },
        };
        // Read once: the blob, the references and the box all come from the same model.
        let stream = GeometryStream::from_json(geom).map_err(|e| geometry_error(element, e))?;
        let blob = stream.encode(&context).map_err(|e| geometry_error(element, e))?;
        let Some(blob) = blob else {
            return Ok(GeomProps::NoGeometry);
        };
        let mut part_boxes = HashMap::new();
        let mut sub_categories = HashSet::new();
        for (index, reference) in stream.references() {
            match reference {
                Reference::SubCategory(id) => {
                    let at = format!("geom[{index}].appearance.subCategory");
                    // Parts store no sub-categories: theirs come from the instancing element.
                    if let Some(category) = category {
                        if sub_categories.insert(id) {
                            self.check_sub_category(id, category, &at, element)?;
                        }
                    }
                }
                Reference::Part(id) => {
                    let at = format!("geom[{index}].geomPart.part");
                    if let std::collections::hash_map::Entry::Vacant(slot) = part_boxes.entry(id) {
                        slot.insert(self.part_box(id, &at, element)?);
                    }
                }
            }
        }
        let bbox = stream.local_range(&|id| part_boxes.get(&id).copied()).map_err(|e| geometry_error(element, e))?;
        // Elements and parts alike: a box no site has would also make a stream the decoder
        // refuses (a sphere of radius 1e308 encodes, but does not decode).
        bbox.check_storable().map_err(|why| WriteError::Invalid(format!("{element}: `geom`: {why}")))?;
        Ok(GeomProps::Encoded(EncodedGeometry { blob, bbox }))
    }

    /// The sub-category the native library creates with a category: the one the category owns
    /// under the category's own name (code spec `bis:SubCategory`, scope the category). Native
    /// gives it the category's id + 1; we look it up, so files made otherwise work too.
    pub(super) fn default_sub_category(&mut self, category: i64) -> Result<Option<i64>, WriteError> {
        if let Some(known) = self.known.default_sub_category(category) {
            return Ok(Some(known));
        }
        let Some(spec) = self.code_spec_by_name("bis:SubCategory")? else {
            return Ok(None);
        };
        let found: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT s.Id FROM bis_Element c JOIN bis_Element s \
                 ON s.CodeSpecId = ?2 AND s.CodeScopeId = c.Id AND s.CodeValue = c.CodeValue AND s.ParentId = c.Id \
                 WHERE c.Id = ?1",
            )?
            .query_row([category, spec], |r| r.get(0))
            .optional()?;
        if let Some(sub_category) = found {
            self.known.set_default_sub_category(category, sub_category);
        }
        Ok(found)
    }

    /// `id` must be a SubCategory owned by `category`.
    fn check_sub_category(&mut self, id: i64, category: i64, at: &str, element: &str) -> Result<(), WriteError> {
        let found: Option<(i64, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT ECClassId, ParentId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let what = || format!("sub-category in `{at}` of {element}");
        let (class_id, parent) = found.ok_or_else(|| WriteError::NotFound { what: what(), id: id64::format(id) })?;
        let class = self.schema.class_by_id(&self.conn, class_id)?;
        if !self.schema.is_a_named(&self.conn, &class, "BisCore:SubCategory")? {
            return Err(WriteError::WrongClass {
                what: what(),
                id: id64::format(id),
                found: class.full_name(),
                expected: "BisCore:SubCategory".into(),
            });
        }
        if parent != Some(category) {
            return Err(WriteError::Invalid(format!(
                "{element}: `{at}`: sub-category {} belongs to category {}, not to the element's category {}",
                id64::format(id),
                parent.map_or("(none)".to_owned(), id64::format),
                id64::format(category)
            )));
        }
        Ok(())
    }

    /// The stored box of GeometryPart `id`.
    fn part_box(&mut self, id: i64, at: &str, element: &str) -> Result<Range3d, WriteError> {
        let what = || format!("geometry part in `{at}` of {element}");
        let class_id: Option<i64> = self
            .conn
            .prepare_cached("SELECT ECClassId FROM bis_Element WHERE Id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let class_id = class_id.ok_or_else(|| WriteError::NotFound { what: what(), id: id64::format(id) })?;
        let class = self.schema.class_by_id(&self.conn, class_id)?;
        if self.geometry_owner(&class)? != GeometryOwner::Part {
            return Err(WriteError::WrongClass {
                what: what(),
                id: id64::format(id),
                found: class.full_name(),
                expected: "BisCore:GeometryPart".into(),
            });
        }
        self.stored_box(&class, id)?.ok_or_else(|| {
            WriteError::Invalid(format!("{element}: `{at}`: geometry part {} has no box", id64::format(id)))
        })
    }

    /// The `BBoxLow`/`BBoxHigh` of a row, `None` when any coordinate is NULL.
    fn stored_box(&mut self, class: &ClassInfo, id: i64) -> Result<Option<Range3d>, WriteError> {
        let columns = point_columns(class, &["bBoxLow", "bBoxHigh"]);
        let values = self.stored_values(class, id, &columns)?;
        let reals = reals(&values);
        Ok(reals.map(|v| Range3d { low: [v[0], v[1], v[2]], high: [v[3], v[4], v[5]] }))
    }

    /// What a 3d element has stored: placement, whether it has a stream, and that stream's box.
    pub(super) fn stored_shape(&mut self, class: &ClassInfo, id: i64) -> Result<StoredShape, WriteError> {
        let mut columns = point_columns(class, &["origin"]);
        columns
            .extend(["yaw", "pitch", "roll"].iter().filter_map(|n| class.property(n).and_then(|p| p.value_column())));
        columns.extend(class.property("geometryStream").and_then(|p| p.value_column()));
        let values = self.stored_values(class, id, &columns)?;
        let placement = reals(&values[..6]).map(|v| ([v[0], v[1], v[2]], [v[3], v[4], v[5]]));
        let has_stream = matches!(values[6], Value::Blob(_));
        // A stream stored without a box is not something we or the native library write; it
        // then keeps the zero box of an element without geometry.
        let stream_box = if has_stream { self.stored_box(class, id)? } else { None };
        Ok(StoredShape { placement, stream_box, has_stream })
    }

    /// The stored category of a geometric element.
    pub(super) fn stored_category(&mut self, class: &ClassInfo, id: i64) -> Result<Option<i64>, WriteError> {
        let Some(column) = class.property("category").and_then(|p| p.value_column()) else {
            return Ok(None);
        };
        Ok(match self.stored_values(class, id, &[column])?.first() {
            Some(Value::Integer(category)) => Some(*category),
            _ => None,
        })
    }

    /// Decodes a stored stream into GeometryStreamProps; `category` is the element's (`None` for a part).
    pub(super) fn decode_geometry(
        &mut self,
        blob: &[u8],
        category: Option<i64>,
        element: &str,
    ) -> Result<Json, WriteError> {
        let context = match category {
            Some(category) => {
                StreamContext { default_sub_category: self.default_sub_category(category)?, is_part: false }
            }
            None => StreamContext { default_sub_category: None, is_part: true },
        };
        codec::decode_with(blob, &context)
            .map_err(|e| WriteError::Invalid(format!("{element}: the stored GeometryStream cannot be read: {e}")))
    }

    /// Refuses to delete GeometryParts that elements staying behind still instance. Nothing but
    /// the streams links elements to their parts, so every stream is read, once per delete that
    /// takes a part. `deleting` is (id, model, class id) of every element the delete takes.
    pub(super) fn check_parts_unused(&mut self, deleting: &[(i64, i64, i64)]) -> Result<(), WriteError> {
        let mut parts = HashSet::new();
        for &(id, _, class_id) in deleting {
            let class = self.schema.class_by_id(&self.conn, class_id)?;
            if self.geometry_owner(&class)? == GeometryOwner::Part {
                parts.insert(id);
            }
        }
        if parts.is_empty() {
            return Ok(());
        }
        let leaving: HashSet<i64> = deleting.iter().map(|&(id, _, _)| id).collect();
        for root in ["BisCore:GeometricElement3d", "BisCore:GeometricElement2d"] {
            let class = match self.schema.class_by_name(&self.conn, root) {
                Ok(class) => class,
                Err(WriteError::UnknownClass { .. }) => continue,
                Err(e) => return Err(e),
            };
            let Some(column) = class.property("geometryStream").and_then(|p| p.value_column()) else { continue };
            let table = &class.tables[column.table];
            let sql = format!(
                "SELECT [{}], [{}] FROM [{}] WHERE [{}] IS NOT NULL",
                table.id_column, column.column, table.name, column.column
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let element: i64 = row.get(0)?;
                if leaving.contains(&element) {
                    continue;
                }
                let Value::Blob(blob) = row.get::<_, Value>(1)? else { continue };
                // A stream we cannot read names no part we could protect.
                let instanced = codec::instanced_parts(&blob).unwrap_or_default();
                if let Some(part) = instanced.into_iter().find(|p| parts.contains(p)) {
                    return Err(WriteError::Invalid(format!(
                        "element {} is still used by other elements (as the geometry part of element {}), so it cannot be deleted",
                        id64::format(part),
                        id64::format(element)
                    )));
                }
            }
        }
        Ok(())
    }

    /// The stored values of `columns` of row `id`, NULL where the row is missing.
    fn stored_values(&mut self, class: &ClassInfo, id: i64, columns: &[&ColumnRef]) -> Result<Vec<Value>, WriteError> {
        let mut out = vec![Value::Null; columns.len()];
        let mut tables: Vec<usize> = columns.iter().map(|c| c.table).collect();
        tables.sort_unstable();
        tables.dedup();
        for t in tables {
            let picked: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].table == t).collect();
            let table = &class.tables[t];
            let list: Vec<String> = picked.iter().map(|&i| format!("[{}]", columns[i].column)).collect();
            let sql = format!("SELECT {} FROM [{}] WHERE [{}] = ?1", list.join(", "), table.name, table.id_column);
            let row: Option<Vec<Value>> = self
                .conn
                .prepare_cached(&sql)?
                .query_row([id], |r| (0..picked.len()).map(|k| r.get(k)).collect())
                .optional()?;
            for (value, &i) in row.into_iter().flatten().zip(&picked) {
                out[i] = value;
            }
        }
        Ok(out)
    }
}

/// The X, Y, Z columns of each named point property, in order.
fn point_columns<'c>(class: &'c ClassInfo, names: &[&str]) -> Vec<&'c ColumnRef> {
    names
        .iter()
        .filter_map(|name| class.property(name))
        .flat_map(|p| ["X", "Y", "Z"].into_iter().filter_map(|axis| p.column(axis)))
        .collect()
}

/// All values as numbers, or `None` if any is not one.
fn reals(values: &[Value]) -> Option<Vec<f64>> {
    values
        .iter()
        .map(|v| match v {
            Value::Real(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        })
        .collect()
}

fn geometry_error(element: &str, error: GeometryError) -> WriteError {
    match error {
        GeometryError::Json { at, message } => WriteError::Invalid(format!("{element}: `{at}`: {message}")),
        GeometryError::UnknownPart { at, part } => {
            WriteError::NotFound { what: format!("geometry part in `{at}` of {element}"), id: id64::format(part) }
        }
        other => WriteError::Invalid(format!("{element}: `geom`: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_are_found_with_their_entry() {
        let geom = json!([
            {"header": {"flags": 0}},
            {"appearance": {"subCategory": "0x20", "color": 255}},
            {"geomPart": {"part": "0x30"}},
            {"lineString": [[0, 0], [1, 1]]},
            {"geomPart": {"part": "0x31", "origin": [1, 0, 0]}},
        ]);
        let found: Vec<String> = GeometryStream::from_json(&geom)
            .unwrap()
            .references()
            .map(|(i, r)| match r {
                Reference::SubCategory(id) => format!("{i} sub {id:#x}"),
                Reference::Part(id) => format!("{i} part {id:#x}"),
            })
            .collect();
        assert_eq!(found, ["1 sub 0x20", "2 part 0x30", "4 part 0x31"]);
    }

    #[test]
    fn codec_errors_name_the_element_and_field() {
        let error = codec::encode(&json!([{"lineString": [[0, 0, 0]]}])).unwrap_err();
        let message = geometry_error("new `Generic:PhysicalObject` \"P-1\"", error).to_string();
        assert_eq!(message, "new `Generic:PhysicalObject` \"P-1\": `geom[0].lineString`: needs at least 2 points");
    }
}
