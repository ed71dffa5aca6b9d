//! The geometry crate against iTwin.js (tests/compat): the codec's bytes, the ranges and unit
//! scaling, each compared with what the official backend stores for the same stream.

mod codec;
mod ranges;
mod scale;
