//! GeometryStreamProps JSON <-> GeometryStream blob.
