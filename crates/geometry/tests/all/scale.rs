//! Scaling geometry to another length unit, judged by iTwin.js: tests/compat/geometry-ranges.js
//! inserts every kind of stream the codec encodes as written in millimetres and as
//! `itwin_geometry::scale` turns it into metres, and the box the native library computes
//! for the scaled stream must be the original's times the factor.

use itwin_geometry::scale::scale_stream;
use serde_json::{json, Value};

const MILLIMETRES: f64 = 0.001;

/// The streams the unit tests scale, one per entry kind (crates/geometry/src/scale_streams.json).
fn streams() -> Vec<(String, Value)> {
    let list: Vec<Value> = serde_json::from_str(include_str!("../../src/scale_streams.json")).unwrap();
    list.into_iter().map(|s| (s["name"].as_str().unwrap().to_owned(), s["geom"].clone())).collect()
}

fn scaled(mut geom: Value) -> Value {
    scale_stream(&mut geom, MILLIMETRES).unwrap();
    geom
}

fn corners(bbox: &Value) -> Vec<f64> {
    ["low", "high"].iter().flat_map(|end| (0..3).map(move |i| bbox[*end][i].as_f64().unwrap_or(0.0))).collect()
}

#[test]
fn itwinjs_ranges_every_scaled_stream_as_the_original_times_the_factor() {
    // A part in millimetres and its scaled copy, each instanced (moved, turned, scaled) by a
    // stream in its own unit.
    let part =
        json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 1000, "baseY": 2000, "height": 500, "capped": true } }]);
    let instance = |part: &str, origin: [f64; 3]| json!([{ "geomPart": { "part": part, "origin": origin, "rotation": { "yaw": 30, "pitch": 10 }, "scale": 2 } }]);
    let mut pairs: Vec<(String, Value, Value)> =
        streams().into_iter().map(|(name, geom)| (name, geom.clone(), scaled(geom))).collect();
    let mut part_instance_in_metres = instance("@1", [1000.0, -500.0, 250.0]);
    scale_stream(&mut part_instance_in_metres, MILLIMETRES).unwrap();
    pairs.push(("geomPart".into(), instance("@0", [1000.0, -500.0, 250.0]), part_instance_in_metres));

    let mut cases = Vec::new();
    for (name, original, metres) in &pairs {
        cases.push(json!({ "name": format!("{name} (mm)"), "geom": original }));
        cases.push(json!({ "name": format!("{name} (m)"), "geom": metres }));
    }
    let input = json!({
        "parts": [ { "name": "mm", "geom": part }, { "name": "m", "geom": scaled(part.clone()) } ],
        "cases": cases,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases.json");
    std::fs::write(&path, serde_json::to_vec(&input).unwrap()).unwrap();
    let out: Value = serde_json::from_str(&itwin_test_support::compat::node("geometry-ranges.js", &[&path])).unwrap();

    let elements = out["elements"].as_array().unwrap();
    assert_eq!(elements.len(), 2 * pairs.len());
    for pair in elements.chunks(2) {
        let (original, metres) = (&pair[0], &pair[1]);
        let name = original["name"].as_str().unwrap();
        for e in pair {
            assert!(e.get("error").is_none(), "iTwin.js refused {}: {}", e["name"], e["error"]);
        }
        let want: Vec<f64> = corners(&original["placement"]["bbox"]).iter().map(|x| x * MILLIMETRES).collect();
        let got = corners(&metres["placement"]["bbox"]);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        assert!(
            want.iter().zip(&got).all(|(a, b)| close(*a, *b)),
            "{name}: iTwin.js's box of the scaled stream {got:?}, the original's × {MILLIMETRES} {want:?}"
        );
    }
}
