//! `itwin-host`: runs iTwin connectors as sandboxed WebAssembly components and writes what they
//! produce into real iModels.
//!
//! This version holds the briefcase writer ([`imodel`]); the runtime that hosts connectors builds on it.

pub mod imodel;
