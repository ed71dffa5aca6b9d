//! The little vector algebra the ranges need: points and vectors are `[f64; 3]`, frames are three
//! column vectors.

pub type Vec3 = [f64; 3];

pub const ZERO: Vec3 = [0.0; 3];

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// `a + v * s`.
pub fn add_scaled(a: Vec3, v: Vec3, s: f64) -> Vec3 {
    [a[0] + v[0] * s, a[1] + v[1] * s, a[2] + v[2] * s]
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn length(a: Vec3) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// The unit vector along `a`, or `None` for the zero vector.
pub fn normalized(a: Vec3) -> Option<Vec3> {
    let len = length(a);
    (len > 0.0).then(|| scale(a, 1.0 / len))
}

/// A linear frame given by its three column vectors (not necessarily orthonormal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub columns: [Vec3; 3],
}

impl Frame {
    pub const IDENTITY: Frame = Frame { columns: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] };

    /// The frame whose rows are `rows` (as `placement::rotation_matrix` returns them).
    pub fn from_rows(rows: [[f64; 3]; 3]) -> Frame {
        let column = |j: usize| [rows[0][j], rows[1][j], rows[2][j]];
        Frame { columns: [column(0), column(1), column(2)] }
    }

    pub fn apply(&self, v: Vec3) -> Vec3 {
        let [x, y, z] = self.columns;
        [0, 1, 2].map(|i| x[i] * v[0] + y[i] * v[1] + z[i] * v[2])
    }

    pub fn scale_columns(&self, s: [f64; 3]) -> Frame {
        let [x, y, z] = self.columns;
        Frame { columns: [scale(x, s[0]), scale(y, s[1]), scale(z, s[2])] }
    }

    /// Orthonormal frame from two columns: `primary` keeps its direction, `secondary` stays in the
    /// plane of the two, and the result is right-handed. `None` when the two are parallel or zero.
    /// Only the cyclic pairs (0, 1), (1, 2) and (2, 0) occur in the wire format.
    pub fn squared_and_normalized(&self, primary: usize, secondary: usize) -> Option<Frame> {
        debug_assert_eq!(secondary, (primary + 1) % 3);
        let third = (primary + 2) % 3;
        let p = normalized(self.columns[primary])?;
        let t = normalized(cross(p, self.columns[secondary]))?;
        let s = normalized(cross(t, p))?;
        let mut columns = [ZERO; 3];
        columns[primary] = p;
        columns[secondary] = s;
        columns[third] = t;
        Some(Frame { columns })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squaring_xy_keeps_x_and_the_xy_plane() {
        let skewed = Frame { columns: [[2.0, 0.0, 0.0], [1.0, 3.0, 0.0], ZERO] };
        let square = skewed.squared_and_normalized(0, 1).unwrap();
        assert_eq!(square, Frame::IDENTITY);
    }

    #[test]
    fn squaring_zx_keeps_z_and_the_zx_plane() {
        let skewed = Frame { columns: [[0.0, 0.0, 5.0], ZERO, [0.0, 2.0, 0.0]] };
        let square = skewed.squared_and_normalized(2, 0).unwrap();
        // z = +y, x stays along +z, so y = z × x = y × z = +x.
        assert_eq!(square.columns, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    }

    #[test]
    fn parallel_columns_cannot_be_squared() {
        let flat = Frame { columns: [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], ZERO] };
        assert_eq!(flat.squared_and_normalized(0, 1), None);
    }
}
