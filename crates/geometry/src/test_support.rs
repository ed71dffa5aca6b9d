//! Proptest strategies for geometry streams as a hostile connector may send them, and the runner
//! the fuzz tests share; for the fuzz tests of this crate and of the crates above
//! (`features = ["test-support"]`).

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Bounded by default: every `cargo test` runs these; `PROPTEST_CASES` overrides.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Runs a property on a thread with a large stack: in a debug build, proptest's value trees of
/// big nested strategies overflow the 2 MiB of a test thread while generating a case.
pub fn check<S: Strategy + 'static>(cases: u32, strategy: fn() -> S, test: fn(S::Value) -> Result<(), TestCaseError>)
where
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
pub fn number() -> impl Strategy<Value = Value> {
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
pub fn point() -> impl Strategy<Value = Value> {
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
pub fn entry() -> impl Strategy<Value = Value> {
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

/// A random stream of zero to five entries.
pub fn stream() -> impl Strategy<Value = Value> {
    prop::collection::vec(entry(), 0..6).prop_map(Value::Array)
}
