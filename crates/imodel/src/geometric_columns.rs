//! The placement, element-aligned box and GeometryStream columns one write sets: what the props
//! say, merged with what is stored. The rule throughout is that a box belongs to its geometry:
//! an element or part with a stream has the box computed from it, whatever `bbox` the props carry
//! (iTwin.js replaces a given box the same way when it builds geometry).

use rusqlite::types::Value;
use serde_json::Value as Json;

use super::ecschema::ClassInfo;
use super::elements::as_object;
use super::error::WriteError;
use super::props::{self, Row};
use itwin_geometry::placement::{Placement3d, Range3d};

/// `placement` as the props give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PlacementProps {
    /// `placement: null`.
    Clear,
    Set {
        origin: [f64; 3],
        angles: [f64; 3],
        bbox: Option<Range3d>,
    },
}

/// A stream ready to store, with its local box.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct EncodedGeometry {
    pub blob: Vec<u8>,
    pub bbox: Range3d,
}

/// `geom` as the props give it, encoded.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum GeomProps {
    Absent,
    /// `null`, `[]`, or only header and appearance entries: the native library then stores no
    /// stream and no placement.
    NoGeometry,
    Encoded(EncodedGeometry),
}

/// What an element has stored before the write (nothing, for an insert).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct StoredShape {
    /// Origin and yaw/pitch/roll, when the element has a placement.
    pub placement: Option<([f64; 3], [f64; 3])>,
    /// The box of the stored stream (only meaningful with `has_stream`).
    pub stream_box: Option<Range3d>,
    pub has_stream: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum PlacementWrite {
    Clear,
    Set(Placement3d),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum StreamWrite {
    Keep,
    Clear,
    Set(Vec<u8>),
}

/// The columns to write; `placement: None` leaves them as they are.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ShapeWrite {
    pub placement: Option<PlacementWrite>,
    pub stream: StreamWrite,
}

impl ShapeWrite {
    /// Whether what viewers draw may change (a new GeometryGuid for the model).
    pub fn changes_geometry(&self) -> bool {
        self.placement.is_some() || self.stream != StreamWrite::Keep
    }

    /// The placement written, for the project extents.
    pub fn placed(&self) -> Option<&Placement3d> {
        match &self.placement {
            Some(PlacementWrite::Set(p)) => Some(p),
            _ => None,
        }
    }
}

/// Why a write's placement and geometry do not fit together.
pub(super) const PLACEMENT_NEEDED: &str =
    "`placement`: an element with geometry needs a placement (leave `placement` out to keep it, or clear `geom` too)";

/// Merges an element's `placement` and `geom` props with what it has stored.
///
/// - geometry given: the stream is written with its computed box, at the given placement, else
///   the stored one, else the origin (as iTwin.js places an element inserted without placement);
/// - no geometry given (`null`, `[]`, header and appearance only): stream and placement are
///   cleared. iTwin.js stores exactly this for an insert; for an update it keeps the old stream
///   (its builder fails and the update goes on without geometry), which we do not copy: the
///   element ends as an insert of the same props would;
/// - `geom` left out: the stream stays, and so does its box when the placement moves.
pub(super) fn resolve(
    placement: Option<PlacementProps>,
    geom: GeomProps,
    stored: &StoredShape,
) -> Result<ShapeWrite, &'static str> {
    let clear_placement = || stored.placement.is_some().then_some(PlacementWrite::Clear);
    match geom {
        GeomProps::Encoded(encoded) => {
            let (origin, angles) = match placement {
                Some(PlacementProps::Clear) => return Err(PLACEMENT_NEEDED),
                Some(PlacementProps::Set { origin, angles, .. }) => (origin, angles),
                None => stored.placement.unwrap_or(([0.0; 3], [0.0; 3])),
            };
            Ok(ShapeWrite {
                placement: Some(PlacementWrite::Set(Placement3d { origin, angles, bbox: encoded.bbox })),
                stream: StreamWrite::Set(encoded.blob),
            })
        }
        GeomProps::NoGeometry => Ok(ShapeWrite {
            placement: clear_placement(),
            stream: if stored.has_stream { StreamWrite::Clear } else { StreamWrite::Keep },
        }),
        GeomProps::Absent => {
            let placement = match placement {
                None => None,
                Some(PlacementProps::Clear) if stored.has_stream => return Err(PLACEMENT_NEEDED),
                Some(PlacementProps::Clear) => clear_placement(),
                Some(PlacementProps::Set { origin, angles, bbox }) => {
                    let bbox = if stored.has_stream {
                        stored.stream_box.unwrap_or(NO_BOX)
                    } else {
                        // Without geometry the box is the caller's to give; zeros otherwise,
                        // which is what the native library stores for an element without geometry.
                        bbox.unwrap_or(NO_BOX)
                    };
                    Some(PlacementWrite::Set(Placement3d { origin, angles, bbox }))
                }
            };
            Ok(ShapeWrite { placement, stream: StreamWrite::Keep })
        }
    }
}

const NO_BOX: Range3d = Range3d { low: [0.0; 3], high: [0.0; 3] };

/// Parses `placement: { origin, angles: { yaw, pitch, roll }, bbox: { low, high } }` (degrees;
/// missing angles are 0). `class` must be a 3d geometric element class.
pub(super) fn parse_placement(class: &ClassInfo, value: &Json) -> Result<PlacementProps, WriteError> {
    if !has_placement_columns(class) {
        return Err(WriteError::Invalid(format!("`placement`: `{}` is not a 3d geometric element", class.full_name())));
    }
    if value.is_null() {
        return Ok(PlacementProps::Clear);
    }
    let obj = as_object(value, "placement")?;
    let origin = props::point(
        obj.get("origin").ok_or_else(|| WriteError::MissingProperty { property: "placement.origin".into() })?,
        3,
        "placement.origin",
    )?;
    let mut angles = [0.0; 3];
    if let Some(a) = obj.get("angles").filter(|a| !a.is_null()) {
        let a = as_object(a, "placement.angles")?;
        for (i, name) in ["yaw", "pitch", "roll"].iter().enumerate() {
            if let Some(v) = a.get(*name) {
                angles[i] = v.as_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                    WriteError::wrong_type(&format!("placement.angles.{name}"), "a number of degrees", v)
                })?;
            }
        }
    }
    let bbox = match obj.get("bbox").filter(|b| !b.is_null()) {
        Some(b) => Some(parse_box(b, "placement.bbox")?),
        None => None,
    };
    Ok(PlacementProps::Set { origin: [origin[0], origin[1], origin[2]], angles, bbox })
}

/// `{ low, high }`, low not above high.
pub(super) fn parse_box(value: &Json, field: &str) -> Result<Range3d, WriteError> {
    let b = as_object(value, field)?;
    let mut corners = [[0.0; 3]; 2];
    for (corner, key) in corners.iter_mut().zip(["low", "high"]) {
        let p = props::point(
            b.get(key).ok_or_else(|| WriteError::MissingProperty { property: format!("{field}.{key}") })?,
            3,
            &format!("{field}.{key}"),
        )?;
        *corner = [p[0], p[1], p[2]];
    }
    let bbox = Range3d { low: corners[0], high: corners[1] };
    if bbox.is_empty() {
        return Err(WriteError::Invalid(format!("`{field}`: low is above high")));
    }
    Ok(bbox)
}

/// Whether a class keeps geometry (a geometric element, 2d or 3d, or a geometry part): its
/// placement columns are then the compound wire keys `placement`, `bbox` and `geom`.
pub(super) fn has_geometry(class: &ClassInfo) -> bool {
    class.property("geometryStream").is_some()
}

pub(super) fn has_placement_columns(class: &ClassInfo) -> bool {
    ["origin", "yaw", "pitch", "roll", "bBoxLow", "bBoxHigh"].iter().all(|name| class.property(name).is_some())
}

/// Puts a [`ShapeWrite`] on the row of a 3d geometric element.
pub(super) fn put_element_shape(class: &ClassInfo, write: &ShapeWrite, row: &mut Row) {
    match &write.placement {
        None => {}
        Some(PlacementWrite::Clear) => {
            for name in ["origin", "yaw", "pitch", "roll", "bBoxLow", "bBoxHigh"] {
                for column in &class.property(name).expect("3d placement").columns {
                    row.put(column, Value::Null);
                }
            }
        }
        Some(PlacementWrite::Set(p)) => {
            put_point(class, "origin", p.origin, row);
            for (name, angle) in ["yaw", "pitch", "roll"].iter().zip(p.angles) {
                row.put(class.property(name).and_then(|p| p.value_column()).expect("3d placement"), Value::Real(angle));
            }
            put_box(class, &p.bbox, row);
        }
    }
    put_stream(class, &write.stream, row);
}

/// Puts a part's stream and box on its row.
pub(super) fn put_part_geometry(class: &ClassInfo, encoded: EncodedGeometry, row: &mut Row) {
    put_box(class, &encoded.bbox, row);
    put_stream(class, &StreamWrite::Set(encoded.blob), row);
}

fn put_stream(class: &ClassInfo, write: &StreamWrite, row: &mut Row) {
    let column = class.property("geometryStream").and_then(|p| p.value_column()).expect("a geometry stream column");
    match write {
        StreamWrite::Keep => {}
        StreamWrite::Clear => row.put(column, Value::Null),
        StreamWrite::Set(blob) => row.put(column, Value::Blob(blob.clone())),
    }
}

fn put_box(class: &ClassInfo, bbox: &Range3d, row: &mut Row) {
    put_point(class, "bBoxLow", bbox.low, row);
    put_point(class, "bBoxHigh", bbox.high, row);
}

fn put_point(class: &ClassInfo, name: &str, p: [f64; 3], row: &mut Row) {
    let prop = class.property(name).expect("a point property");
    for (axis, v) in ["X", "Y", "Z"].iter().zip(p) {
        row.put(prop.column(axis).expect("point3d columns"), Value::Real(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Range3d = Range3d { low: [0.0; 3], high: [1.0; 3] };
    const OTHER: Range3d = Range3d { low: [-5.0; 3], high: [5.0; 3] };

    fn encoded() -> GeomProps {
        GeomProps::Encoded(EncodedGeometry { blob: vec![1, 2, 3], bbox: UNIT })
    }

    fn set(origin: f64, bbox: Option<Range3d>) -> Option<PlacementProps> {
        Some(PlacementProps::Set { origin: [origin; 3], angles: [0.0, 0.0, 30.0], bbox })
    }

    fn placed(write: &ShapeWrite) -> Placement3d {
        *write.placed().expect("a placement is written")
    }

    const WITH_STREAM: StoredShape =
        StoredShape { placement: Some(([7.0; 3], [45.0, 0.0, 0.0])), stream_box: Some(OTHER), has_stream: true };
    const PLACED_ONLY: StoredShape = StoredShape { placement: Some(([7.0; 3], [0.0; 3])), ..NOTHING };
    const NOTHING: StoredShape = StoredShape { placement: None, stream_box: None, has_stream: false };

    #[test]
    fn geometry_brings_its_own_box_whatever_the_props_say() {
        let write = resolve(set(2.0, Some(OTHER)), encoded(), &NOTHING).unwrap();
        assert_eq!(placed(&write), Placement3d { origin: [2.0; 3], angles: [0.0, 0.0, 30.0], bbox: UNIT });
        assert_eq!(write.stream, StreamWrite::Set(vec![1, 2, 3]));
    }

    #[test]
    fn geometry_without_placement_keeps_the_stored_one_or_sits_at_the_origin() {
        let write = resolve(None, encoded(), &WITH_STREAM).unwrap();
        assert_eq!(placed(&write), Placement3d { origin: [7.0; 3], angles: [45.0, 0.0, 0.0], bbox: UNIT });
        let write = resolve(None, encoded(), &NOTHING).unwrap();
        assert_eq!(placed(&write), Placement3d { origin: [0.0; 3], angles: [0.0; 3], bbox: UNIT });
    }

    #[test]
    fn a_stream_without_geometry_clears_stream_and_placement() {
        let write = resolve(set(2.0, None), GeomProps::NoGeometry, &WITH_STREAM).unwrap();
        assert_eq!(write, ShapeWrite { placement: Some(PlacementWrite::Clear), stream: StreamWrite::Clear });
        assert!(write.changes_geometry());
        // On an insert there is nothing to clear: the columns stay NULL.
        let write = resolve(set(2.0, None), GeomProps::NoGeometry, &NOTHING).unwrap();
        assert_eq!(write, ShapeWrite { placement: None, stream: StreamWrite::Keep });
        assert!(!write.changes_geometry());
    }

    #[test]
    fn moving_an_element_with_geometry_keeps_its_stream_and_box() {
        for given_box in [None, Some(UNIT)] {
            let write = resolve(set(3.0, given_box), GeomProps::Absent, &WITH_STREAM).unwrap();
            assert_eq!(placed(&write).bbox, OTHER);
            assert_eq!(write.stream, StreamWrite::Keep);
        }
    }

    #[test]
    fn without_geometry_the_box_is_the_given_one_or_zeros() {
        let write = resolve(set(3.0, Some(OTHER)), GeomProps::Absent, &PLACED_ONLY).unwrap();
        assert_eq!(placed(&write).bbox, OTHER);
        let write = resolve(set(3.0, None), GeomProps::Absent, &PLACED_ONLY).unwrap();
        assert_eq!(placed(&write).bbox, NO_BOX);
    }

    #[test]
    fn geometry_cannot_lose_its_placement() {
        assert_eq!(resolve(Some(PlacementProps::Clear), encoded(), &NOTHING), Err(PLACEMENT_NEEDED));
        assert_eq!(resolve(Some(PlacementProps::Clear), GeomProps::Absent, &WITH_STREAM), Err(PLACEMENT_NEEDED));
        let write = resolve(Some(PlacementProps::Clear), GeomProps::Absent, &PLACED_ONLY).unwrap();
        assert_eq!(write.placement, Some(PlacementWrite::Clear));
    }

    #[test]
    fn nothing_given_writes_nothing() {
        let write = resolve(None, GeomProps::Absent, &WITH_STREAM).unwrap();
        assert!(!write.changes_geometry());
    }
}
