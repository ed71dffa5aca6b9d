//! GeometryStreamProps JSON <-> GeometryStream blob, through the model
//! ([`crate::GeometryStream`]): `parse` reads the JSON into it, `encode` writes its ops, `decode`
//! reads ops into the same types and writes them as JSON.
//!
//! [`encode`] turns the JSON array iTwin.js takes as an element's or part's `geom` into the
//! blob stored in `bis_GeometricElement3d.GeometryStream` / `bis_GeometryPart.GeometryStream`;
//! [`decode`] turns such a blob back into the JSON `getElementProps({wantGeometry: true}).geom`
//! reports, leading `{"header": {"flags": 0}}` included.
//!
//! The native library does not store JSON as given: it builds geometry from it and stores that.
//! The encoder does the same (verified byte for byte against iTwin.js in crates/geometry/tests/all/codec.rs), so
//! the JSON that comes back is the native one, e.g. a `lineSegment` reads back as a two-point
//! `lineString`, a `cone` with equal radii as `cylinder`, a box gains `origin` and `topOrigin`.
//! Encoding what iTwin.js reports gives the same geometry again (to the last bit where the report
//! does not round, e.g. a cylinder's radius comes back as radius × |section vector|).
//!
//! Entries supported both ways: `header`, `appearance` (sub-category, color, weight,
//! transparency, display priority, geometry class), `geomPart`, `lineSegment`, `lineString`,
//! `pointString`, `arc`, `path`, `loop`, `parityRegion`, `unionRegion`, `bagOfCurves`, `box`,
//! `sphere`, `cylinder`, `cone`, `torusPipe`, `linearSweep`, `indexedMesh` (points, params,
//! normals, colors). The decoder also reads `subRange`. Others (text, B-reps, B-splines, fills,
//! patterns, materials, line styles) are refused with an error naming the entry.
//!
//! Streams are 3d: a `displayPriority` is accepted but, as by the native builder for 3d
//! elements, not stored.
//!
//! What the native library (5.7.13, the pinned iTwin.js 5.7.3) does that the encoder mirrors:
//! - single lines, line strings, point strings and arcs, also alone in a path or loop, are
//!   ElementGraphics PointPrimitive/ArcPrimitive ops; other curves an allcg CurveVector op;
//!   solids SolidPrimitive, meshes Polyface, all allcg behind "bg0001fb";
//! - an `appearance` becomes a BasicSymbology op only before the next geometry and only if it
//!   changes what is in effect; the sub-category id is stored only when it changed;
//! - a `cylinder` or a `cone` without vectors gets its section vectors from the axis
//!   (`DVec3d::GetNormalizedTriad`); `xyVectors` are squared and normalized;
//! - a `geomPart` placement goes through a transform and back: angles are read through radians,
//!   turned into a matrix (`YawPitchRollAngles::ToRotMatrix`) and recovered from it, so
//!   `yaw: 30` is stored as 29.999999999999996; an identity placement stores the part id only.
//!
//! Our op streams equal the native ones byte for byte, except the 7 padding bytes after `capped`
//! in the box, sphere, cone and torus detail structs, which the native writer leaves
//! uninitialised and we write as zeros. Snappy output may differ (any raw-snappy encoder's
//! output inflates the same).

#[cfg(any(test, feature = "test-support"))]
mod compare;
pub(crate) mod curves;
mod decode;
pub(crate) mod encode;
mod error;
mod flatbuf;
#[cfg(test)]
pub(crate) mod fuzz_tests;
pub(crate) mod json;
pub(crate) mod parse;
mod polyface;
pub(crate) mod solids;
pub(crate) mod stream;
mod symbology;
#[cfg(test)]
mod tests;
mod variant;

#[cfg(any(test, feature = "test-support"))]
pub use compare::comparable_ops;
pub use error::GeometryError;

use serde_json::Value;

use crate::model::GeometryStream;

/// What the bytes of a stream depend on besides its JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamContext {
    /// The default sub-category of the element's category (the category id + 1). The native
    /// builder stores an `appearance` sub-category only when it differs from the one in effect,
    /// which starts as this one; and `getElementProps` leaves it out of the JSON. Without it,
    /// a sub-category equal to the default is stored (harmless, but not byte-identical).
    pub default_sub_category: Option<i64>,
    /// The stream of a GeometryPart: no `geomPart` entries, no sub-categories stored.
    pub is_part: bool,
}

/// Encodes a GeometryStreamProps array into the column blob, for an element whose category is
/// not known (see [`StreamContext`]).
///
/// # Errors
/// See [`encode_with`].
pub fn encode(geom: &Value) -> Result<Vec<u8>, GeometryError> {
    encode_with(geom, &StreamContext::default())
}

/// Encodes a GeometryStreamProps array into the column blob. A stream without geometry is an
/// error here; see [`encode_if_any`].
///
/// # Errors
/// See [`encode_if_any`]; also [`GeometryError::Json`] at `geom` for a stream without geometry.
pub fn encode_with(geom: &Value, context: &StreamContext) -> Result<Vec<u8>, GeometryError> {
    encode_if_any(geom, context)?
        .ok_or_else(|| GeometryError::json("geom", "has no geometry (store no stream instead)"))
}

/// Encodes a GeometryStreamProps array into the column blob, or `None` when it is valid but holds
/// no geometry (empty, or only `header` and `appearance` entries): the native library stores no
/// stream then, so a writer must know the difference rather than get an error. A writer that
/// also needs the range reads the stream once with [`crate::GeometryStream`] instead.
///
/// # Errors
/// What [`crate::GeometryStream::from_json`] and [`crate::GeometryStream::encode`] refuse.
pub fn encode_if_any(geom: &Value, context: &StreamContext) -> Result<Option<Vec<u8>>, GeometryError> {
    GeometryStream::from_json(geom)?.encode(context)
}

/// Decodes a column blob into the GeometryStreamProps iTwin.js reports for it.
///
/// # Errors
/// See [`decode_with`].
pub fn decode(blob: &[u8]) -> Result<Value, GeometryError> {
    decode_with(blob, &StreamContext::default())
}

/// Decodes a column blob; the context's default sub-category is left out of `appearance`
/// entries, as iTwin.js leaves it out.
pub fn decode_with(blob: &[u8], context: &StreamContext) -> Result<Value, GeometryError> {
    decode::decode_stream(&stream::unpack(blob)?, context)
}

/// The ids of the geometry parts a column blob instances (its `geomPart` entries), without
/// decoding the rest: what a writer needs to know before deleting a part.
///
/// # Errors
/// As [`decode_with`], for the blob and the part instance ops.
pub fn instanced_parts(blob: &[u8]) -> Result<Vec<i64>, GeometryError> {
    decode::instanced_parts(&stream::unpack(blob)?)
}

/// The uncompressed op stream inside a blob (after its 8-byte blob header): what to compare
/// when two writers' snappy output differs.
///
/// # Errors
/// [`GeometryError::Blob`] for a blob that is not a chunked, snappy-compressed stream.
#[cfg(any(test, feature = "test-support"))]
pub fn uncompressed_ops(blob: &[u8]) -> Result<Vec<u8>, GeometryError> {
    stream::unpack(blob)
}
