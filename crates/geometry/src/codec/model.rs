//! The geometry between JSON and bytes: what the native library holds after reading the JSON
//! and before writing the flatbuffers (GeomLibs' details, in our own types).

use crate::math::Xyz;

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
