//! The briefcase writer end to end: files it writes are opened, queried, rendered and edited
//! further by the official iTwin.js backend (tests/compat).

mod briefcase;
mod fixture;
mod geometry_writer;
mod render;
