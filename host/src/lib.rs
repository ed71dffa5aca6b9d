//! `itwin-host`: runs iTwin connectors as sandboxed WebAssembly components and writes what they
//! produce into real iModels.
//!
//! This version holds the briefcase writer ([`imodel`]) and change files ([`changes`]); the
//! runtime that hosts connectors builds on them.

pub mod changes;
pub mod geometry;
pub mod imodel;
pub mod job;
pub mod lock;
pub mod runner;
pub mod runtime;
mod source_mount;
pub mod sync;
pub mod views;
