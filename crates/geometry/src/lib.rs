//! Geometry in the iTwin.js wire format (`GeometryStreamProps` JSON): encoding to and decoding
//! from the binary GeometryStream blobs the native library stores, and the ranges that placement,
//! the spatial index and project extents need, and scaling for a change of length unit.
//!
//! ```
//! use itwin_geometry::{codec, range, scale};
//! use serde_json::json;
//!
//! // A 2 m line in millimetres, as a connector's source has it, scaled to metres.
//! let mut geom = json!([{ "lineSegment": [[0, 0, 0], [2000, 0, 0]] }]);
//! scale::scale_stream(&mut geom, 0.001)?;
//!
//! // The blob the native library stores, and the JSON iTwin.js reports for it: a single
//! // segment comes back as a two-point line string, after the header.
//! let blob = codec::encode(&geom)?;
//! let back = codec::decode(&blob)?;
//! assert_eq!(back[1], json!({ "lineString": [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]] }));
//!
//! // The element-aligned box stored with it (no parts to look up here).
//! let bbox = range::local_range(&geom, &|_| None)?;
//! assert_eq!((bbox.low, bbox.high), ([0.0, 0.0, 0.0], [2.0, 0.0, 0.0]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod codec;
mod math;
mod model;
pub mod placement;
pub mod range;
pub mod scale;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use codec::GeometryError;
pub use model::{GeometryStream, Reference};
