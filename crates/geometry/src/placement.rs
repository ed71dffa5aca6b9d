//! Placement math shared by the `DGN_*` SQL functions and the project-extents bookkeeping.
//!
//! The rotation is the native library's `YawPitchRollAngles::ToRotMatrix` (angles in degrees,
//! exact-degree trigonometry), the crate's one rotation formula, and the axis-aligned range
//! follows native `Placement3d::CalculateRange`, so the spatial index rows we produce equal the
//! ones iTwin.js produces.

/// An axis-aligned box: `[low x, low y, low z]`, `[high x, high y, high z]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range3d {
    /// The low corner.
    pub low: [f64; 3],
    /// The high corner.
    pub high: [f64; 3],
}

/// The largest coordinate stored, in metres: far beyond any site on Earth (whose coordinates are
/// around 1e7 m), well short of where f64 arithmetic on ranges overflows.
pub const MAX_COORDINATE: f64 = 1e12;

/// Refuses a coordinate that cannot be stored meaningfully: non-finite or absurd values (which
/// scaled source coordinates, or a huge radius, can become) would poison the spatial index and
/// project extents, and make streams the decoder cannot read back.
///
/// # Errors
/// A message naming the value and the limit, for the caller to place in its own error.
pub fn check_coordinate(v: f64) -> Result<(), String> {
    if v.is_finite() && v.abs() <= MAX_COORDINATE {
        Ok(())
    } else {
        Err(format!("coordinate {v} is not a finite number within ±{MAX_COORDINATE} m"))
    }
}

impl Range3d {
    /// The empty range (any point extends it).
    pub const EMPTY: Range3d = Range3d { low: [f64::MAX; 3], high: [f64::MIN; 3] };

    /// Whether no point is in it (low above high on some axis).
    pub fn is_empty(&self) -> bool {
        (0..3).any(|i| self.low[i] > self.high[i])
    }

    /// [`check_coordinate`] on both corners; an empty range has none to check.
    ///
    /// # Errors
    /// [`check_coordinate`]'s message for the first corner coordinate out of bounds.
    pub fn check_storable(&self) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        self.low.iter().chain(&self.high).try_for_each(|&v| check_coordinate(v))
    }

    /// Grows it to contain `p`.
    pub fn extend_point(&mut self, p: [f64; 3]) {
        for ((low, high), v) in self.low.iter_mut().zip(&mut self.high).zip(p) {
            *low = low.min(v);
            *high = high.max(v);
        }
    }

    /// Grows it to contain `other` (nothing for an empty one).
    pub fn extend_range(&mut self, other: &Range3d) {
        if !other.is_empty() {
            self.extend_point(other.low);
            self.extend_point(other.high);
        }
    }
}

/// Origin, yaw/pitch/roll in degrees and the element-aligned box, as stored in `bis_GeometricElement3d`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement3d {
    /// The origin, in metres.
    pub origin: [f64; 3],
    /// Yaw, pitch, roll in degrees.
    pub angles: [f64; 3],
    /// The element-aligned box.
    pub bbox: Range3d,
}

/// Rotation matrix (rows) for yaw (about z), pitch (about y), roll (about x), in degrees: the
/// native library's `YawPitchRollAngles::ToRotMatrix`, with its exact-degree trigonometry
/// (`sin(30°)` is exactly 0.5), the one formula of the crate.
pub fn rotation_matrix(yaw: f64, pitch: f64, roll: f64) -> [[f64; 3]; 3] {
    crate::math::Angles { yaw, pitch, roll }.to_matrix()
}

/// Minimum half-size of a range on an axis, so flat elements still have volume in the spatial index.
const MINIMUM_HALF_SIZE: f64 = 0.0005;

impl Placement3d {
    /// The world-coordinate, axis-aligned range of the placed box (native `Placement3d::CalculateRange`).
    pub fn world_range(&self) -> Range3d {
        let m = rotation_matrix(self.angles[0], self.angles[1], self.angles[2]);
        let b = &self.bbox;
        let mut range = Range3d::EMPTY;
        for corner in 0..8 {
            let local = [
                if corner & 1 == 0 { b.low[0] } else { b.high[0] },
                if corner & 2 == 0 { b.low[1] } else { b.high[1] },
                if corner & 4 == 0 { b.low[2] } else { b.high[2] },
            ];
            let mut world = self.origin;
            for (row, w) in m.iter().zip(world.iter_mut()) {
                *w += row[0] * local[0] + row[1] * local[1] + row[2] * local[2];
            }
            range.extend_point(world);
        }
        for i in 0..3 {
            if range.low[i] == range.high[i] {
                range.low[i] -= MINIMUM_HALF_SIZE;
                range.high[i] += MINIMUM_HALF_SIZE;
            }
        }
        range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaw_30_box_corners_rotate_about_the_origin() {
        let p = Placement3d {
            origin: [100.0, 0.0, 0.0],
            angles: [30.0, 0.0, 0.0],
            bbox: Range3d { low: [0.0; 3], high: [1.0, 2.0, 3.0] },
        };
        let r = p.world_range();
        let (s, c) = 30f64.to_radians().sin_cos();
        // x extremes come from corners (0,2) and (1,0); y from (0,0) and (1,2).
        assert!((r.low[0] - (100.0 - 2.0 * s)).abs() < 1e-12, "{r:?}");
        assert!((r.high[0] - (100.0 + c)).abs() < 1e-12, "{r:?}");
        assert!((r.high[1] - (s + 2.0 * c)).abs() < 1e-12, "{r:?}");
        assert_eq!((r.low[2], r.high[2]), (0.0, 3.0));
    }

    #[test]
    fn flat_ranges_get_a_minimum_thickness() {
        let p =
            Placement3d { origin: [0.0; 3], angles: [0.0; 3], bbox: Range3d { low: [0.0; 3], high: [1.0, 1.0, 0.0] } };
        let r = p.world_range();
        assert_eq!(r.low[2], -0.0005);
        assert_eq!(r.high[2], 0.0005);
    }

    #[test]
    fn pitch_90_turns_x_into_z() {
        let m = rotation_matrix(0.0, 90.0, 0.0);
        // x axis maps to the first column.
        assert!((m[2][0] - 1.0).abs() < 1e-12);
        assert!(m[0][0].abs() < 1e-12);
    }
}
