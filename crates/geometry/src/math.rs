//! The one vector algebra of the crate: points and vectors (`Xyz`), matrices by rows, frames by
//! columns, yaw/pitch/roll angles, as the native geometry library applies them between JSON and
//! blob, to ranges and to placements.
//!
//! Where the native library computes a stored value (a cone's section vectors, a part
//! instance's angles) the arithmetic here follows its order of operations, so that the stored
//! doubles come out bit-identical; tolerances are GeomLibs' (`Angle::SmallAngle` = 1e-12,
//! `DoubleOps::SmallCoordinateRelTol` = 1e-10).

pub(crate) type Xyz = [f64; 3];

/// A 3x3 matrix by rows, like GeomLibs' `RotMatrix::form3d`.
pub(crate) type Matrix = [[f64; 3]; 3];

pub(crate) const SMALL_ANGLE: f64 = 1.0e-12;
const SMALL_COORDINATE_REL_TOL: f64 = 1.0e-10;
const MEDIUM_REL_TOL: f64 = 1.0e-12;

pub(crate) fn sub(a: Xyz, b: Xyz) -> Xyz {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(v: Xyz, s: f64) -> Xyz {
    [v[0] * s, v[1] * s, v[2] * s]
}

pub(crate) fn dot(a: Xyz, b: Xyz) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: Xyz, b: Xyz) -> Xyz {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub(crate) fn magnitude(v: Xyz) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// `DVec3d::Normalize`: the unit vector (multiplied by the reciprocal, not divided) and the
/// length before; a zero vector becomes (1,0,0) with length 0.
pub(crate) fn normalize(v: Xyz) -> (Xyz, f64) {
    let length = magnitude(v);
    if length > 0.0 {
        (scale(v, 1.0 / length), length)
    } else {
        ([1.0, 0.0, 0.0], 0.0)
    }
}

/// The origin, or a zero vector.
#[cfg(test)]
pub(crate) const ZERO: Xyz = [0.0; 3];

pub(crate) fn add(a: Xyz, b: Xyz) -> Xyz {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// `a + v * s`.
pub(crate) fn add_scaled(a: Xyz, v: Xyz, s: f64) -> Xyz {
    [a[0] + v[0] * s, a[1] + v[1] * s, a[2] + v[2] * s]
}

/// The unit vector along `v`, or `None` for the zero vector ([`normalize`]'s arithmetic).
pub(crate) fn normalized(v: Xyz) -> Option<Xyz> {
    let (unit, length) = normalize(v);
    (length > 0.0).then_some(unit)
}

/// `DVec3d::NormalizedCrossProduct`.
fn normalized_cross(a: Xyz, b: Xyz) -> (Xyz, f64) {
    normalize(cross(a, b))
}

/// `DVec3d::GetNormalizedTriad`: unit x, y, z with z along `z`; x is perpendicular to a
/// principal axis chosen by the DXF "arbitrary axis" rule.
pub(crate) fn normalized_triad(z: Xyz) -> (Xyz, Xyz, Xyz) {
    let length = magnitude(z);
    if length == 0.0 {
        return ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
    }
    let test = length / 64.0;
    let principal = if z[0].abs() < test && z[1].abs() < test { [0.0, 1.0, 0.0] } else { [0.0, 0.0, 1.0] };
    let x = cross(principal, z);
    let y = cross(z, x);
    (normalize(x).0, normalize(y).0, normalize(z).0)
}

/// `DoubleOps::AlmostEqual`.
pub(crate) fn almost_equal(a: f64, b: f64) -> bool {
    (b - a).abs() <= SMALL_COORDINATE_REL_TOL * (1.0 + a.abs() + b.abs())
}

/// `DVec3d::IsPerpendicularTo`.
pub(crate) fn is_perpendicular(a: Xyz, b: Xyz) -> bool {
    let ab = dot(a, b);
    ab * ab <= SMALL_ANGLE * SMALL_ANGLE * dot(a, a) * dot(b, b)
}

pub(crate) fn degrees_to_radians(degrees: f64) -> f64 {
    degrees * (std::f64::consts::PI / 180.0)
}

pub(crate) fn radians_to_degrees(radians: f64) -> f64 {
    radians * (180.0 / std::f64::consts::PI)
}

/// `Angle::IsFullCircle`.
pub(crate) fn is_full_circle(radians: f64) -> bool {
    radians.abs() > 2.0 * std::f64::consts::PI - SMALL_ANGLE
}

pub(crate) fn from_columns(x: Xyz, y: Xyz, z: Xyz) -> Matrix {
    [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]]
}

pub(crate) fn column(m: &Matrix, i: usize) -> Xyz {
    [m[0][i], m[1][i], m[2][i]]
}

pub(crate) fn transpose(m: &Matrix) -> Matrix {
    from_columns(m[0], m[1], m[2])
}

pub(crate) fn product(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, value) in row.iter_mut().enumerate() {
            *value = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
        }
    }
    out
}

pub(crate) fn determinant(m: &Matrix) -> f64 {
    m[0][0] * m[1][1] * m[2][2] + m[0][1] * m[1][2] * m[2][0] + m[0][2] * m[1][0] * m[2][1]
        - m[0][0] * m[1][2] * m[2][1]
        - m[0][1] * m[1][0] * m[2][2]
        - m[0][2] * m[1][1] * m[2][0]
}

/// `RotMatrix::IsIdentity` (absolute tolerance 1e-12 per entry).
pub(crate) fn is_identity(m: &Matrix) -> bool {
    (0..3).all(|i| (0..3).all(|j| (m[i][j] - if i == j { 1.0 } else { 0.0 }).abs() <= MEDIUM_REL_TOL))
}

/// `RotMatrix::IsOrthogonal`: the transpose is the inverse.
pub(crate) fn is_orthogonal(m: &Matrix) -> bool {
    is_identity(&product(&transpose(m), m))
}

/// `RotMatrix::IsDiagonal`: off-diagonal entries tiny against the largest diagonal one.
pub(crate) fn is_diagonal(m: &Matrix) -> bool {
    let diagonal_max = (0..3).map(|i| m[i][i].abs()).fold(0.0, f64::max);
    let off_max = (0..3).flat_map(|i| (0..3).filter(move |j| *j != i).map(move |j| (i, j)));
    let off_max = off_max.map(|(i, j)| m[i][j].abs()).fold(0.0, f64::max);
    off_max < MEDIUM_REL_TOL * diagonal_max
}

/// `RotMatrix::SquareAndNormalizeColumns(in, primary, secondary)`: unit, perpendicular
/// columns keeping the primary direction and the primary/secondary plane. `None` where the
/// native call returns false.
pub(crate) fn square_and_normalize_columns(m: &Matrix, primary: usize, secondary: usize) -> Option<Matrix> {
    let (ix, iy) = (primary % 3, secondary % 3);
    if ix == iy {
        return None;
    }
    let iz = 3 - (ix + iy);
    let mut v = [column(m, 0), column(m, 1), column(m, 2)];
    let (x, lx) = normalize(v[ix]);
    v[ix] = x;
    let (z, lz) = normalized_cross(v[ix], v[iy]);
    if lz == 0.0 {
        return None;
    }
    v[iz] = z;
    let (y, ly) = normalized_cross(v[iz], v[ix]);
    v[iy] = y;
    if ly == 0.0 || lx == 0.0 {
        return None;
    }
    if (iy + 1) % 3 == ix {
        v[iz] = scale(v[iz], -1.0);
    }
    Some(from_columns(v[0], v[1], v[2]))
}

/// A transform's 3x3 part and translation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Transform {
    pub matrix: Matrix,
    pub origin: Xyz,
}

impl Transform {
    /// `Transform::IsIdentity`: identity matrix and a translation under 1e-10.
    pub(crate) fn is_identity(&self) -> bool {
        is_identity(&self.matrix) && self.origin.iter().all(|c| c.abs() < 1.0e-10)
    }
}

/// Yaw, pitch and roll in degrees, as in `YawPitchRollAngles`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Angles {
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
}

impl Angles {
    /// `YawPitchRollAngles::ToRotMatrix`.
    pub(crate) fn to_matrix(self) -> Matrix {
        let (c0, s0) = (cos_degrees(self.yaw), sin_degrees(self.yaw));
        let (c1, s1) = (cos_degrees(self.pitch), sin_degrees(self.pitch));
        let (c2, s2) = (cos_degrees(self.roll), sin_degrees(self.roll));
        [
            [c0 * c1, -(s0 * c2 + c0 * s1 * s2), s0 * s2 - c0 * s1 * c2],
            [s0 * c1, c0 * c2 - s0 * s1 * s2, -(c0 * s2 + s0 * s1 * c2)],
            [s1, c1 * s2, c1 * c2],
        ]
    }

    /// `YawPitchRollAngles::TryFromRotMatrix` (the angles only; zero for a NaN matrix).
    pub(crate) fn from_matrix(m: &Matrix) -> Angles {
        let zero = Angles { yaw: 0.0, pitch: 0.0, roll: 0.0 };
        let s1 = m[2][0];
        let c1 = (m[2][1] * m[2][1] + m[2][2] * m[2][2]).sqrt();
        if s1.is_nan() || c1.is_nan() || m.iter().flatten().any(|x| x.is_nan()) {
            return zero;
        }
        let pitch_a = atan2_degrees(s1, c1);
        let pitch_b = atan2_degrees(s1, -c1);
        let angles = if c1 < SMALL_ANGLE {
            Angles { yaw: atan2_degrees(-m[0][1], m[1][1]), pitch: pitch_a, roll: 0.0 }
        } else {
            let a =
                Angles { yaw: atan2_degrees(m[1][0], m[0][0]), pitch: pitch_a, roll: atan2_degrees(m[2][1], m[2][2]) };
            let b = Angles {
                yaw: atan2_degrees(-m[1][0], -m[0][0]),
                pitch: pitch_b,
                roll: atan2_degrees(-m[2][1], -m[2][2]),
            };
            let (max_a, max_b) = (a.max_abs(), b.max_abs());
            if max_a < 0.95 * max_b {
                a
            } else if max_b < 0.95 * max_a {
                b
            } else if a.sum_squares() <= b.sum_squares() {
                a
            } else {
                b
            }
        };
        if [angles.yaw, angles.pitch, angles.roll].iter().any(|x| x.is_nan()) {
            zero
        } else {
            angles
        }
    }

    fn max_abs(self) -> f64 {
        self.yaw.abs().max(self.pitch.abs()).max(self.roll.abs())
    }

    fn sum_squares(self) -> f64 {
        self.yaw * self.yaw + self.pitch * self.pitch + self.roll * self.roll
    }
}

/// `AngleInDegrees::FromAtan2`: atan2 evaluated near zero and shifted by a multiple of 90°.
fn atan2_degrees(y: f64, x: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    if ax > ay {
        let d = radians_to_degrees(y.atan2(ax));
        if x > 0.0 {
            d
        } else if y >= 0.0 {
            180.0 - d
        } else {
            -180.0 - d
        }
    } else {
        let d = radians_to_degrees(x.atan2(ay));
        if y >= 0.0 {
            90.0 - d
        } else {
            -90.0 + d
        }
    }
}

/// `AngleInDegrees::Cos`: reduced to [0°, 45°) around a multiple of 90° first, so that e.g.
/// cos 60° is computed as sin 30°.
fn cos_degrees(degrees: f64) -> f64 {
    cos_positive(degrees.abs())
}

/// `AngleInDegrees::Sin`.
fn sin_degrees(degrees: f64) -> f64 {
    if degrees > 0.0 {
        sin_positive(degrees)
    } else {
        -sin_positive(-degrees)
    }
}

fn cos_positive(d: f64) -> f64 {
    if d < 45.0 {
        degrees_to_radians(d).cos()
    } else if d < 135.0 {
        degrees_to_radians(90.0 - d).sin()
    } else if d < 225.0 {
        -degrees_to_radians(180.0 - d).cos()
    } else if d < 315.0 {
        degrees_to_radians(d - 270.0).sin()
    } else if d < 720.0 {
        cos_positive(d - 360.0)
    } else {
        cos_positive(reduce_positive_degrees(d))
    }
}

fn sin_positive(d: f64) -> f64 {
    if d < 45.0 {
        degrees_to_radians(d).sin()
    } else if d < 135.0 {
        degrees_to_radians(90.0 - d).cos()
    } else if d < 225.0 {
        degrees_to_radians(180.0 - d).sin()
    } else if d < 315.0 {
        -degrees_to_radians(270.0 - d).cos()
    } else if d < 720.0 {
        sin_positive(d - 360.0)
    } else {
        sin_positive(reduce_positive_degrees(d))
    }
}

/// `ReduceSuspiciousPositiveDegrees`: into [0, 360), or 0 where that fails.
fn reduce_positive_degrees(d: f64) -> f64 {
    if d < 0.0 || d.is_nan() {
        return 0.0;
    }
    let reduced = d - (d / 360.0).floor() * 360.0;
    if reduced < d {
        reduced
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_angles_are_exact() {
        let m = Angles { yaw: 90.0, pitch: 0.0, roll: 0.0 }.to_matrix();
        assert_eq!(m, [[0.0, -1.0, 0.0], [1.0, 0.0, -0.0], [0.0, 0.0, 1.0]]);
        assert_eq!(Angles::from_matrix(&m), Angles { yaw: 90.0, pitch: 0.0, roll: 0.0 });
    }

    #[test]
    fn angles_survive_a_matrix_round_trip() {
        let a = Angles { yaw: 30.0, pitch: 10.0, roll: 5.0 };
        let b = Angles::from_matrix(&a.to_matrix());
        assert!((a.yaw - b.yaw).abs() < 1e-12 && (a.pitch - b.pitch).abs() < 1e-12 && (a.roll - b.roll).abs() < 1e-12);
    }

    #[test]
    fn squaring_keeps_the_primary_axis() {
        let m = from_columns([2.0, 0.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 0.0]);
        let s = square_and_normalize_columns(&m, 0, 1).unwrap();
        assert_eq!(s, from_columns([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]));
        assert!(square_and_normalize_columns(&from_columns([1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0; 3]), 0, 1).is_none());
    }

    #[test]
    fn squaring_zx_keeps_z_and_the_zx_plane() {
        let skewed = from_columns([0.0, 0.0, 5.0], ZERO, [0.0, 2.0, 0.0]);
        let square = square_and_normalize_columns(&skewed, 2, 0).unwrap();
        // z = +y, x stays along +z, so y = z × x = y × z = +x.
        assert_eq!(square, from_columns([0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]));
    }
}
