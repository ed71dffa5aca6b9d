//! Geometry in the iTwin.js wire format (`GeometryStreamProps` JSON): encoding to and decoding
//! from the binary GeometryStream blobs the native library stores, and the ranges that placement,
//! the spatial index and project extents need, and scaling for a change of length unit.

pub mod codec;
mod math;
pub mod placement;
pub mod range;
pub mod scale;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
