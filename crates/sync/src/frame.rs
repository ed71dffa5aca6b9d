//! The connector's coordinate frame and the iModel's: a connector sends lengths in its source's
//! unit (`set-source-units`) and spatial coordinates as its source has them; the iModel stores
//! metres, with its global origin subtracted from spatial coordinates (the connector guide's
//! "Units and Coordinate systems"). The conversion happens here, on the way in and on the way out,
//! so a connector reads back what it wrote.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::{SyncError, Synchronizer};
use itwin_geometry::scale::{scale_box, scale_point, scale_stream, ScaleError};
use itwin_imodel::{id64, Briefcase};

/// How the connector's coordinates map to the iModel's: `imodel = source × metres_per_unit −
/// global_origin` for points of spatial elements, `imodel = source × metres_per_unit` for
/// everything else that is a length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceFrame {
    /// Metres per source unit (`set-source-units`).
    pub metres_per_unit: f64,
    /// The iModel's global origin, subtracted from spatial placements.
    pub global_origin: [f64; 3],
}

impl Default for SourceFrame {
    fn default() -> Self {
        SourceFrame { metres_per_unit: 1.0, global_origin: [0.0; 3] }
    }
}

/// Which way props are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    ToIModel,
    ToSource,
}

impl SourceFrame {
    /// Nothing to convert: props pass through untouched (and uncopied).
    pub fn is_identity(&self) -> bool {
        self.metres_per_unit == 1.0 && self.global_origin == [0.0; 3]
    }

    /// Whether converting needs to know if the element is spatial (only the origin shift does).
    pub fn shifts_origin(&self) -> bool {
        self.global_origin != [0.0; 3]
    }

    /// Converts the lengths of element props from the source's frame into the iModel's, in place:
    /// `placement.origin` (shifted by the global origin when `spatial`), `placement.bbox`, a
    /// part's `bbox`, and `geom`.
    ///
    /// # Errors
    /// [`SyncError::InvalidProps`] for coordinates that cannot be scaled or stored.
    pub fn to_imodel(&self, props: &mut Value, spatial: bool) -> Result<(), SyncError> {
        self.convert(props, spatial, Direction::ToIModel)
    }

    /// The inverse of [`SourceFrame::to_imodel`], for props read back by the connector.
    ///
    /// # Errors
    /// [`SyncError::InvalidProps`] for geometry that cannot be scaled.
    pub fn to_source(&self, props: &mut Value, spatial: bool) -> Result<(), SyncError> {
        self.convert(props, spatial, Direction::ToSource)
    }

    fn convert(&self, props: &mut Value, spatial: bool, direction: Direction) -> Result<(), SyncError> {
        let factor = match direction {
            Direction::ToIModel => self.metres_per_unit,
            Direction::ToSource => 1.0 / self.metres_per_unit,
        };
        let invalid = |e: ScaleError| SyncError::InvalidProps(format!("cannot convert to the iModel's units: {e}"));
        if let Some(placement) = props.get_mut("placement").filter(|p| p.is_object()) {
            if let Some(origin) = placement.get_mut("origin") {
                self.convert_origin(origin, factor, spatial, direction).map_err(invalid)?;
            }
            if let Some(bbox) = placement.get_mut("bbox") {
                scale_box(bbox, factor, "placement.bbox").map_err(invalid)?;
            }
        }
        if let Some(bbox) = props.get_mut("bbox") {
            scale_box(bbox, factor, "bbox").map_err(invalid)?;
        }
        if let Some(geom) = props.get_mut("geom") {
            scale_stream(geom, factor).map_err(invalid)?;
        }
        Ok(())
    }

    /// Scales a placement origin, and shifts a spatial one by the global origin: subtracted after
    /// scaling on the way in, added before scaling back on the way out.
    fn convert_origin(
        &self,
        origin: &mut Value,
        factor: f64,
        spatial: bool,
        direction: Direction,
    ) -> Result<(), ScaleError> {
        let shift = spatial && self.shifts_origin();
        if shift && direction == Direction::ToSource {
            self.shift(origin, 1.0)?;
        }
        scale_point(origin, factor, "placement.origin")?;
        if shift && direction == Direction::ToIModel {
            self.shift(origin, -1.0)?;
        }
        Ok(())
    }

    /// Adds `sign` × the global origin to a 3d point (a missing z counts as 0, as the reader has it).
    fn shift(&self, point: &mut Value, sign: f64) -> Result<(), ScaleError> {
        let at = "placement.origin";
        match point {
            Value::Array(items) if items.len() == 2 => items.push(Value::from(0.0)),
            Value::Object(members) if !members.contains_key("z") => {
                members.insert("z".into(), Value::from(0.0));
            }
            _ => {}
        }
        for (i, axis) in ["x", "y", "z"].iter().enumerate() {
            let coordinate = match point {
                Value::Array(items) => items.get_mut(i),
                Value::Object(members) => members.get_mut(*axis),
                _ => None,
            };
            let Some(x) = coordinate else { continue };
            let Some(value) = x.as_f64() else { continue };
            let shifted = value + sign * self.global_origin[i];
            *x = Number::from_f64(shifted).map(Value::Number).ok_or_else(|| ScaleError {
                at: format!("{at}.{axis}"),
                why: format!("{value} shifted by the global origin is not a finite number"),
            })?;
        }
        Ok(())
    }
}

/// The smallest and largest source units accepted: nanometres to a million kilometres. Beyond
/// them scaled coordinates underflow to zero or overflow to infinity.
const MIN_METRES_PER_UNIT: f64 = 1e-9;
const MAX_METRES_PER_UNIT: f64 = 1e9;

impl Synchronizer {
    /// Lengths the connector sends from now on are in this unit; `1.0` is metres.
    ///
    /// # Errors
    /// [`SyncError::InvalidProps`] for a factor outside 1e-9..1e9 or not finite.
    pub fn set_source_units(&mut self, metres_per_unit: f64) -> Result<(), SyncError> {
        if !(metres_per_unit.is_finite() && (MIN_METRES_PER_UNIT..=MAX_METRES_PER_UNIT).contains(&metres_per_unit)) {
            return Err(SyncError::InvalidProps(format!(
                "metres per unit must be a finite number from {MIN_METRES_PER_UNIT} to {MAX_METRES_PER_UNIT}, not {metres_per_unit}"
            )));
        }
        self.frame.metres_per_unit = metres_per_unit;
        Ok(())
    }

    /// The iModel's global origin, which spatial coordinates the connector sends are shifted by.
    pub fn set_global_origin(&mut self, origin: [f64; 3]) {
        self.frame.global_origin = origin;
    }

    /// The frame in effect.
    pub fn source_frame(&self) -> SourceFrame {
        self.frame
    }

    /// `props` of an element in `model`, converted into the iModel's frame; borrowed untouched
    /// when there is nothing to convert, which is the common case (metres, no global origin).
    pub(crate) fn in_imodel_frame<'p>(
        &mut self,
        bim: &Briefcase,
        props: &'p Value,
        model: impl FnOnce(&Briefcase) -> Result<Option<i64>, SyncError>,
    ) -> Result<Cow<'p, Value>, SyncError> {
        if self.frame.is_identity() || !has_lengths(props) {
            return Ok(Cow::Borrowed(props));
        }
        let spatial = self.needs_spatial(bim, props, model)?;
        let mut converted = props.clone();
        self.frame.to_imodel(&mut converted, spatial)?;
        Ok(Cow::Owned(converted))
    }

    /// Converts props read from the iModel into the connector's frame, in place.
    pub(crate) fn convert_to_source_frame(&mut self, bim: &Briefcase, props: &mut Value) -> Result<(), SyncError> {
        if self.frame.is_identity() || !has_lengths(props) {
            return Ok(());
        }
        let model = |_: &Briefcase| Ok(props.get("model").and_then(|m| id64::from_json(m, "model").ok()));
        let spatial = self.needs_spatial(bim, props, model)?;
        self.frame.to_source(props, spatial)
    }

    /// Whether the element's placement is in spatial coordinates; asked only when the global
    /// origin shifts them.
    fn needs_spatial(
        &mut self,
        bim: &Briefcase,
        props: &Value,
        model: impl FnOnce(&Briefcase) -> Result<Option<i64>, SyncError>,
    ) -> Result<bool, SyncError> {
        if !self.frame.shifts_origin() || props.get("placement").is_none_or(Value::is_null) {
            return Ok(false);
        }
        let Some(model) = model(bim)? else { return Ok(false) };
        if let Some(&known) = self.spatial_models.get(&model) {
            return Ok(known);
        }
        let spatial = bim.is_spatial_model(model)?;
        self.spatial_models.insert(model, spatial);
        Ok(spatial)
    }
}

/// Whether props carry anything the frame converts.
fn has_lengths(props: &Value) -> bool {
    ["placement", "geom", "bbox"].iter().any(|key| props.get(key).is_some_and(|v| !v.is_null()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const MILLIMETRES: SourceFrame = SourceFrame { metres_per_unit: 0.001, global_origin: [0.0; 3] };

    #[test]
    fn millimetres_become_metres_and_come_back() {
        let original = json!({
            "classFullName": "Generic:PhysicalObject",
            "placement": { "origin": [1000, 2000, 500], "angles": { "yaw": 90 }, "bbox": { "low": [0, 0, 0], "high": [500, 500, 500] } },
            "geom": [{ "box": { "baseOrigin": [0, 0, 0], "baseX": 500, "baseY": 500, "height": 500, "capped": true } }],
            "userLabel": "1000",
        });
        let mut props = original.clone();
        MILLIMETRES.to_imodel(&mut props, true).unwrap();
        assert_eq!(props["placement"]["origin"], json!([1.0, 2.0, 0.5]));
        assert_eq!(props["placement"]["angles"], json!({ "yaw": 90 }));
        assert_eq!(props["placement"]["bbox"]["high"], json!([0.5, 0.5, 0.5]));
        assert_eq!(props["geom"][0]["box"]["baseX"], json!(0.5));
        assert_eq!(props["userLabel"], json!("1000"));
        MILLIMETRES.to_source(&mut props, true).unwrap();
        assert_eq!(props["placement"]["origin"], json!([1000.0, 2000.0, 500.0]));
        assert_eq!(props["geom"][0]["box"]["height"], json!(500.0));
    }

    #[test]
    fn the_global_origin_is_subtracted_from_spatial_origins_only() {
        let frame = SourceFrame { metres_per_unit: 1.0, global_origin: [1000.0, 2000.0, 30.0] };
        let mut spatial =
            json!({ "placement": { "origin": [1500, 2500], "bbox": { "low": [0, 0, 0], "high": [1, 1, 1] } } });
        frame.to_imodel(&mut spatial, true).unwrap();
        assert_eq!(spatial["placement"]["origin"], json!([500.0, 500.0, -30.0]));
        assert_eq!(spatial["placement"]["bbox"]["high"], json!([1, 1, 1]));
        frame.to_source(&mut spatial, true).unwrap();
        assert_eq!(spatial["placement"]["origin"], json!([1500.0, 2500.0, 0.0]));

        let mut drawing = json!({ "placement": { "origin": [1500, 2500], "angle": 0 } });
        frame.to_imodel(&mut drawing, false).unwrap();
        assert_eq!(drawing["placement"]["origin"], json!([1500, 2500]));
    }

    #[test]
    fn units_and_origin_together_scale_first_then_shift() {
        let frame = SourceFrame { metres_per_unit: 0.001, global_origin: [100.0, 0.0, 0.0] };
        let mut props = json!({ "placement": { "origin": { "x": 101000, "y": 0, "z": 2000 } } });
        frame.to_imodel(&mut props, true).unwrap();
        assert_eq!(props["placement"]["origin"], json!({ "x": 1.0, "y": 0.0, "z": 2.0 }));
        frame.to_source(&mut props, true).unwrap();
        assert_eq!(props["placement"]["origin"], json!({ "x": 101000.0, "y": 0.0, "z": 2000.0 }));
    }

    #[test]
    fn a_part_box_scales_and_unknown_geometry_is_refused() {
        let mut part =
            json!({ "classFullName": "BisCore:GeometryPart", "bbox": { "low": [0, 0, 0], "high": [10, 10, 10] } });
        MILLIMETRES.to_imodel(&mut part, false).unwrap();
        assert_eq!(part["bbox"]["high"], json!([0.01, 0.01, 0.01]));
        let mut text = json!({ "geom": [{ "textString": {} }] });
        assert!(matches!(MILLIMETRES.to_imodel(&mut text, true), Err(SyncError::InvalidProps(_))));
    }

    #[test]
    fn only_a_frame_that_changes_nothing_is_the_identity() {
        assert!(SourceFrame::default().is_identity());
        assert!(!MILLIMETRES.is_identity());
        assert!(!SourceFrame { metres_per_unit: 1.0, global_origin: [0.0, 0.0, 1.0] }.is_identity());
    }
}
