//! Ranges of wire-format geometry entries in local coordinates.
