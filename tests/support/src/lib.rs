//! Helpers the tests of every crate share: running the iTwin.js judge in `tests/compat`, the
//! content of an iModel file as text or digests, and reading the PNGs the render script writes.

pub mod compat;
mod inflate;
pub mod png;
pub mod snapshot;

use std::path::{Path, PathBuf};

/// The repository's root folder (where `tests/`, `guest-examples/` and `target/guests` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
