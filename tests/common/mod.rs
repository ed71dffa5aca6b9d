//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

pub mod compat;
pub mod fixture;
pub mod inflate;
pub mod png;
pub mod run;
pub mod snapshot;
