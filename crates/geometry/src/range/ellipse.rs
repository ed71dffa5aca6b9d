//! The exact range of an elliptic arc `center + vector0·cos θ + vector90·sin θ`, θ from `start`
//! through `start + sweep` (native `DEllipse3d::GetRange`): the end points plus, on each axis, the
//! two extremes of the full ellipse that lie within the sweep.

use std::f64::consts::{PI, TAU};

use crate::math::{add_scaled, is_full_circle, Xyz, SMALL_ANGLE};
/// The model's arc (`DEllipse3d`) is the ellipse ranged here.
pub(crate) use crate::model::Arc as Ellipse;
use crate::placement::Range3d;

impl Ellipse {
    /// A whole circle of radius `radius` spanned by two perpendicular unit vectors.
    pub(crate) fn circle(center: Xyz, unit0: Xyz, unit90: Xyz, radius: f64) -> Ellipse {
        Ellipse {
            center,
            vector0: crate::math::scale(unit0, radius),
            vector90: crate::math::scale(unit90, radius),
            start: 0.0,
            sweep: TAU,
        }
    }

    pub(crate) fn point_at(&self, theta: f64) -> Xyz {
        add_scaled(add_scaled(self.center, self.vector0, theta.cos()), self.vector90, theta.sin())
    }

    pub(crate) fn range(&self) -> Range3d {
        let mut range = Range3d::EMPTY;
        if is_full_circle(self.sweep) {
            range.extend_point(self.center);
        } else {
            range.extend_point(self.point_at(self.start));
            range.extend_point(self.point_at(self.start + self.sweep));
        }
        for axis in 0..3 {
            let (c, u, v) = (self.center[axis], self.vector0[axis], self.vector90[axis]);
            // On this axis the coordinate is c + r·cos(θ - θ1): extremes at θ1 and θ1 + π.
            let r = u.hypot(v);
            if r > 0.0 {
                let theta1 = v.atan2(u);
                for (theta, extreme) in [(theta1, c + r), (theta1 + PI, c - r)] {
                    if in_sweep(theta, self.start, self.sweep) {
                        range.low[axis] = range.low[axis].min(extreme);
                        range.high[axis] = range.high[axis].max(extreme);
                    }
                }
            }
        }
        range
    }
}

/// Whether `theta` (any period) lies on the sweep, ends included with the small-angle tolerance.
fn in_sweep(theta: f64, start: f64, sweep: f64) -> bool {
    if nearly_equal_angles(theta, start) || nearly_equal_angles(theta, start + sweep) {
        return true;
    }
    // Shift by whole turns into the sweep's period, then compare exactly.
    let turns_from_start = ((theta - start) / TAU).floor();
    let mut alpha = theta - turns_from_start * TAU; // in [start, start + 2π)
    if sweep < 0.0 && alpha > start {
        alpha -= TAU; // in (start - 2π, start]
    }
    if sweep >= 0.0 {
        alpha >= start && alpha <= start + sweep
    } else {
        alpha <= start && alpha >= start + sweep
    }
}

fn nearly_equal_angles(a: f64, b: f64) -> bool {
    let d = (a - b).rem_euclid(TAU);
    d.min(TAU - d) <= SMALL_ANGLE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_range(r: Range3d, low: Xyz, high: Xyz) {
        for i in 0..3 {
            assert!((r.low[i] - low[i]).abs() < 1e-12 && (r.high[i] - high[i]).abs() < 1e-12, "{r:?}");
        }
    }

    fn arc(start_deg: f64, end_deg: f64) -> Ellipse {
        Ellipse {
            center: [0.0; 3],
            vector0: [2.0, 0.0, 0.0],
            vector90: [0.0, 1.0, 0.0],
            start: start_deg.to_radians(),
            sweep: (end_deg - start_deg).to_radians(),
        }
    }

    #[test]
    fn full_ellipse_spans_both_semi_axes() {
        assert_range(arc(0.0, 360.0).range(), [-2.0, -1.0, 0.0], [2.0, 1.0, 0.0]);
    }

    #[test]
    fn partial_arc_takes_ends_and_the_extremes_it_passes() {
        // 30°..200°: passes 90° (y = 1) and 180° (x = -2); ends at (√3, 0.5) and (2cos200°, sin200°).
        let r = arc(30.0, 200.0).range();
        assert_range(r, [-2.0, 200f64.to_radians().sin(), 0.0], [3f64.sqrt(), 1.0, 0.0]);
    }

    #[test]
    fn negative_sweep_runs_clockwise() {
        // 0° down to -90°: the fourth quadrant only.
        assert_range(arc(0.0, -90.0).range(), [0.0, -1.0, 0.0], [2.0, 0.0, 0.0]);
    }

    #[test]
    fn sweep_past_a_full_turn_start_wraps() {
        // 300°..420° (= 60°) passes 360° (x = 2).
        let r = arc(300.0, 420.0).range();
        assert_range(r, [1.0, -(3f64.sqrt()) / 2.0, 0.0], [2.0, 3f64.sqrt() / 2.0, 0.0]);
    }

    #[test]
    fn rotated_circle_range_is_radius_times_the_sine_to_the_axis() {
        // Circle of radius 1 in the plane x = z (normal (1,0,-1)/√2).
        let s = 0.5f64.sqrt();
        let r = Ellipse::circle([1.0, 2.0, 3.0], [s, 0.0, s], [0.0, 1.0, 0.0], 1.0).range();
        assert_range(r, [1.0 - s, 1.0, 3.0 - s], [1.0 + s, 3.0, 3.0 + s]);
    }

    #[test]
    fn angle_sweep_membership() {
        assert!(in_sweep(PI, 0.0, PI));
        assert!(in_sweep(-PI / 2.0, 0.0, 2.0 * PI));
        assert!(!in_sweep(3.0 * PI / 2.0, 0.0, PI));
        assert!(in_sweep(-PI / 4.0, 0.0, -PI / 2.0));
        assert!(!in_sweep(PI / 4.0, 0.0, -PI / 2.0));
        assert!(in_sweep(5.0 * PI, 0.5, PI)); // 5π ≡ π
    }
}
