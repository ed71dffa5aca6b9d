//! The one model of a geometry stream: what the native library holds after reading
//! GeometryStreamProps JSON and before writing the flatbuffers (GeomLibs' details, in our own
//! types). JSON is read into it once ([`GeometryStream::from_json`]); the encoder, the range
//! computation and the decoder's JSON writer all work on it, and scaling asks the same reader
//! where the lengths are.

use serde_json::Value;

use crate::codec::{GeometryError, StreamContext};
use crate::math::{Angles, Xyz};
use crate::placement::Range3d;

/// A GeometryStreamProps array read into typed entries, ready to be encoded or ranged.
///
/// Reading checks every value and names the entry and field of the first bad one
/// (`geom[2].cone.radius`). Some streams iTwin.js accepts can be ranged but not stored the way
/// the native library stores them (a cone whose ends coincide, a part instance with a
/// non-positive scale, a ruled sweep): they read, and [`GeometryStream::encode`] refuses them.
#[derive(Debug, Clone, PartialEq)]
pub struct GeometryStream {
    pub(crate) entries: Vec<Entry>,
    /// Why the encoder must refuse this stream, found while reading it (with its location).
    pub(crate) unstorable: Option<GeometryError>,
}

impl GeometryStream {
    /// Reads a GeometryStreamProps array.
    ///
    /// # Errors
    /// [`GeometryError::Json`] naming the first entry or field that is malformed, unknown or
    /// not supported.
    pub fn from_json(geom: &Value) -> Result<GeometryStream, GeometryError> {
        crate::codec::parse::parse_stream(geom, None)
    }

    /// Encodes the stream into the column blob, or `None` when it holds no geometry (empty, or
    /// only `header` and `appearance` entries): the native library stores no stream then.
    ///
    /// # Errors
    /// [`GeometryError::Json`] for a stream that read but cannot be stored (see
    /// [`GeometryStream`]), a `geomPart` in a part's stream, or a stream too large to store.
    pub fn encode(&self, context: &StreamContext) -> Result<Option<Vec<u8>>, GeometryError> {
        let ops = crate::codec::encode::encode_stream(self, context)?;
        ops.map(|ops| crate::codec::stream::pack(&ops)).transpose()
    }

    /// The element-aligned box of the stream, as the native library computes it (see
    /// [`crate::range`]). `part_range` gives the stored box of a geometry part by id.
    ///
    /// # Errors
    /// [`GeometryError::UnknownPart`] for a part `part_range` does not know,
    /// [`GeometryError::Json`] for a part with an empty box or a range that is not finite.
    pub fn local_range(&self, part_range: &dyn Fn(i64) -> Option<Range3d>) -> Result<Range3d, GeometryError> {
        crate::range::stream_range(self, part_range)
    }

    /// The ids of the sub-categories the stream's `appearance` entries name, and the
    /// geometry parts its `geomPart` entries instance, with the index of their entry.
    pub fn references(&self) -> impl Iterator<Item = (usize, Reference)> + '_ {
        self.entries.iter().enumerate().filter_map(|(index, entry)| match entry {
            Entry::Appearance(a) => a.sub_category.map(|id| (index, Reference::SubCategory(id))),
            Entry::Part(p) => Some((index, Reference::Part(p.part))),
            _ => None,
        })
    }
}

/// An element a stream refers to, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// `appearance.subCategory`.
    SubCategory(i64),
    /// `geomPart.part`.
    Part(i64),
}

/// One entry of a stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry {
    /// `header`: the stream flags (GeometryStreamFlags: None = 0, ViewIndependent = 1).
    Header {
        flags: u32,
    },
    Appearance(Appearance),
    Part(PartInstance),
    Geometry(Geometry),
    /// A `subRange` read from a blob (the decoder reports it; JSON never gives one).
    SubRange(Range3d),
}

/// What an `appearance` entry asks for; everything not given follows the sub-category.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Appearance {
    pub sub_category: Option<i64>,
    pub color: Option<u32>,
    pub weight: Option<u32>,
    /// A line style, read from blobs only (JSON ones are refused).
    pub style: Option<i64>,
    pub transparency: f64,
    pub display_priority: i32,
    pub geometry_class: u8,
}

/// A `geomPart` entry: the part, and the instance's placement as given (angles in degrees,
/// each read through radians as the native reader does).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartInstance {
    pub part: i64,
    pub origin: Xyz,
    pub angles: Angles,
    /// As given; the native library applies only a positive scale (and we store only those).
    pub scale: f64,
}

/// One geometric primitive of a stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Geometry {
    Curve(Curve),
    Solid(Solid),
    Mesh(Mesh),
}

/// A curve primitive, or a curve vector (path, loop, region) as a primitive.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Curve {
    Segment([Xyz; 2]),
    LineString(Vec<Xyz>),
    PointString(Vec<Xyz>),
    Arc(Arc),
    Vector(CurveVector),
}

/// `DEllipse3d`: center, the vectors to 0° and 90°, start and sweep in radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arc {
    pub center: Xyz,
    pub vector0: Xyz,
    pub vector90: Xyz,
    pub start: f64,
    pub sweep: f64,
}

/// `CurveVector::BoundaryType`; the discriminants are the stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    None = 0,
    Open = 1,
    Outer = 2,
    Inner = 3,
    ParityRegion = 4,
    UnionRegion = 5,
}

impl Boundary {
    pub(crate) fn from_stored(value: i32) -> Option<Boundary> {
        Some(match value {
            0 => Boundary::None,
            1 => Boundary::Open,
            2 => Boundary::Outer,
            3 => Boundary::Inner,
            4 => Boundary::ParityRegion,
            5 => Boundary::UnionRegion,
            _ => return None,
        })
    }

    /// The iTwin.js JSON key (inner and outer loops are both "loop").
    pub(crate) fn json_key(self) -> &'static str {
        match self {
            Boundary::None => "bagOfCurves",
            Boundary::Open => "path",
            Boundary::Outer | Boundary::Inner => "loop",
            Boundary::ParityRegion => "parityRegion",
            Boundary::UnionRegion => "unionRegion",
        }
    }

    pub(crate) fn is_closed_path(self) -> bool {
        matches!(self, Boundary::Outer | Boundary::Inner)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurveVector {
    pub boundary: Boundary,
    pub curves: Vec<Curve>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Solid {
    Box(BoxDetail),
    Sphere(SphereDetail),
    Cone(ConeDetail),
    TorusPipe(TorusPipeDetail),
    Extrusion(ExtrusionDetail),
    /// `ruledSweep`: ranged, never stored (the encoder does not write DgnRuledSweep).
    RuledSweep(Vec<CurveVector>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BoxDetail {
    pub base_origin: Xyz,
    pub top_origin: Xyz,
    pub vector_x: Xyz,
    pub vector_y: Xyz,
    pub base_x: f64,
    pub base_y: f64,
    pub top_x: f64,
    pub top_y: f64,
    pub capped: bool,
}

/// `DgnSphereDetail`: `local_to_world` by rows, each row's last entry the translation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SphereDetail {
    pub local_to_world: [[f64; 4]; 3],
    pub start_latitude: f64,
    pub latitude_sweep: f64,
    pub capped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ConeDetail {
    pub center_a: Xyz,
    pub center_b: Xyz,
    pub vector0: Xyz,
    pub vector90: Xyz,
    pub radius_a: f64,
    pub radius_b: f64,
    pub capped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TorusPipeDetail {
    pub center: Xyz,
    pub vector_x: Xyz,
    pub vector_y: Xyz,
    pub major_radius: f64,
    pub minor_radius: f64,
    pub sweep: f64,
    pub capped: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExtrusionDetail {
    pub base: CurveVector,
    pub vector: Xyz,
    pub capped: bool,
}

/// An indexed mesh in the stored (and JSON) index convention: 1-based, negative for hidden
/// edges, 0 ends a face when `num_per_face` is 0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mesh {
    pub points: Vec<Xyz>,
    pub point_index: Vec<i32>,
    pub num_per_face: i32,
    pub two_sided: bool,
    pub expected_closure: u32,
    pub params: Option<Vec<[f64; 2]>>,
    pub param_index: Option<Vec<i32>>,
    pub normals: Option<Vec<Xyz>>,
    pub normal_index: Option<Vec<i32>>,
    pub colors: Option<Vec<u32>>,
    pub color_index: Option<Vec<i32>>,
}
