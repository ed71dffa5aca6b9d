//! Fuzzing the codec (issue "Containment", item 10): a connector's `geom` reaches the encoder as
//! it sent it, and blobs in a file may be anybody's. Properties, run by proptest inside plain
//! `cargo test` (bounded case counts; `PROPTEST_CASES=N` runs more):
//! - random GeometryStreamProps (entries of every kind the codec knows, with random numbers,
//!   missing and extra fields, unknown entries) encode without panic, and what encodes decodes
//!   back, and what decodes encodes again;
//! - random bytes, and valid blobs with their op stream or their compressed bytes mutated, decode
//!   without panic (an error or a stream).

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

/// Bounded by default: every `cargo test` runs these; `PROPTEST_CASES` overrides.
pub(crate) fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Runs a property on a thread with a large stack: in a debug build, proptest's value trees of
/// big nested strategies overflow the 2 MiB of a test thread while generating a case.
pub(crate) fn check<S: Strategy + 'static>(
    cases: u32,
    strategy: fn() -> S,
    test: fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut runner = proptest::test_runner::TestRunner::new(config(cases));
            if let Err(e) = runner.run(&strategy(), test) {
                panic!("{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// A JSON number as a connector may send it: small, ordinary, huge, tiny, or not finite (which
/// serde_json turns into `null`); now and then not a number at all.
pub(crate) fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-3i32..4).prop_map(|n| json!(n)),
        4 => (-1e3f64..1e3).prop_map(|n| json!(n)),
        1 => prop::sample::select(vec![
            1e308, -1e308, f64::MAX, f64::MIN_POSITIVE, 5e-324, 1e12, -1e13, 0.0, -0.0, f64::NAN, f64::INFINITY
        ])
        .prop_map(|n| json!(n)),
        1 => Just(json!("1")),
        1 => Just(Value::Null),
    ]
}

/// Mostly 3 coordinates; sometimes 2, none or 4.
pub(crate) fn point() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::collection::vec(number(), 3),
        2 => prop::collection::vec(number(), 2),
        1 => prop::collection::vec(number(), 0..5),
    ]
    .prop_map(Value::Array)
}

fn points(max: usize) -> impl Strategy<Value = Value> {
    prop::collection::vec(point(), 0..max).prop_map(Value::Array)
}

fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("0x1")),
        Just(json!("0x0")),
        (1u64..0x40).prop_map(|n| json!(format!("0x{n:x}"))),
        any::<u64>().prop_map(|n| json!(format!("0x{n:x}"))),
        Just(json!("nope")),
        number(),
    ]
}

fn angles() -> impl Strategy<Value = Value> {
    (number(), number(), number()).prop_map(|(yaw, pitch, roll)| json!({ "yaw": yaw, "pitch": pitch, "roll": roll }))
}

/// An object entry's fields as the codec expects them, then now and then one left out or a
/// bogus one added.
fn fields(mut pairs: Vec<(&'static str, Value)>, drop: Option<usize>, bogus: bool) -> Value {
    if let Some(i) = drop {
        if !pairs.is_empty() {
            let i = i % pairs.len();
            pairs.remove(i);
        }
    }
    let mut map: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    if bogus {
        map.insert("bogus".into(), json!(1));
    }
    Value::Object(map)
}

fn object<S: Strategy<Value = Vec<(&'static str, Value)>>>(parts: S) -> impl Strategy<Value = Value> {
    (parts, prop::option::weighted(0.15, any::<usize>()), prop::bool::weighted(0.05))
        .prop_map(|(pairs, drop, bogus)| fields(pairs, drop, bogus))
}

fn arc() -> impl Strategy<Value = Value> {
    object((point(), point(), point(), prop::collection::vec(number(), 2)).prop_map(|(c, x, y, sweep)| {
        vec![("center", c), ("vectorX", x), ("vectorY", y), ("sweepStartEnd", Value::Array(sweep))]
    }))
}

/// A primitive curve entry.
fn curve() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(point(), 2).prop_map(|p| json!({ "lineSegment": p })),
        points(6).prop_map(|p| json!({ "lineString": p })),
        points(4).prop_map(|p| json!({ "pointString": p })),
        arc().prop_map(|a| json!({ "arc": a })),
    ]
}

/// Curves and curve vectors, nested a few levels.
fn curve_vector() -> impl Strategy<Value = Value> {
    curve().prop_recursive(3, 24, 4, |inner| {
        let list = prop::collection::vec(inner, 0..4).prop_map(Value::Array);
        (prop::sample::select(vec!["path", "loop", "parityRegion", "unionRegion", "bagOfCurves"]), list)
            .prop_map(|(kind, list)| json!({ kind: list }))
    })
}

fn solid() -> impl Strategy<Value = Value> {
    let capped = any::<bool>().prop_map(Value::Bool);
    prop_oneof![
        object((point(), number(), number(), number(), capped.clone()).prop_map(|(o, x, y, h, c)| {
            vec![("baseOrigin", o), ("baseX", x), ("baseY", y), ("height", h), ("capped", c)]
        }))
        .prop_map(|b| json!({ "box": b })),
        object((point(), number()).prop_map(|(c, r)| vec![("center", c), ("radius", r)]))
            .prop_map(|s| json!({ "sphere": s })),
        object(
            (point(), point(), number(), capped.clone())
                .prop_map(|(s, e, r, c)| { vec![("start", s), ("end", e), ("radius", r), ("capped", c)] })
        )
        .prop_map(|s| json!({ "cylinder": s })),
        object((point(), point(), number(), number(), capped.clone()).prop_map(|(s, e, a, b, c)| {
            vec![("start", s), ("end", e), ("startRadius", a), ("endRadius", b), ("capped", c)]
        }))
        .prop_map(|s| json!({ "cone": s })),
        object((point(), prop::collection::vec(point(), 2), number(), number(), number(), capped.clone()).prop_map(
            |(c, v, a, b, s, cap)| {
                vec![
                    ("center", c),
                    ("xyVectors", Value::Array(v)),
                    ("majorRadius", a),
                    ("minorRadius", b),
                    ("sweepAngle", s),
                    ("capped", cap),
                ]
            }
        ))
        .prop_map(|t| json!({ "torusPipe": t })),
        object(
            (curve_vector(), point(), capped)
                .prop_map(|(contour, v, c)| { vec![("contour", contour), ("vector", v), ("capped", c)] })
        )
        .prop_map(|s| json!({ "linearSweep": s })),
    ]
}

fn indices(n: i64) -> impl Strategy<Value = Value> {
    prop::collection::vec(prop_oneof![8 => -n..=n, 1 => any::<i64>()], 0..12)
        .prop_map(|v| Value::Array(v.into_iter().map(Value::from).collect()))
}

fn mesh() -> impl Strategy<Value = Value> {
    object(
        (
            points(6),
            indices(6),
            points(3),
            indices(3),
            prop::collection::vec(prop::collection::vec(number(), 2).prop_map(Value::Array), 0..3),
            indices(3),
            prop::collection::vec(any::<u32>(), 0..3),
            indices(3),
        )
            .prop_map(|(p, pi, n, ni, uv, uvi, c, ci)| {
                vec![
                    ("point", p),
                    ("pointIndex", pi),
                    ("normal", n),
                    ("normalIndex", ni),
                    ("param", Value::Array(uv)),
                    ("paramIndex", uvi),
                    ("color", json!(c)),
                    ("colorIndex", ci),
                ]
            }),
    )
    .prop_map(|m| json!({ "indexedMesh": m }))
}

fn symbology() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u32..3).prop_map(|f| json!({ "header": { "flags": f } })),
        object((id(), any::<u32>(), 0u32..40, number(), -3i32..3, 0i32..5).prop_map(|(s, c, w, t, p, g)| {
            vec![
                ("subCategory", s),
                ("color", json!(c)),
                ("weight", json!(w)),
                ("transparency", t),
                ("displayPriority", json!(p)),
                ("geometryClass", json!(g)),
            ]
        }))
        .prop_map(|a| json!({ "appearance": a })),
        object(
            (id(), point(), angles(), number())
                .prop_map(|(p, o, r, s)| { vec![("part", p), ("origin", o), ("rotation", r), ("scale", s)] })
        )
        .prop_map(|g| json!({ "geomPart": g })),
        (point(), point()).prop_map(|(low, high)| json!({ "subRange": { "low": low, "high": high } })),
    ]
}

/// One entry of a stream: any kind the codec knows, and now and then one it does not.
pub(crate) fn entry() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => curve_vector(),
        4 => solid(),
        2 => mesh(),
        3 => symbology(),
        1 => prop::sample::select(vec![
            json!({ "textString": {} }),
            json!({ "brep": { "data": "AAAA" } }),
            json!({ "bogus": 1 }),
            json!({ "a": 1, "b": 2 }),
            json!(7),
            json!(null),
            json!([]),
        ]),
    ]
}

pub(crate) fn stream() -> impl Strategy<Value = Value> {
    prop::collection::vec(entry(), 0..6).prop_map(Value::Array)
}

fn contexts() -> [StreamContext; 3] {
    [
        StreamContext::default(),
        StreamContext { default_sub_category: Some(0x21), is_part: false },
        StreamContext { default_sub_category: None, is_part: true },
    ]
}

/// Streams that encode, to mutate.
fn valid_streams() -> Vec<Value> {
    let line = json!({ "lineString": [[0, 0, 0], [1, 2, 3], [4, 0, 1]] });
    vec![
        json!([line]),
        json!([{ "appearance": { "subCategory": "0x22", "color": 255, "weight": 3 } }, { "arc": { "center": [1, 2, 3], "vectorX": [2, 0, 0], "vectorY": [0, 1, 0], "sweepStartEnd": [0, 270] } }]),
        json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 2, "height": 3, "capped": true } }, { "sphere": { "center": [5, 5, 5], "radius": 2 } }]),
        json!([{ "cone": { "start": [0, 0, 0], "end": [0, 0, 4], "startRadius": 2, "endRadius": 1, "capped": false } }, { "torusPipe": { "center": [0, 0, 0], "majorRadius": 3, "minorRadius": 1, "sweepAngle": 90, "capped": true } }]),
        json!([{ "loop": [line, { "lineSegment": [[4, 0, 1], [0, 0, 0]] }] }, { "linearSweep": { "contour": { "loop": [{ "lineString": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0]] }] }, "vector": [0, 0, 2], "capped": true } }]),
        json!([{ "indexedMesh": { "point": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "pointIndex": [1, 2, 3, 4, 0], "normal": [[0, 0, 1]], "normalIndex": [1, 1, 1, 1, 0] } }]),
        json!([{ "geomPart": { "part": "0x33", "origin": [1, 2, 3], "rotation": { "yaw": 30 } } }, { "geomPart": { "part": "0x34" } }]),
    ]
}

/// Ways to damage a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Xor(usize, u8),
    /// A little-endian u32 set to a nasty value (lengths, offsets, counts).
    Word(usize, u32),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let word = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0x7fff_ffff),
        Just(0xffff_ffff),
        Just(0x8000_0000),
        Just(0xfffc),
        any::<u32>()
    ];
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        3 => (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Xor(i, b)),
        3 => (any::<usize>(), word).prop_map(|(i, w)| Mutation::Word(i, w)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let at = |i: usize| i % bytes.len();
    match m {
        Mutation::Set(i, b) => {
            let i = at(*i);
            bytes[i] = *b;
        }
        Mutation::Xor(i, b) => {
            let i = at(*i);
            bytes[i] ^= *b;
        }
        Mutation::Word(i, w) => {
            // Word-aligned: flatbuffer fields and op headers are.
            let i = at(*i) & !3;
            let end = (i + 4).min(bytes.len());
            bytes[i..end].copy_from_slice(&w.to_le_bytes()[..end - i]);
        }
        Mutation::Truncate(n) => {
            let n = at(*n);
            bytes.truncate(n);
        }
        Mutation::Insert(i, extra) => {
            let i = at(*i);
            bytes.splice(i..i, extra.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let i = at(*i);
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Duplicate(i, n) => {
            let i = at(*i);
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

/// Decoding must end with a stream or an error; the other readers of blobs likewise.
fn decode_all_ways(blob: &[u8]) {
    for context in contexts() {
        let _ = decode_with(blob, &context);
    }
    let _ = instanced_parts(blob);
    let _ = uncompressed_ops(blob);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fuzz_random_geometry_json_encodes_and_what_encodes_decodes_and_encodes_again(geom in stream()) {
        for context in contexts() {
            let Ok(Some(blob)) = encode_if_any(&geom, &context) else { continue };
            // Decoding ends with a stream or an error (a sphere of radius 1e308 encodes and does not
            // decode: the writer refuses such boxes, see imodel's fuzz tests); a decoded stream
            // encodes again without panic.
            if let Ok(decoded) = decode_with(&blob, &context) {
                let _ = encode_if_any(&decoded, &context);
            }
        }
        // Not wrapped in an array, or wrapped twice.
        if let Some(first) = geom.get(0) {
            let _ = encode(first);
        }
        let _ = encode(&json!([geom]));
    }

    #[test]
    fn fuzz_random_bytes_decode_to_an_error_or_a_stream(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all_ways(&bytes);
        // The same bytes as an op stream behind a valid blob header and compression.
        if let Ok(blob) = stream::pack(&bytes) {
            decode_all_ways(&blob);
        }
    }

    #[test]
    fn fuzz_mutated_valid_blobs_decode_to_an_error_or_a_stream(
        which in any::<prop::sample::Index>(),
        op_mutations in prop::collection::vec(mutation(), 0..6),
        blob_mutations in prop::collection::vec(mutation(), 0..3),
    ) {
        let streams = valid_streams();
        let geom = which.get(&streams);
        let blob = encode(geom).unwrap();
        // Damage the op stream (past snappy and the blob header, into ops and flatbuffers)…
        let mut ops = uncompressed_ops(&blob).unwrap();
        for m in &op_mutations {
            mutate(&mut ops, m);
        }
        if let Ok(mut repacked) = stream::pack(&ops) {
            decode_all_ways(&repacked);
            // …and the compressed blob itself.
            for m in &blob_mutations {
                mutate(&mut repacked, m);
            }
            decode_all_ways(&repacked);
        }
    }
}

#[test]
fn the_valid_streams_that_are_mutated_encode() {
    for geom in valid_streams() {
        let blob = encode(&geom).unwrap_or_else(|e| panic!("{geom}: {e}"));
        decode(&blob).unwrap();
    }
}
