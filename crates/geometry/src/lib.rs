//! Geometry in the iTwin.js wire format (`GeometryStreamProps` JSON): encoding to and decoding
//! from the binary GeometryStream blobs the native library stores, and the ranges that placement,
//! the spatial index and project extents need, and scaling for a change of length unit.
//!
//! JSON is read once into one typed model, [`GeometryStream`]: the encoder and the range
//! computation work on it, and the decoder reads blobs into the same types and writes them
//! back as the JSON iTwin.js reports. Errors are one type, [`GeometryError`], naming the entry
//! and field (`geom[2].cone.radius`) or the op of a blob.
//!
//! ```
//! use itwin_geometry::codec::{self, StreamContext};
//! use itwin_geometry::{scale, GeometryStream};
//! use serde_json::json;
//!
//! // A 2 m line in millimetres, as a connector's source has it, scaled to metres.
//! let mut geom = json!([{ "lineSegment": [[0, 0, 0], [2000, 0, 0]] }]);
//! scale::scale_stream(&mut geom, 0.001)?;
//!
//! // Read once: the blob the native library stores and the element-aligned box stored with it
//! // (no parts to look up here) come from the same model.
//! let stream = GeometryStream::from_json(&geom)?;
//! let blob = stream.encode(&StreamContext::default())?.expect("a stream with geometry");
//! let bbox = stream.local_range(&|_| None)?;
//! assert_eq!((bbox.low, bbox.high), ([0.0, 0.0, 0.0], [2.0, 0.0, 0.0]));
//!
//! // The JSON iTwin.js reports for the blob: a single segment comes back as a two-point line
//! // string, after the header.
//! let back = codec::decode(&blob)?;
//! assert_eq!(back[1], json!({ "lineString": [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]] }));
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
