//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

pub mod compat;
pub mod fixture;
pub mod run;
pub mod snapshot;
