//! The allcg root table `VariantGeometry { geometry: VariantGeometryUnion; tag: CurvePrimitiveId }`
//! that wraps every BGFB payload (curve primitives, curve vectors, solids, meshes).

use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

use super::error::{PayloadError, PayloadResult};
use super::flatbuf::{Table, TableOffset};

/// `VariantGeometryUnion` members this codec reads or writes.
pub(crate) mod kind {
    pub const LINE_SEGMENT: u8 = 1;
    pub const ELLIPTIC_ARC: u8 = 2;
    pub const LINE_STRING: u8 = 4;
    pub const CURVE_VECTOR: u8 = 5;
    pub const DGN_CONE: u8 = 6;
    pub const DGN_SPHERE: u8 = 7;
    pub const DGN_TORUS_PIPE: u8 = 8;
    pub const DGN_BOX: u8 = 9;
    pub const DGN_EXTRUSION: u8 = 10;
    pub const POLYFACE: u8 = 13;
    pub const POINT_STRING: u8 = 18;
}

/// `VariantGeometry` field slots.
const GEOMETRY_TYPE: u16 = 4;
const GEOMETRY: u16 = 6;

/// Writes a `VariantGeometry` around an already written member table (`CreateVariantGeometry`
/// without a tag: the native writer only tags curves that carry a `CurvePrimitiveId`).
pub(crate) fn create(
    fbb: &mut FlatBufferBuilder<'_>,
    member_kind: u8,
    member: WIPOffset<UnionWIPOffset>,
) -> TableOffset {
    let start = fbb.start_table();
    fbb.push_slot_always(GEOMETRY, member);
    fbb.push_slot::<u8>(GEOMETRY_TYPE, member_kind, 0);
    fbb.end_table(start)
}

/// The member kind and table of a `VariantGeometry`.
pub(crate) fn read<'a>(variant: &Table<'a>) -> PayloadResult<(u8, Table<'a>)> {
    let member_kind = variant.u8(GEOMETRY_TYPE, 0)?;
    let member = variant.table(GEOMETRY)?.ok_or_else(|| PayloadError::new("VariantGeometry without geometry"))?;
    Ok((member_kind, member))
}

/// Names for messages about members we do not support.
pub(crate) fn kind_name(member_kind: u8) -> &'static str {
    match member_kind {
        1 => "LineSegment",
        2 => "EllipticArc",
        3 => "BsplineCurve",
        4 => "LineString",
        5 => "CurveVector",
        6 => "DgnCone",
        7 => "DgnSphere",
        8 => "DgnTorusPipe",
        9 => "DgnBox",
        10 => "DgnExtrusion",
        11 => "DgnRotationalSweep",
        12 => "DgnRuledSweep",
        13 => "Polyface",
        14 => "BsplineSurface",
        15 => "VectorOfVariantGeometry",
        16 => "InterpolationCurve",
        17 => "TransitionSpiral",
        18 => "PointString",
        19 => "AkimaCurve",
        20 => "CatenaryCurve",
        21 => "PartialCurve",
        _ => "unknown VariantGeometry member",
    }
}
