//! Geometry ranges against iTwin.js: tests/compat/geometry-ranges.js inserts each stream below with
//! the official backend, and the box the native library stores must equal our `local_range`.

use std::collections::HashMap;

use itwin_geometry::placement::{Placement3d, Range3d};
use itwin_geometry::range::{local_range, NO_GEOMETRY};
use serde::Serialize;
use serde_json::{json, Value};

/// Relative once values exceed 1, so large coordinates do not fail on their last bits.
const TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0)
}

fn assert_range_eq(ours: Range3d, theirs: Range3d, what: &str) {
    let all_close =
        (0..3).all(|i| close(ours.low[i], theirs.low[i], TOLERANCE) && close(ours.high[i], theirs.high[i], TOLERANCE));
    assert!(all_close, "{what}: ours {ours:?}, iTwin.js {theirs:?}");
}

fn xyz(v: &Value) -> [f64; 3] {
    let a = v.as_array().unwrap_or_else(|| panic!("expected [x, y, z], got {v}"));
    [0, 1, 2].map(|i| a.get(i).and_then(Value::as_f64).unwrap_or(0.0))
}

fn range_of(bbox: &Value) -> Range3d {
    Range3d { low: xyz(&bbox["low"]), high: xyz(&bbox["high"]) }
}

fn id_of(v: &Value) -> i64 {
    let hex = v.as_str().and_then(|s| s.strip_prefix("0x")).unwrap_or_else(|| panic!("expected an id, got {v}"));
    i64::from_str_radix(hex, 16).unwrap()
}

fn placement(origin: [f64; 3], yaw: f64, pitch: f64, roll: f64) -> Value {
    json!({ "origin": origin, "angles": { "yaw": yaw, "pitch": pitch, "roll": roll } })
}

fn arc(center: impl Serialize, x: impl Serialize, y: impl Serialize, sweep: impl Serialize) -> Value {
    json!({ "arc": { "center": center, "vectorX": x, "vectorY": y, "sweepStartEnd": sweep } })
}

/// GeometryParts, referenced by cases as "@<index>".
fn parts() -> Value {
    json!([
        { "name": "box part", "geom": [
            { "box": { "baseOrigin": [0, 0, 0], "baseX": 1, "baseY": 2, "topOrigin": [0, 0, 3], "capped": true } }
        ] },
        { "name": "ball and ring part", "geom": [
            { "sphere": { "center": [1, 0, 0], "radius": 0.5 } },
            arc([0, 0, 0], [2, 0, 0], [0, 0, 1], [0, 270]),
        ] },
    ])
}

/// (name, geometry stream, placement) for every kind of entry we range.
fn cases() -> Vec<(&'static str, Value, Value)> {
    let at_origin = placement([0.0; 3], 0.0, 0.0, 0.0);
    let s = 0.5f64.sqrt();
    let square = json!({ "loop": [{ "lineString": [[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0], [0, 0, 0]] }] });
    let circle = json!({ "loop": [arc([1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 360.0])] });
    let far = 1.0e6;
    vec![
        ("line string", json!([{ "lineString": [[0, 0, 0], [1, -2, 0.5], [3, 1, 4]] }]), at_origin.clone()),
        (
            "line segment",
            json!([{ "lineSegment": [[-1, 2, 3], [4, -5, 6]] }]),
            placement([10.0, 20.0, 30.0], 30.0, 0.0, 0.0),
        ),
        ("point string", json!([{ "pointString": [[1, 1, 1], [-2, 0, 5], [3, 7, -1]] }]), at_origin.clone()),
        ("single point", json!([{ "pointString": [[1, 2, 3]] }]), at_origin.clone()),
        (
            "full circle",
            json!([arc([1.0, 2.0, 3.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 360.0])]),
            at_origin.clone(),
        ),
        (
            "tilted full ellipse",
            json!([arc([0.0; 3], [3.0, 1.0, 2.0], [-1.0, 2.0, 0.5], [0.0, 360.0])]),
            placement([0.0; 3], 10.0, 20.0, 30.0),
        ),
        (
            "partial arc 30..200",
            json!([arc([0.0; 3], [2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [30.0, 200.0])]),
            at_origin.clone(),
        ),
        (
            "partial arc within a quadrant",
            json!([arc([0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [10.0, 80.0])]),
            at_origin.clone(),
        ),
        (
            "arc with negative sweep",
            json!([arc([5.0, 5.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [45.0, -120.0])]),
            at_origin.clone(),
        ),
        (
            "arc crossing 360",
            json!([arc([0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [300.0, 420.0])]),
            at_origin.clone(),
        ),
        (
            "rotated partial ellipse",
            json!([arc([1.0, -1.0, 2.0], [2.0, 2.0, 1.0], [-0.5, 0.5, 0.0], [-30.0, 150.0])]),
            at_origin.clone(),
        ),
        (
            "box",
            json!([{ "box": { "baseOrigin": [1, 2, 3], "baseX": 2, "baseY": 3, "topOrigin": [1, 2, 7], "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "tapered skewed box with axes",
            json!([{ "box": { "origin": [0, 0, 0], "baseX": 4, "baseY": 2, "topX": 1, "topY": 3, "topOrigin": [1, 1, 5],
                              "xyVectors": [[1, 1, 0], [-1, 1, 0.5]], "capped": true } }]),
            placement([0.0; 3], 45.0, 0.0, 0.0),
        ),
        (
            "box with height default",
            json!([{ "box": { "baseOrigin": [0, 0, 0], "baseX": 2, "capped": false } }]),
            at_origin.clone(),
        ),
        ("sphere", json!([{ "sphere": { "center": [1, 2, 3], "radius": 2 } }]), at_origin.clone()),
        (
            "ellipsoid with rotated axes",
            json!([{ "sphere": { "center": [0, 0, 0], "radiusX": 3, "radiusY": 1, "radiusZ": 2, "xyVectors": [[1, 1, 0], [-1, 1, 1]] } }]),
            at_origin.clone(),
        ),
        (
            "ellipsoid with skewed xyz axes",
            json!([{ "sphere": { "center": [1, 1, 1], "radiusX": 1.5, "radiusY": 0.5, "radiusZ": 1,
                                 "xyzVectors": [[1, 0.2, 0], [0.1, 1, 0.3], [0, -0.2, 1]] } }]),
            at_origin.clone(),
        ),
        (
            "hemisphere",
            json!([{ "sphere": { "center": [0, 0, 0], "radius": 1, "latitudeStartEnd": [0, 90], "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "cylinder",
            json!([{ "cylinder": { "start": [0, 0, 0], "end": [0, 0, 5], "radius": 2, "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "tilted cylinder",
            json!([{ "cylinder": { "start": [1, 2, 3], "end": [4, -2, 8], "radius": 0.75 } }]),
            at_origin.clone(),
        ),
        (
            "tilted cone",
            json!([{ "cone": { "start": [0, 0, 0], "end": [1, 1, 1], "startRadius": 1, "endRadius": 0.5, "capped": true } }]),
            placement([3.0, 4.0, 5.0], 0.0, 30.0, 0.0),
        ),
        (
            "cone to a point",
            json!([{ "cone": { "start": [0, 0, 0], "end": [0, 3, 4], "startRadius": 2, "endRadius": 0 } }]),
            at_origin.clone(),
        ),
        (
            "cone with circles not square to the axis",
            json!([{ "cone": { "start": [0, 0, 0], "end": [0, 0, 4], "radius": 1, "xyVectors": [[s, 0, s], [0, 1, 0]] } }]),
            at_origin.clone(),
        ),
        (
            "torus",
            json!([{ "torusPipe": { "center": [0, 0, 0], "majorRadius": 5, "minorRadius": 1 } }]),
            at_origin.clone(),
        ),
        (
            "quarter torus",
            json!([{ "torusPipe": { "center": [1, 2, 3], "majorRadius": 5, "minorRadius": 1, "sweepAngle": 90, "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "tilted torus with negative sweep",
            json!([{ "torusPipe": { "center": [0, 0, 0], "majorRadius": 3, "minorRadius": 0.5, "sweepAngle": -200,
                                    "xyVectors": [[1, 0, 1], [0, 1, 0]] } }]),
            at_origin.clone(),
        ),
        (
            "extruded square",
            json!([{ "linearSweep": { "contour": square, "vector": [0, 0, 3], "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "slanted extrusion of a circle",
            json!([{ "linearSweep": { "contour": circle, "vector": [-2, 1, 4], "capped": true } }]),
            placement([0.0; 3], 0.0, 0.0, 90.0),
        ),
        (
            "extruded open path of line and arc",
            json!([{ "linearSweep": { "contour": { "path": [
                { "lineSegment": [[0, 0, 0], [2, 0, 0]] },
                arc([2.0, 1.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 180.0]),
            ] }, "vector": [0, 0, -2] } }]),
            at_origin.clone(),
        ),
        (
            "ruled sweep",
            json!([{ "ruledSweep": { "contour": [
                { "loop": [{ "lineString": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]] }] },
                { "loop": [{ "lineString": [[0, 0, 5], [3, 0, 5], [0, 3, 5], [0, 0, 5]] }] },
            ], "capped": true } }]),
            at_origin.clone(),
        ),
        (
            "loop of arcs and lines",
            json!([{ "loop": [
                { "lineSegment": [[-1, 0, 0], [1, 0, 0]] },
                arc([0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 180.0]),
            ] }]),
            at_origin.clone(),
        ),
        (
            "path",
            json!([{ "path": [{ "lineString": [[0, 0, 0], [1, 1, 0]] }, arc([2.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [180.0, 270.0])] }]),
            at_origin.clone(),
        ),
        (
            "parity region",
            json!([{ "parityRegion": [
                { "loop": [{ "lineString": [[0, 0, 0], [4, 0, 0], [4, 4, 0], [0, 4, 0], [0, 0, 0]] }] },
                { "loop": [arc([2.0, 2.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 360.0])] },
            ] }]),
            at_origin.clone(),
        ),
        (
            "union region",
            json!([{ "unionRegion": [
                { "loop": [{ "lineString": [[0, 0, 0], [2, 0, 0], [2, 2, 0], [0, 0, 0]] }] },
                { "loop": [{ "lineString": [[1, 1, 0], [5, 1, 0], [5, 3, 0], [1, 1, 0]] }] },
            ] }]),
            at_origin.clone(),
        ),
        (
            "bag of curves",
            json!([{ "bagOfCurves": [{ "lineSegment": [[0, 0, 0], [1, 0, 0]] }, arc([5.0, 5.0, 5.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 90.0])] }]),
            at_origin.clone(),
        ),
        (
            "mesh with an unreferenced point",
            json!([{ "indexedMesh": { "point": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5], [0, 0, 1]],
                                      "pointIndex": [1, 2, 3, 0, 1, 3, 5, 0] } }]),
            at_origin.clone(),
        ),
        (
            "appearance between primitives",
            json!([
                { "header": { "flags": 0 } },
                { "appearance": { "color": 255, "weight": 3 } },
                { "lineString": [[0, 0, 0], [1, 0, 0]] },
                { "appearance": { "color": 65280, "transparency": 0.5 } },
                { "sphere": { "center": [3, 3, 3], "radius": 1 } },
            ]),
            at_origin.clone(),
        ),
        ("part instance", json!([{ "geomPart": { "part": "@0" } }]), at_origin.clone()),
        (
            "rotated scaled part instance",
            json!([{ "geomPart": { "part": "@0", "origin": [1, 1, 1], "rotation": { "yaw": 30, "pitch": 20, "roll": -45 }, "scale": 2 } }]),
            placement([100.0, 0.0, 0.0], 15.0, 0.0, 0.0),
        ),
        (
            "two instances of a curved part and a line",
            json!([
                { "geomPart": { "part": "@1", "origin": [-3, 0, 0], "rotation": { "pitch": 90 } } },
                { "geomPart": { "part": "@1", "origin": [3, 0, 0], "rotation": { "yaw": 60 }, "scale": 0.5 } },
                { "lineSegment": [[0, -4, 0], [0, 4, 0]] },
            ]),
            at_origin.clone(),
        ),
        // The other spellings the wire format allows, and native's fallbacks.
        ("points without z", json!([{ "lineString": [[0, 0], [1, 2]] }]), at_origin.clone()),
        (
            "center as an object",
            json!([{ "sphere": { "center": { "x": 1, "y": 2 }, "radius": 1 } }]),
            at_origin.clone(),
        ),
        ("full arc starting at 90", json!([arc([0, 0, 0], [1, 0, 0], [0, 1, 0], [90, 450])]), at_origin.clone()),
        (
            "box origin wins over baseOrigin",
            json!([{ "box": { "origin": [5, 5, 5], "baseOrigin": [0, 0, 0], "baseX": 1 } }]),
            at_origin.clone(),
        ),
        (
            "disc: cone with coincident ends",
            json!([{ "cone": { "start": [1, 1, 1], "end": [1, 1, 1], "startRadius": 2, "endRadius": 1 } }]),
            at_origin.clone(),
        ),
        (
            "torus sweep in radians",
            json!([{ "torusPipe": { "center": [0, 0, 0], "majorRadius": 3, "minorRadius": 1, "sweepAngle": { "radians": 1 } } }]),
            at_origin.clone(),
        ),
        (
            "part rotation with angle objects",
            json!([{ "geomPart": { "part": "@0", "rotation": { "yaw": { "degrees": 30 }, "roll": { "radians": 0.5 } } } }]),
            at_origin.clone(),
        ),
        (
            "part instance with a negative scale",
            json!([{ "geomPart": { "part": "@0", "scale": -2 } }]),
            at_origin.clone(),
        ),
        (
            "far from the origin",
            json!([
                arc([far, far, 0.0], [3.0, 4.0, 0.0], [-4.0, 3.0, 0.0], [0.0, 135.0]),
                { "sphere": { "center": [far, -far, far], "radius": 2.5 } },
                { "box": { "baseOrigin": [-far, 0, 0], "baseX": 1, "baseY": 1, "topOrigin": [-far, 0, 1] } },
            ]),
            placement([far, far, 0.0], 33.0, 0.0, 0.0),
        ),
    ]
}

#[test]
fn local_ranges_equal_the_boxes_itwinjs_computes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    let cases = cases();
    let fixture = json!({
        "parts": parts(),
        "cases": cases.iter().map(|(name, geom, placement)| json!({ "name": name, "geom": geom, "placement": placement })).collect::<Vec<_>>(),
    });
    std::fs::write(&input, serde_json::to_vec_pretty(&fixture).unwrap()).unwrap();
    let out: Value = serde_json::from_str(&itwin_test_support::compat::node("geometry-ranges.js", &[&input])).unwrap();

    // Parts first: their boxes are ranged like elements' and feed the instances.
    let no_parts = |_: i64| None;
    let mut part_ranges = HashMap::new();
    for (given, measured) in parts().as_array().unwrap().iter().zip(out["parts"].as_array().unwrap()) {
        let ours = local_range(&given["geom"], &no_parts).unwrap();
        assert_range_eq(ours, range_of(&measured["bbox"]), &format!("part {}", given["name"]));
        part_ranges.insert(id_of(&measured["id"]), ours);
    }
    let lookup = |id: i64| part_ranges.get(&id).copied();

    let mut world = Range3d::EMPTY;
    let elements = out["elements"].as_array().unwrap();
    assert_eq!(elements.len(), cases.len());
    for element in elements {
        let name = element["name"].as_str().unwrap();
        assert!(element.get("error").is_none(), "iTwin.js refused {name}: {}", element["error"]);
        let ours = local_range(&element["geom"], &lookup).unwrap_or_else(|e| panic!("{name}: {e}"));
        let given = &element["placement"];
        assert_range_eq(ours, range_of(&given["bbox"]), name);

        // The spatial index row iTwin.js wrote is our placed box, rounded outward to 32-bit floats
        // (up to our last bits: rounding outward from 2 + 4e-16 gives the next float above 2).
        let angles = ["yaw", "pitch", "roll"].map(|k| given["angles"][k].as_f64().unwrap_or(0.0));
        let placed = Placement3d { origin: xyz(&given["origin"]), angles, bbox: ours }.world_range();
        let row = range_of(&element["spatialIndex"]);
        for i in 0..3 {
            let outward = |inner: f64, outer: f64| inner - outer <= TOLERANCE * inner.abs().max(1.0);
            let contains = outward(row.low[i], placed.low[i]) && outward(placed.high[i], row.high[i]);
            let near = close(row.low[i], placed.low[i], 1e-6) && close(row.high[i], placed.high[i], 1e-6);
            assert!(contains && near, "{name}: spatial index {row:?}, placed box {placed:?}");
        }
        world.extend_range(&placed);
    }

    // The extents with outliers are the union of the placed boxes; without them, a part of it.
    assert_range_eq(world, range_of(&out["projectExtentsWithOutliers"]), "project extents with outliers");
    let extents = range_of(&out["projectExtents"]);
    let inside = (0..3).all(|i| extents.low[i] >= world.low[i] && extents.high[i] <= world.high[i]);
    assert!(inside, "project extents {extents:?} outside the placed boxes {world:?}");
}

#[test]
fn itwinjs_stores_no_placement_for_a_stream_without_geometry() {
    // Our convention for such a stream is the box of an element inserted without `geom`
    // (zeros); iTwin.js instead clears the whole placement when `geom` holds no geometry.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    let empty = [json!([]), json!([{ "header": { "flags": 0 } }, { "appearance": { "color": 255 } }])];
    let fixture = json!({ "cases": empty.iter().map(|geom| json!({ "geom": geom, "placement": placement([1.0, 2.0, 3.0], 0.0, 0.0, 0.0) })).collect::<Vec<_>>() });
    std::fs::write(&input, serde_json::to_vec(&fixture).unwrap()).unwrap();
    let out: Value = serde_json::from_str(&itwin_test_support::compat::node("geometry-ranges.js", &[&input])).unwrap();
    for (geom, element) in empty.iter().zip(out["elements"].as_array().unwrap()) {
        assert_eq!(local_range(geom, &|_| None).unwrap(), NO_GEOMETRY);
        assert!(element["placement"].get("bbox").is_none(), "{element}");
        assert!(element["spatialIndex"].is_null(), "{element}");
    }
}
