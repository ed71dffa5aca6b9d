//! Framing a box the way iTwin.js frames it: `SpatialViewDefinition.createWithCamera` of
//! core-backend 5.7.3 with its defaults (the iso standard view, a 90° lens), which is what its
//! connectors' samples use for a default view.

use itwin_geometry::placement::Range3d;

/// `Matrix3d.createStandardWorldToView(StandardViewIndex.Iso)`, by rows: world to view. The
/// literals are core-geometry's, digit for digit (its first column is not exactly 1/√2).
#[allow(clippy::approx_constant, clippy::excessive_precision)]
const ISO: [[f64; 3]; 3] = [
    [0.707106781186548, -0.70710678118654757, 0.0],
    [0.408248290463863, 0.40824829046386302, 0.81649658092772603],
    [-0.577350269189626, -0.57735026918962573, 0.57735026918962573],
];
/// The camera's field of view: `Angle.piOver2Radians`.
const LENS_ANGLE: f64 = std::f64::consts::FRAC_PI_2;
/// Shortest side of a framed box, in metres: a box around elements without geometry (each a
/// point in the spatial index) would otherwise put the camera on top of them.
const MINIMUM_SIZE: f64 = 1.0;

/// What a `ViewDefinition3d` stores about where it looks from and at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewVolume {
    /// The lower corner of the viewed box, in world coordinates.
    pub origin: [f64; 3],
    /// The viewed box's size along the view's axes.
    pub extents: [f64; 3],
    /// Yaw, pitch, roll of the view's rotation, in degrees.
    pub angles: [f64; 3],
    /// The camera's position.
    pub eye: [f64; 3],
    /// Distance from the eye to the focus plane.
    pub focus_distance: f64,
    /// In radians (the `LensAngle` property; iTwin.js reports `camera.lens` in degrees).
    pub lens_angle: f64,
}

impl ViewVolume {
    /// An iso view with the camera on, looking at the whole of `range` (grown to
    /// `MINIMUM_SIZE` on each axis if it is smaller).
    pub fn iso_camera(range: &Range3d) -> ViewVolume {
        let range = at_least(range, MINIMUM_SIZE);
        let mut rotated = Range3d::EMPTY;
        for corner in 0..8 {
            let point = [
                if corner & 1 == 0 { range.low[0] } else { range.high[0] },
                if corner & 2 == 0 { range.low[1] } else { range.high[1] },
                if corner & 4 == 0 { range.low[2] } else { range.high[2] },
            ];
            rotated.extend_point(multiply(&ISO, point));
        }
        let diagonal: [f64; 3] = std::array::from_fn(|i| rotated.high[i] - rotated.low[i]);
        // The camera backs up from the box's centre until the box's width fills the lens.
        let distance = diagonal[0].hypot(diagonal[1]) / (LENS_ANGLE / 2.0).tan();
        let mut eye: [f64; 3] = std::array::from_fn(|i| rotated.low[i] + diagonal[i] * 0.5);
        eye[2] += distance;
        ViewVolume {
            origin: multiply_transpose(&ISO, rotated.low),
            extents: diagonal,
            angles: yaw_pitch_roll(&ISO),
            eye: multiply_transpose(&ISO, eye),
            focus_distance: distance,
            lens_angle: LENS_ANGLE,
        }
    }
}

/// `range` grown symmetrically on each axis shorter than `minimum`.
fn at_least(range: &Range3d, minimum: f64) -> Range3d {
    let mut out = *range;
    for i in 0..3 {
        let missing = minimum - (out.high[i] - out.low[i]);
        if missing > 0.0 {
            out.low[i] -= missing / 2.0;
            out.high[i] += missing / 2.0;
        }
    }
    out
}

fn multiply(m: &[[f64; 3]; 3], p: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2])
}

fn multiply_transpose(m: &[[f64; 3]; 3], p: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|c| m[0][c] * p[0] + m[1][c] * p[1] + m[2][c] * p[2])
}

/// `YawPitchRollAngles.createFromMatrix3d` away from gimbal lock, in degrees.
fn yaw_pitch_roll(m: &[[f64; 3]; 3]) -> [f64; 3] {
    let cos_pitch = m[2][1].hypot(m[2][2]);
    let pitch = m[2][0].atan2(cos_pitch);
    let yaw = m[1][0].atan2(m[0][0]);
    let roll = m[2][1].atan2(m[2][2]);
    [yaw.to_degrees(), pitch.to_degrees(), roll.to_degrees()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use itwin_geometry::placement::rotation_matrix;

    fn assert_close(ours: &[f64], theirs: &[f64], what: &str) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
        assert!(ours.iter().zip(theirs).all(|(a, b)| close(*a, *b)), "{what}: ours {ours:?}, iTwin.js {theirs:?}");
    }

    #[test]
    fn frames_a_box_as_itwinjs_create_with_camera_does() {
        // SpatialViewDefinition.createWithCamera(.., new Range3d(1, 2, 3, 11, 7, 5)) in iTwin.js 5.7.3.
        let view = ViewVolume::iso_camera(&Range3d { low: [1.0, 2.0, 3.0], high: [11.0, 7.0, 5.0] });
        assert_close(&view.origin, &[3.5, 9.5, -2.0000000000000004], "origin");
        assert_close(&view.extents, &[10.606601717798217, 7.756717518813398, 9.814954576223638], "extents");
        assert_close(&view.angles, &[29.999999999999986, -35.26438968275467, -45.00000000000001], "angles");
        assert_close(&view.eye, &[-1.5865377844940296, -3.086537784494031, 11.58653778449403], "eye");
        assert_close(&[view.focus_distance], &[13.140268896284686], "focus distance");
        assert_close(&[view.lens_angle], &[std::f64::consts::FRAC_PI_2], "lens");
    }

    #[test]
    fn the_angles_give_back_the_iso_rotation() {
        let [yaw, pitch, roll] = ViewVolume::iso_camera(&Range3d { low: [0.0; 3], high: [1.0; 3] }).angles;
        let m = rotation_matrix(yaw, pitch, roll);
        for r in 0..3 {
            assert_close(&m[r], &ISO[r], "rotation row");
        }
    }

    #[test]
    fn a_point_is_framed_as_a_metre_cube_around_it() {
        let point = Range3d { low: [5.0, 5.0, 5.0], high: [5.0, 5.0, 5.0] };
        let cube = Range3d { low: [4.5, 4.5, 4.5], high: [5.5, 5.5, 5.5] };
        assert_eq!(ViewVolume::iso_camera(&point), ViewVolume::iso_camera(&cube));
    }
}
