//! The benchmark's input: element GeometryStreams as wire-format JSON text, one stream per line,
//! made deterministically so that every run (and iTwin.js) encodes the same bytes.

use std::fmt::Write;

/// Entries per stream.
pub const ENTRIES_PER_STREAM: usize = 5;

/// The kinds of entry, cycled through so that each appears equally often.
const KINDS: [Kind; 10] = [
    Kind::Appearance,
    Kind::LineString,
    Kind::Arc,
    Kind::Box,
    Kind::Sphere,
    Kind::Cone,
    Kind::Cylinder,
    Kind::TorusPipe,
    Kind::LinearSweep,
    Kind::IndexedMesh,
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Appearance,
    LineString,
    Arc,
    Box,
    Sphere,
    Cone,
    Cylinder,
    TorusPipe,
    LinearSweep,
    IndexedMesh,
}

/// JSON lines of `streams` GeometryStreamProps arrays.
pub fn json_lines(streams: usize) -> String {
    let mut out = String::with_capacity(streams * ENTRIES_PER_STREAM * 200);
    for i in 0..streams {
        write_stream(&mut out, i);
        out.push('\n');
    }
    out
}

/// Stream `i`: five consecutive kinds starting at a stride-3 offset, so that neighbouring
/// streams differ and every pair of kinds meets. An appearance that would come last (changing
/// nothing that follows) moves to the front.
fn write_stream(out: &mut String, i: usize) {
    let mut kinds: Vec<Kind> = (0..ENTRIES_PER_STREAM).map(|j| KINDS[(3 * i + j) % KINDS.len()]).collect();
    if kinds.last() == Some(&Kind::Appearance) {
        kinds.rotate_right(1);
    }
    out.push('[');
    for (j, kind) in kinds.into_iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        let mut r = Random::new(i as u64 * 16 + j as u64);
        // Elements spread over a 500 x 400 grid of 3 m cells.
        let origin = [(i % 500) as f64 * 3.0, (i / 500 % 400) as f64 * 3.0, (i % 7) as f64 * 0.5];
        write_entry(out, kind, origin, &mut r);
    }
    out.push(']');
}

fn write_entry(out: &mut String, kind: Kind, o: [f64; 3], r: &mut Random) {
    let p = |r: &mut Random| [o[0] + r.between(0.0, 2.0), o[1] + r.between(0.0, 2.0), o[2] + r.between(0.0, 1.0)];
    match kind {
        Kind::Appearance => {
            let color = r.next() % 0x0100_0000;
            let weight = 1 + r.next() % 4;
            let transparency = [0.0, 0.25, 0.5][(r.next() % 3) as usize];
            let _ =
                write!(out, r#"{{"appearance":{{"color":{color},"weight":{weight},"transparency":{transparency}}}}}"#);
        }
        Kind::LineString => {
            out.push_str(r#"{"lineString":["#);
            let n = 2 + r.next() % 5;
            for k in 0..n {
                if k > 0 {
                    out.push(',');
                }
                point(out, p(r));
            }
            out.push_str("]}");
        }
        Kind::Arc => {
            let radius = r.between(0.1, 1.0);
            let start = r.between(0.0, 90.0);
            let sweep = r.between(30.0, 360.0);
            out.push_str(r#"{"arc":{"center":"#);
            point(out, p(r));
            let _ = write!(
                out,
                r#","vectorX":[{radius},0,0],"vectorY":[0,{radius},0],"sweepStartEnd":[{start},{}]}}}}"#,
                round(start + sweep)
            );
        }
        Kind::Box => {
            out.push_str(r#"{"box":{"baseOrigin":"#);
            point(out, p(r));
            let _ = write!(
                out,
                r#","baseX":{},"baseY":{},"height":{},"capped":true}}}}"#,
                r.between(0.1, 1.0),
                r.between(0.1, 1.0),
                r.between(0.1, 2.0)
            );
        }
        Kind::Sphere => {
            out.push_str(r#"{"sphere":{"center":"#);
            point(out, p(r));
            let _ = write!(out, r#","radius":{}}}}}"#, r.between(0.1, 0.8));
        }
        Kind::Cone | Kind::Cylinder => {
            let start = p(r);
            let end =
                [start[0] + r.between(-0.5, 0.5), start[1] + r.between(-0.5, 0.5), start[2] + r.between(0.5, 2.0)];
            let _ = write!(out, r#"{{"{}":{{"start":"#, if kind == Kind::Cone { "cone" } else { "cylinder" });
            point(out, start);
            out.push_str(r#","end":"#);
            point(out, end);
            if kind == Kind::Cone {
                let _ = write!(out, r#","startRadius":{},"endRadius":{}"#, r.between(0.2, 0.6), r.between(0.0, 0.2));
            } else {
                let _ = write!(out, r#","radius":{}"#, r.between(0.05, 0.5));
            }
            out.push_str(r#","capped":true}}"#);
        }
        Kind::TorusPipe => {
            out.push_str(r#"{"torusPipe":{"center":"#);
            point(out, p(r));
            let _ = write!(
                out,
                r#","majorRadius":{},"minorRadius":{},"sweepAngle":{},"capped":true}}}}"#,
                r.between(0.5, 1.0),
                r.between(0.05, 0.2),
                r.between(45.0, 360.0)
            );
        }
        Kind::LinearSweep => {
            let c = p(r);
            let (w, d) = (r.between(0.2, 1.0), r.between(0.2, 1.0));
            let corners = [c, [c[0] + w, c[1], c[2]], [c[0] + w, c[1] + d, c[2]], [c[0], c[1] + d, c[2]], c];
            out.push_str(r#"{"linearSweep":{"contour":{"loop":[{"lineString":["#);
            for (k, corner) in corners.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                point(out, corner.map(round));
            }
            let _ = write!(out, r#"]}}]}},"vector":[0,0,{}],"capped":true}}}}"#, r.between(0.2, 2.0));
        }
        Kind::IndexedMesh => {
            // A square pyramid: four triangles and the quad base, 1-based indices, 0 ends a face.
            let base = p(r);
            let s = r.between(0.2, 1.0);
            let h = r.between(0.2, 1.0);
            let points = [
                base,
                [base[0] + s, base[1], base[2]],
                [base[0] + s, base[1] + s, base[2]],
                [base[0], base[1] + s, base[2]],
                [base[0] + s / 2.0, base[1] + s / 2.0, base[2] + h],
            ];
            out.push_str(r#"{"indexedMesh":{"point":["#);
            for (k, q) in points.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                point(out, q.map(round));
            }
            out.push_str(r#"],"pointIndex":[1,2,5,0,2,3,5,0,3,4,5,0,4,1,5,0,1,4,3,2,0]}}"#);
        }
    }
}

fn point(out: &mut String, p: [f64; 3]) {
    let _ = write!(out, "[{},{},{}]", round(p[0]), round(p[1]), round(p[2]));
}

/// Millimetres, so that the text stays short and both readers get the same doubles.
fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// SplitMix64: reproducible without a dependency.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `low..high`, in millimetres.
    fn between(&mut self, low: f64, high: f64) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        round(low + unit * (high - low))
    }
}
