//! The six `DGN_*` SQL functions that the spatial-index triggers on `bis_GeometricElement3d` call.
//!
//! SQLite refuses to prepare any statement touching that table unless they exist. Only the numbers
//! that reach `dgn_SpatialIndex` matter; the intermediate blobs use the native layout (little-endian
//! doubles: point 3, angles 3, bbox 6, placement 12) so values are the same as the native library's.
//! A NULL argument reads as 0, as `sqlite3_value_double` does in the native functions.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use itwin_geometry::placement::{Placement3d, Range3d};

/// Registers the `DGN_*` functions on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("DGN_point", 3, flags, |ctx| Ok(doubles_blob(&read_doubles(ctx, 3)?)))?;
    conn.create_scalar_function("DGN_angles", 3, flags, |ctx| Ok(doubles_blob(&read_doubles(ctx, 3)?)))?;
    conn.create_scalar_function("DGN_bbox", 6, flags, |ctx| Ok(doubles_blob(&read_doubles(ctx, 6)?)))?;
    conn.create_scalar_function("DGN_placement", 3, flags, |ctx| {
        let mut all = Vec::with_capacity(12);
        all.extend(blob_doubles(ctx, 0, 3)?);
        all.extend(blob_doubles(ctx, 1, 3)?);
        all.extend(blob_doubles(ctx, 2, 6)?);
        Ok(doubles_blob(&all))
    })?;
    conn.create_scalar_function("DGN_placement_aabb", 1, flags, |ctx| {
        let d = blob_doubles(ctx, 0, 12)?;
        let placement = Placement3d {
            origin: [d[0], d[1], d[2]],
            angles: [d[3], d[4], d[5]],
            bbox: Range3d { low: [d[6], d[7], d[8]], high: [d[9], d[10], d[11]] },
        };
        let r = placement.world_range();
        Ok(doubles_blob(&[r.low[0], r.low[1], r.low[2], r.high[0], r.high[1], r.high[2]]))
    })?;
    conn.create_scalar_function("DGN_bbox_value", 2, flags, |ctx| {
        let d = blob_doubles(ctx, 0, 6)?;
        let index: i64 = ctx.get(1)?;
        let value = usize::try_from(index).ok().and_then(|i| d.get(i).copied());
        Ok(value.map_or(Value::Null, Value::Real))
    })?;
    Ok(())
}

fn read_doubles(ctx: &Context<'_>, n: usize) -> rusqlite::Result<Vec<f64>> {
    (0..n)
        .map(|i| match ctx.get_raw(i) {
            ValueRef::Null => Ok(0.0),
            ValueRef::Integer(v) => Ok(v as f64),
            ValueRef::Real(v) => Ok(v),
            other => Err(rusqlite::Error::UserFunctionError(
                format!("DGN function argument {i} is not a number: {:?}", other.data_type()).into(),
            )),
        })
        .collect()
}

fn doubles_blob(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Reads `n` doubles from the blob argument `index`; a NULL blob reads as zeros.
fn blob_doubles(ctx: &Context<'_>, index: usize, n: usize) -> rusqlite::Result<Vec<f64>> {
    match ctx.get_raw(index) {
        ValueRef::Null => Ok(vec![0.0; n]),
        ValueRef::Blob(bytes) if bytes.len() == n * 8 => {
            Ok(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
        }
        other => Err(rusqlite::Error::UserFunctionError(
            format!("DGN function argument {index} is not a {n}-double blob: {:?}", other.data_type()).into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aabb_of_a_placed_box_through_sql() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let values: Vec<f64> = (0..6)
            .map(|i| {
                conn.query_row(
                    "SELECT DGN_bbox_value(DGN_placement_aabb(DGN_placement(DGN_point(10,20,30), \
                     DGN_angles(90,0,0), DGN_bbox(0,0,0,1,2,3))), ?1)",
                    [i],
                    |r| r.get(0),
                )
                .unwrap()
            })
            .collect();
        // yaw 90: local x → world y, local y → world −x.
        let expected = [8.0, 20.0, 30.0, 10.0, 21.0, 33.0];
        for (v, e) in values.iter().zip(expected) {
            assert!((v - e).abs() < 1e-12, "{values:?}");
        }
    }

    #[test]
    fn null_bbox_is_a_point_with_minimum_size() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let low_x: f64 = conn
            .query_row(
                "SELECT DGN_bbox_value(DGN_placement_aabb(DGN_placement(DGN_point(1,2,3), \
                 DGN_angles(NULL,NULL,NULL), DGN_bbox(NULL,NULL,NULL,NULL,NULL,NULL))), 0)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!((low_x - 0.9995).abs() < 1e-12);
    }
}
