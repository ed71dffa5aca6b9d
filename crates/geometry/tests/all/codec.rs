//! The GeometryStream codec against iTwin.js: every case is inserted with iTwin.js
//! (tests/compat/geometry-fixtures.js), and our encoder and decoder must agree with what it
//! stores and reports; iTwin.js must read our blobs as its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use itwin_geometry::codec::{self, GeometryError, StreamContext};
use itwin_test_support::compat;
use serde_json::{json, Value};

/// A geometry stream to test.
struct Case {
    name: &'static str,
    geom: Value,
    /// Whether the JSON iTwin.js reports for it makes the same stream again. Not so where the
    /// report is lossy: a BasicSymbology holding only what 3d streams do not store (display
    /// priority) reads back as `{"appearance": {}}`, which the native builder then drops.
    reported_json_reencodes: bool,
    /// Only for the decoder: JSON we do not encode (`subRange`, whose ranges the native builder
    /// computes itself).
    decode_only: bool,
}

fn case(name: &'static str, geom: Value) -> Case {
    Case { name, geom, reported_json_reencodes: true, decode_only: false }
}

/// Parts inserted before the elements; elements reference them as "$part0", "$part1".
fn part_cases() -> Vec<Case> {
    vec![
        case("part box", json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 1, "capped": true}}])),
        case(
            "part with appearances",
            json!([
                {"appearance": {"color": 255, "subCategory": "$subCategory"}},
                {"sphere": {"center": [0, 0, 0], "radius": 0.5}},
                {"appearance": {"weight": 2}},
                {"lineString": [[0, 0, 0], [1, 1, 1]]}
            ]),
        ),
    ]
}

fn element_cases() -> Vec<Case> {
    let square = json!([[0, 0, 0], [4, 0, 0], [4, 4, 0], [0, 4, 0], [0, 0, 0]]);
    let hole = json!([[1, 1, 0], [2, 1, 0], [2, 2, 0], [1, 2, 0], [1, 1, 0]]);
    let quarter = json!({"center": [1, 1, 0], "vectorX": [0, -1, 0], "vectorY": [1, 0, 0], "sweepStartEnd": [0, 90]});
    vec![
        case("lineString", json!([{"lineString": [[0, 0, 0], [1, 0, 0], [1, 1, 0]]}])),
        case("lineString 2d points", json!([{"lineString": [[0, 0], [1.5, -2], {"x": 3, "y": 4}]}])),
        case("lineSegment", json!([{"lineSegment": [[0, 0, 0], [1, 2, 3]]}])),
        case("pointString", json!([{"pointString": [[0, 0, 0], [1, 2, 3], [-4, 5.25, 6]]}])),
        case(
            "arc",
            json!([{"arc": {"center": [1, 2, 3], "vectorX": [2, 0, 0], "vectorY": [0, 2, 0], "sweepStartEnd": [0, 90]}}]),
        ),
        case(
            "ellipse full",
            json!([{"arc": {"center": [0, 0, 0], "vectorX": [3, 0, 0], "vectorY": [0, 1, 1], "sweepStartEnd": [-40, 320]}}]),
        ),
        case("loop of one lineString", json!([{"loop": [{"lineString": square}]}])),
        case(
            "loop of one arc",
            json!([{"loop": [{"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0], "sweepStartEnd": [0, 360]}}]}]),
        ),
        case(
            "loop of segments",
            json!([{"loop": [
                {"lineSegment": [[0, 0, 0], [1, 0, 0]]},
                {"lineSegment": [[1, 0, 0], [0, 1, 0]]},
                {"lineSegment": [[0, 1, 0], [0, 0, 0]]}
            ]}]),
        ),
        case("path", json!([{"path": [{"lineSegment": [[0, 0, 0], [1, 0, 0]]}, {"arc": quarter}]}])),
        case("path of one lineSegment", json!([{"path": [{"lineSegment": [[0, 0, 0], [1, 0, 0]]}]}])),
        case("path of one arc", json!([{"path": [{"arc": quarter}]}])),
        case(
            "parityRegion",
            json!([{"parityRegion": [{"loop": [{"lineString": square}]}, {"loop": [{"lineString": hole}]}]}]),
        ),
        case(
            "unionRegion",
            json!([{"unionRegion": [
                {"loop": [{"lineString": square}]},
                {"loop": [{"lineString": [[5, 0, 0], [6, 0, 0], [6, 1, 0], [5, 0, 0]]}]}
            ]}]),
        ),
        case(
            "bagOfCurves",
            json!([{"bagOfCurves": [{"lineString": [[0, 0, 0], [1, 0, 0]]}, {"pointString": [[2, 2, 2]]}]}]),
        ),
        case(
            "box",
            json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 2, "topOrigin": [0, 0, 3], "capped": true}}]),
        ),
        case(
            "box rotated tapered",
            json!([{"box": {
                "origin": [1, 2, 3], "baseX": 3, "baseY": 2, "topX": 1.5, "topY": 1, "height": 5, "capped": false,
                "xyVectors": [[0.984807753012208, 0.17364817766693033, 0], [-0.17364817766693033, 0.984807753012208, 0]]
            }}]),
        ),
        case("sphere", json!([{"sphere": {"center": [1, 2, 3], "radius": 2}}])),
        case(
            "sphere band",
            json!([{"sphere": {"center": [0, 0, 0], "radiusX": 2, "radiusZ": 1, "latitudeStartEnd": [-45, 30], "capped": true}}]),
        ),
        case(
            "sphere rotated",
            json!([{"sphere": {"center": [1, 2, 3], "radius": 4, "zxVectors": [[0, 1, 0], [0, 0, 1]]}}]),
        ),
        case("sphere ellipsoid", json!([{"sphere": {"center": [0, 0, 0], "radiusX": 1, "radiusY": 2, "radiusZ": 3}}])),
        case("cylinder", json!([{"cylinder": {"start": [0, 0, 0], "end": [1, 2, 3], "radius": 0.5, "capped": true}}])),
        case("cylinder along z", json!([{"cylinder": {"start": [0, 0, 1], "end": [0, 0, 7], "radius": 2}}])),
        case(
            "cone",
            json!([{"cone": {"start": [0, 0, 0], "end": [0, 0, 5], "startRadius": 1, "endRadius": 0.2, "capped": true}}]),
        ),
        case(
            "cone slanted",
            json!([{"cone": {"start": [1, 1, 1], "end": [3, -2, 5], "startRadius": 2, "endRadius": 0}}]),
        ),
        case(
            "cone with xyVectors",
            json!([{"cone": {"start": [0, 0, 0], "end": [1, 0, 4], "startRadius": 1, "endRadius": 2,
                "xyVectors": [[1, 0, 0], [0, 1, 0]]}}]),
        ),
        case("cone of equal radii", json!([{"cone": {"start": [0, 0, 0], "end": [0, 3, 0], "radius": 1.5}}])),
        case(
            "torusPipe",
            json!([{"torusPipe": {"center": [1, 2, 3], "majorRadius": 10, "minorRadius": 1, "sweepAngle": 45, "capped": true}}]),
        ),
        case(
            "torusPipe rotated",
            json!([{"torusPipe": {"center": [0, 0, 0], "majorRadius": 3, "minorRadius": 0.5,
                "xyVectors": [[0, 1, 0], [0, 0, 1]]}}]),
        ),
        case(
            "linearSweep of a loop",
            json!([{"linearSweep": {"contour": {"loop": [{"lineString": square}]}, "vector": [0, 0, 2], "capped": true}}]),
        ),
        case(
            "linearSweep of a path",
            json!([{"linearSweep": {"contour": {"path": [{"lineSegment": [[0, 0, 0], [1, 0, 0]]}, {"arc": quarter}]},
                "vector": [0, 1, 3]}}]),
        ),
        case(
            "linearSweep of a circle",
            json!([{"linearSweep": {"contour": {"loop": [{"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0],
                "vectorY": [0, 1, 0], "sweepStartEnd": [0, 360]}}]}, "vector": [0, 0, 1], "capped": true}}]),
        ),
        case(
            "indexedMesh",
            json!([{"indexedMesh": {"point": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "pointIndex": [1, 2, 3, 4, 0]}}]),
        ),
        case(
            "indexedMesh with normals params colors",
            json!([{"indexedMesh": {
                "point": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0.5, 0.5, 1]],
                "pointIndex": [1, 2, -5, 0, 2, 3, 5, 0, 3, 4, 5, 0, 4, 1, 5, 0],
                "normal": [[0, -1, 1], [1, 0, 1], [0, 1, 1], [-1, 0, 1]],
                "normalIndex": [1, 1, 1, 0, 2, 2, 2, 0, 3, 3, 3, 0, 4, 4, 4, 0],
                "param": [[0, 0], [1, 0], [0.5, 1]],
                "paramIndex": [1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0],
                "color": [255, 65280, 16711680],
                "colorIndex": [1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0],
                "twoSided": false,
                "expectedClosure": 1
            }}]),
        ),
        case(
            "indexedMesh triangles",
            json!([{"indexedMesh": {"point": [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]],
                "pointIndex": [1, 2, 3, 1, 3, 4], "numPerFace": 3, "expectedClosure": 2}}]),
        ),
        case(
            "appearance",
            json!([
                {"appearance": {"color": 255, "weight": 3, "transparency": 0.5, "displayPriority": 4, "geometryClass": 1}},
                {"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "capped": false}}
            ]),
        ),
        case(
            "appearance changes",
            json!([
                {"appearance": {"color": 16711935}},
                {"lineString": [[0, 0, 0], [1, 0, 0]]},
                {"appearance": {"color": 16711935}},
                {"lineString": [[0, 1, 0], [1, 1, 0]]},
                {"appearance": {"weight": 4}},
                {"appearance": {}},
                {"lineString": [[0, 2, 0], [1, 2, 0]]},
                {"appearance": {"geometryClass": 2}},
                {"sphere": {"center": [0, 0, 0], "radius": 1}},
                {"appearance": {}},
                {"sphere": {"center": [3, 0, 0], "radius": 1}}
            ]),
        ),
        case(
            "appearance subCategories",
            json!([
                {"appearance": {"subCategory": "$subCategory", "color": 255}},
                {"lineString": [[0, 0, 0], [1, 0, 0]]},
                {"appearance": {"weight": 1}},
                {"lineString": [[0, 1, 0], [1, 1, 0]]},
                {"appearance": {"subCategory": "$defaultSubCategory"}},
                {"lineString": [[0, 2, 0], [1, 2, 0]]}
            ]),
        ),
        case(
            "appearance default subCategory",
            json!([{"appearance": {"subCategory": "$defaultSubCategory", "transparency": 0.25}}, {"pointString": [[0, 0, 0]]}]),
        ),
        Case {
            name: "appearance display priority only",
            geom: json!([{"appearance": {"displayPriority": 7}}, {"lineString": [[0, 0, 0], [1, 0, 0]]}]),
            reported_json_reencodes: false,
            decode_only: false,
        },
        case("geomPart", json!([{"geomPart": {"part": "$part0"}}])),
        case(
            "geomPart placed",
            json!([{"geomPart": {"part": "$part0", "origin": [1, 2, 3], "rotation": {"yaw": 30, "pitch": 10, "roll": 5}, "scale": 2}}]),
        ),
        case("geomPart moved", json!([{"geomPart": {"part": "$part1", "origin": [5, 0, 0]}}])),
        case("geomPart turned", json!([{"geomPart": {"part": "$part1", "rotation": {"yaw": 90}}}])),
        case(
            "parts and appearances",
            json!([
                {"appearance": {"color": 65280}},
                {"geomPart": {"part": "$part0", "origin": [0, 0, 2]}},
                {"appearance": {}},
                {"box": {"baseOrigin": [3, 0, 0], "baseX": 1, "capped": true}}
            ]),
        ),
        case("header flags", json!([{"header": {"flags": 1}}, {"lineString": [[0, 0, 0], [1, 0, 0]]}])),
        case(
            "long lineString in several chunks",
            json!([{"lineString": (0..3000).map(|i| json!([i, (i * 7 % 13) as f64 * 0.25, 1e6 + i as f64 / 3.0])).collect::<Vec<_>>()}]),
        ),
        case(
            "sphere skewed",
            json!([{"sphere": {"center": [0, 0, 0], "radius": 1, "xyzVectors": [[1, 0, 0], [1, 1, 0], [0, 0, 2]]}}]),
        ),
        case(
            "box zxVectors",
            json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": 2, "baseY": 1, "zxVectors": [[0, 0, 1], [0.6, 0.8, 0]], "capped": true}}]),
        ),
        case(
            "torusPipe sweep in radians",
            json!([{"torusPipe": {"center": [0, 0, 0], "majorRadius": 2, "minorRadius": 0.25, "sweepAngle": {"radians": 1}}}]),
        ),
        case("geomPart scaled", json!([{"geomPart": {"part": "$part0", "scale": 0.5}}])),
        case(
            "geomPart angles",
            json!([
                {"geomPart": {"part": "$part0", "rotation": {"yaw": 45, "pitch": 135, "roll": -45}}},
                {"geomPart": {"part": "$part0", "rotation": {"yaw": -170, "pitch": 89.5, "roll": 12.25}, "scale": 3}},
                {"geomPart": {"part": "$part0", "rotation": {"pitch": 90, "roll": 30}}},
                {"geomPart": {"part": "$part0", "rotation": {"yaw": 360}}},
                {"geomPart": {"part": "$part0", "rotation": {"yaw": 200, "pitch": -100, "roll": 400}, "origin": [0.1, 0.2, 0.3]}}
            ]),
        ),
        case(
            "geomPart pitched and rolled",
            json!([{"geomPart": {"part": "$part1", "origin": [-1, -2.5, 1e5], "rotation": {"pitch": -60, "roll": 135}}}]),
        ),
        case(
            "indexedMesh params without index",
            json!([{"indexedMesh": {"point": [[0, 0, 0], [1, 0, 0], [0, 1, 0]], "pointIndex": [1, 2, 3, 0],
                "param": [[0, 0], [1, 0], [0, 1]]}}]),
        ),
        Case {
            name: "subRange",
            geom: json!([
                {"subRange": {"low": [0, 0, 0], "high": [1, 1, 1]}},
                {"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "capped": true}},
                {"lineString": [[5, 5, 5], [6, 7, 8]]}
            ]),
            reported_json_reencodes: false,
            decode_only: true,
        },
        case(
            "several primitives",
            json!([
                {"header": {"flags": 0}},
                {"lineString": [[0, 0, 0], [1, 0, 0]]},
                {"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "capped": true}},
                {"sphere": {"center": [5, 5, 5], "radius": 1}},
                {"arc": quarter}
            ]),
        ),
    ]
}

/// What iTwin.js made of the cases.
struct Fixture {
    bim: PathBuf,
    ids: HashMap<String, String>,
    default_sub_category: i64,
    parts: Vec<Made>,
    elements: Vec<Made>,
}

/// One inserted stream: its id, the column as stored (hex) and the JSON iTwin.js reports.
struct Made {
    id: String,
    hex: String,
    geom: Value,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = fixture_dir();
        let input = dir.join("cases.json");
        let bim = dir.join("fixtures.bim");
        let cases = json!({
            "parts": part_cases().into_iter().map(|c| c.geom).collect::<Vec<_>>(),
            "streams": element_cases().into_iter().map(|c| c.geom).collect::<Vec<_>>(),
        });
        std::fs::write(&input, serde_json::to_vec(&cases).unwrap()).unwrap();
        let out: Value =
            serde_json::from_str(&compat::node("geometry-fixtures.js", &[Path::new("make"), &input, &bim]))
                .expect("fixture script prints JSON");
        let made = |rows: &Value, cases: Vec<Case>| -> Vec<Made> {
            let rows = rows.as_array().unwrap();
            assert_eq!(rows.len(), cases.len());
            rows.iter()
                .zip(cases)
                .map(|(row, case)| {
                    assert!(row.get("error").is_none(), "iTwin.js refused `{}`: {}", case.name, row["error"]);
                    Made {
                        id: row["id"].as_str().unwrap().to_string(),
                        hex: row["hex"].as_str().unwrap().to_string(),
                        geom: row["geom"].clone(),
                    }
                })
                .collect()
        };
        let parts = made(&out["parts"], part_cases());
        let elements = made(&out["elements"], element_cases());
        let mut ids: HashMap<String, String> = HashMap::new();
        ids.insert("$subCategory".into(), out["subCategory"].as_str().unwrap().into());
        ids.insert("$defaultSubCategory".into(), out["defaultSubCategory"].as_str().unwrap().into());
        for (i, part) in parts.iter().enumerate() {
            ids.insert(format!("$part{i}"), part.id.clone());
        }
        let default_sub_category = parse_id(out["defaultSubCategory"].as_str().unwrap());
        Fixture { bim, ids, default_sub_category, parts, elements }
    })
}

/// A directory for this run's fixture file. It outlives the tests (statics are not dropped), so
/// directories that earlier runs left behind are removed here.
fn fixture_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let stale = std::time::Duration::from_secs(600);
    for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let old = entry.metadata().and_then(|m| m.modified()).map(|t| t.elapsed().unwrap_or_default() > stale);
        if entry.file_name().to_string_lossy().starts_with("geometry-fixtures-") && old.unwrap_or(false) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    tempfile::Builder::new().prefix("geometry-fixtures-").tempdir_in(tmp).expect("temp dir").keep()
}

fn parse_id(id: &str) -> i64 {
    i64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap()
}

/// Replaces "$name" strings by the fixture's ids.
fn with_ids(value: &Value, ids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) if s.starts_with('$') => Value::String(ids[s].clone()),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_ids(v, ids)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), with_ids(v, ids))).collect()),
        other => other.clone(),
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A case with what iTwin.js made of it; the geometry's "$name"s replaced by ids.
struct Checked {
    name: &'static str,
    geom: Value,
    reported_json_reencodes: bool,
    decode_only: bool,
    context: StreamContext,
    made: &'static Made,
}

/// The cases we encode.
fn encodable() -> Vec<Checked> {
    all().into_iter().filter(|c| !c.decode_only).collect()
}

/// Every case, parts first.
fn all() -> Vec<Checked> {
    let f = fixture();
    let element_context = StreamContext { default_sub_category: Some(f.default_sub_category), is_part: false };
    let part_context = StreamContext { default_sub_category: None, is_part: true };
    let parts = part_cases().into_iter().zip(&f.parts).map(|(c, m)| (c, part_context.clone(), m));
    let elements = element_cases().into_iter().zip(&f.elements).map(|(c, m)| (c, element_context.clone(), m));
    parts
        .chain(elements)
        .map(|(c, context, made)| Checked {
            name: c.name,
            geom: with_ids(&c.geom, &f.ids),
            reported_json_reencodes: c.reported_json_reencodes,
            decode_only: c.decode_only,
            context,
            made,
        })
        .collect()
}

/// Numbers equal within 1e-9 (relative beyond 1), everything else exactly; the first
/// difference as "<path>: <why>".
fn diff(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let tolerance = 1e-9 * a.abs().max(b.abs()).max(1.0);
            ((a - b).abs() > tolerance).then(|| format!("{at}: expected {a}, got {b}"))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{at}: expected {} items, got {}: {actual}", a.len(), b.len()));
            }
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| diff(x, y, &format!("{at}[{i}]")))
        }
        (Value::Object(a), Value::Object(b)) => {
            if let Some(k) = a.keys().find(|k| !b.contains_key(*k)) {
                return Some(format!("{at}.{k}: missing in {actual}"));
            }
            if let Some(k) = b.keys().find(|k| !a.contains_key(*k)) {
                return Some(format!("{at}.{k}: unexpected in {actual}"));
            }
            a.iter().find_map(|(k, v)| diff(v, &b[k], &format!("{at}.{k}")))
        }
        _ => (expected != actual).then(|| format!("{at}: expected {expected}, got {actual}")),
    }
}

fn assert_same(name: &str, expected: &Value, actual: &Value) {
    if let Some(d) = diff(expected, actual, "$") {
        panic!("{name}: {d}\nexpected: {expected}\nactual:   {actual}");
    }
}

#[test]
fn itwinjs_blobs_decode_to_the_json_itwinjs_reports() {
    for c in all() {
        let decoded = codec::decode_with(&unhex(&c.made.hex), &c.context).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_same(c.name, &c.made.geom, &decoded);
    }
}

#[test]
fn encoding_then_decoding_gives_the_json_itwinjs_reports() {
    for c in encodable() {
        let blob = codec::encode_with(&c.geom, &c.context).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let decoded = codec::decode_with(&blob, &c.context).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_same(c.name, &c.made.geom, &decoded);
    }
}

#[test]
fn reported_json_survives_encode_and_decode() {
    for c in all().into_iter().filter(|c| c.reported_json_reencodes) {
        let blob = codec::encode_with(&c.made.geom, &c.context).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let decoded = codec::decode_with(&blob, &c.context).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_same(c.name, &c.made.geom, &decoded);
    }
}

#[test]
fn our_op_streams_equal_itwinjs_byte_for_byte() {
    let mut problems = Vec::new();
    for c in encodable() {
        // The padding the native writer leaves uninitialised is zeroed in theirs; ours is zero.
        let blob = codec::encode_with(&c.geom, &c.context).unwrap();
        let ours = codec::uncompressed_ops(&blob).unwrap();
        assert_eq!(ours, codec::comparable_ops(&blob).unwrap(), "{}: our padding is not zero", c.name);
        let theirs = codec::comparable_ops(&unhex(&c.made.hex)).unwrap();
        if ours != theirs {
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
            problems.push(format!(
                "{}: differ from byte {first} (ours {} bytes, theirs {})\n  ours:   {}\n  theirs: {}",
                c.name,
                ours.len(),
                theirs.len(),
                hex(&ours),
                hex(&theirs)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Our blobs written into a copy of the iTwin.js-made file, read back with iTwin.js.
#[test]
fn itwinjs_reads_our_blobs_as_it_reads_its_own() {
    let f = fixture();
    let cases = encodable();
    let blobs: Vec<Value> = cases
        .iter()
        .map(|c| {
            let blob = codec::encode_with(&c.geom, &c.context).unwrap();
            json!({ "id": c.made.id, "hex": hex(&blob) })
        })
        .collect();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let blobs_path = dir.path().join("blobs.json");
    std::fs::write(&blobs_path, serde_json::to_vec(&blobs).unwrap()).unwrap();
    let out = compat::node("geometry-fixtures.js", &[Path::new("read"), &f.bim, &blobs_path]);
    let rows: Vec<Value> = serde_json::from_str(&out).expect("read prints JSON");
    assert_eq!(rows.len(), cases.len());
    for (c, row) in cases.iter().zip(&rows) {
        assert!(row.get("error").is_none(), "{}: iTwin.js could not read our blob: {}", c.name, row["error"]);
        assert_same(c.name, &c.made.geom, &row["geom"]);
    }
}

/// A blob around an op stream, written here independently of the codec: blob header, then
/// ≤32 KiB pieces, raw snappy, each behind its u16 length (which counts itself).
fn pack(stream: &[u8]) -> Vec<u8> {
    let mut raw = 0x0600u32.to_le_bytes().to_vec();
    raw.extend_from_slice(&(stream.len() as u32).to_le_bytes());
    raw.extend_from_slice(stream);
    let mut blob = Vec::new();
    for piece in raw.chunks(32 * 1024) {
        let compressed = snap::raw::Encoder::new().compress_vec(piece).unwrap();
        blob.extend_from_slice(&(compressed.len() as u16 + 2).to_le_bytes());
        blob.extend_from_slice(&compressed);
    }
    blob
}

/// Damaged blobs (cut short, bytes flipped before or after compression) decode to an error or
/// to something, never to a panic; cut-short ones always to an error.
#[test]
fn damaged_blobs_give_errors_not_panics() {
    let mut blobs: Vec<(String, Vec<u8>)> = all().iter().map(|c| (c.name.to_string(), unhex(&c.made.hex))).collect();
    for c in encodable() {
        blobs.push((format!("{} (ours)", c.name), codec::encode_with(&c.geom, &c.context).unwrap()));
    }
    let mut decoded_anyway = 0;
    for (name, blob) in &blobs {
        // Every byte of small streams; a sample of big ones (decoding them is what takes time).
        let positions = |len: usize| {
            (0..len).step_by(if len > 4096 {
                499
            } else if len > 512 {
                3
            } else {
                1
            })
        };
        for cut in positions(blob.len()) {
            assert!(codec::decode(&blob[..cut]).is_err(), "{name}: cut at {cut} of {} decoded", blob.len());
        }
        for at in positions(blob.len()) {
            let mut bad = blob.clone();
            bad[at] ^= 0x5a;
            let _ = codec::decode(&bad);
        }
        let stream = codec::uncompressed_ops(blob).unwrap();
        for at in positions(stream.len()) {
            for flip in [0x01u8, 0xff] {
                let mut bad = stream.clone();
                bad[at] ^= flip;
                if codec::decode(&pack(&bad)).is_ok() {
                    decoded_anyway += 1;
                }
            }
        }
        for cut in positions(stream.len()) {
            let _ = codec::decode(&pack(&stream[..cut]));
        }
    }
    // Flipped coordinates still decode; the point is that nothing panicked.
    assert!(decoded_anyway > 0);
}

#[test]
fn lengths_that_lie_give_errors() {
    let f = fixture();
    let stream = codec::uncompressed_ops(&unhex(&f.elements[0].hex)).unwrap();
    // The PointPrimitive's coords vector: its count, set to u32::MAX, must not be believed.
    let ops_start = 16 + 8;
    let mut bad = stream.clone();
    let payload = &stream[ops_start..];
    let table = u32::from_le_bytes(payload[0..4].try_into().unwrap()) as usize;
    let vtable = (table as i64 - i32::from_le_bytes(payload[table..table + 4].try_into().unwrap()) as i64) as usize;
    let coords_field = table + u16::from_le_bytes([payload[vtable + 4], payload[vtable + 5]]) as usize;
    let coords =
        coords_field + u32::from_le_bytes(payload[coords_field..coords_field + 4].try_into().unwrap()) as usize;
    bad[ops_start + coords..ops_start + coords + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = codec::decode(&pack(&bad)).unwrap_err();
    assert!(matches!(err, GeometryError::Op { index: 1, .. }), "{err}");
    assert!(err.to_string().contains("runs past the buffer"), "{err}");

    // An op size past the end of the stream.
    let mut bad = stream.clone();
    bad[20..24].copy_from_slice(&0x7fff_fff8u32.to_le_bytes());
    assert!(codec::decode(&pack(&bad)).unwrap_err().to_string().contains("payload bytes announced"));

    // A blob header announcing more stream than there is.
    let mut short = 0x0600u32.to_le_bytes().to_vec();
    short.extend_from_slice(&(stream.len() as u32 + 8).to_le_bytes());
    short.extend_from_slice(&stream);
    let compressed = snap::raw::Encoder::new().compress_vec(&short).unwrap();
    let mut blob = (compressed.len() as u16 + 2).to_le_bytes().to_vec();
    blob.extend_from_slice(&compressed);
    assert!(codec::decode(&blob).unwrap_err().to_string().contains("header announces"));
}
