//! Codec checks that need no iTwin.js (those are in crates/geometry/tests/all/codec.rs).

use flatbuffers::FlatBufferBuilder;
use serde_json::{json, Value};

use super::*;
use crate::GeometryStream;

fn error_of(geom: Value) -> String {
    encode(&geom).expect_err("should be refused").to_string()
}

#[test]
fn bad_json_names_the_entry_and_field() {
    let line = json!({"lineString": [[0, 0, 0], [1, 0, 0]]});
    let cases = [
        (json!({"lineString": []}), "geom: expected an array"),
        (json!([]), "geom: has no geometry (store no stream instead)"),
        (json!([{"appearance": {"color": 255}}]), "geom: has no geometry (store no stream instead)"),
        (json!([line, {"lineString": [[0, 0, 0]]}]), "geom[1].lineString: needs at least 2 points"),
        (json!([{"lineString": [[0, 0, 0], [1, "x", 0]]}]), "geom[0].lineString[1][1]: not a finite number"),
        (
            json!([{"lineString": [[0, 0, 0], [1, 0, 0, 0]]}]),
            "geom[0].lineString[1]: expected 2 or 3 coordinates, got 4",
        ),
        (json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": "1"}}]), "geom[0].box.baseX: not a finite number"),
        (json!([{"box": {"baseOrigin": [0, 0, 0]}}]), "geom[0].box.baseX: is required"),
        (
            json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "bogus": 2}}]),
            "geom[0].box: unknown field `bogus` (expected one of origin, baseOrigin, topOrigin, baseX, baseY, topX, \
             topY, height, capped, xyzVectors, xyVectors, zxVectors)",
        ),
        (
            json!([{"box": {"baseOrigin": [0, 0, 0], "baseX": 1, "xyVectors": [[1, 0, 0], [2, 0, 0]]}}]),
            "geom[0].box.xyVectors: vectors are zero or parallel",
        ),
        (json!([line, {"blob": {}}]), "geom[1]: unknown geometry entry `blob`"),
        (json!([{"textString": {}}]), "geom[0]: `textString` entries are not supported"),
        (json!([{"a": 1, "b": 2}]), "geom[0]: expected one key, got `a`, `b`"),
        (json!([7]), "geom[0]: expected an object with one key"),
        (json!([line, {"header": {"flags": 0}}]), "geom[1]: header must be the first entry"),
        (json!([{"header": {"flags": 2}}, line]), "geom[0].header.flags: expected an integer from 0 to 1"),
        (
            json!([{"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0]}}]),
            "geom[0].arc.sweepStartEnd: is required",
        ),
        (json!([{"lineSegment": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}]), "geom[0].lineSegment: expected 2 points, got 3"),
        (json!([{"path": []}]), "geom[0].path: needs at least one curve"),
        (
            json!([{"loop": [{"pointString": [[0, 0, 0]]}]}]),
            "geom[0].loop[0]: `pointString` is not allowed in a loop (expected lineSegment, lineString or arc)",
        ),
        (
            json!([{"parityRegion": [{"path": [line]}]}]),
            "geom[0].parityRegion[0]: `path` is not allowed in a parityRegion (expected loop)",
        ),
        (json!([{"sphere": {"center": [0, 0, 0], "radius": -1}}]), "geom[0].sphere.radius: radii must be positive"),
        (json!([{"sphere": {"center": [0, 0, 0]}}]), "geom[0].sphere.radius: is required"),
        (
            json!([{"cylinder": {"start": [1, 1, 1], "end": [1, 1, 1], "radius": 1}}]),
            "geom[0].cylinder: start and end coincide",
        ),
        (
            json!([{"cone": {"start": [0, 0, 0], "end": [0, 0, 1]}}]),
            "geom[0].cone.startRadius: is required (or `radius`)",
        ),
        (
            json!([{"linearSweep": {"contour": {"arc": {}}, "vector": [0, 0, 1]}}]),
            "geom[0].linearSweep.contour: `arc` is not a curve vector (path, loop, parityRegion, unionRegion)",
        ),
        (
            json!([{"indexedMesh": {"point": [[0, 0, 0]], "pointIndex": [2, 0]}}]),
            "geom[0].indexedMesh.pointIndex[0]: expected an integer from -1 to 1",
        ),
        (
            json!([{"indexedMesh": {"point": [[0, 0, 0]], "pointIndex": [1, 0], "normalIndex": [1, 0]}}]),
            "geom[0].indexedMesh.normalIndex: needs `normal`",
        ),
        (
            json!([{"indexedMesh": {"point": [[0, 0, 0]], "pointIndex": [1, 0], "normal": [[0, 0, 1]], "normalIndex": [1]}}]),
            "geom[0].indexedMesh.normalIndex: has 1 entries, pointIndex has 2",
        ),
        (
            json!([{"appearance": {"transparency": 2}}, line]),
            "geom[0].appearance.transparency: expected a number from 0 to 1",
        ),
        (
            json!([{"appearance": {"color": -1}}, line]),
            "geom[0].appearance.color: expected an integer from 0 to 4294967295",
        ),
        (json!([{"appearance": {"style": "0x1"}}, line]), "geom[0].appearance.style: line styles are not supported"),
        (
            json!([{"appearance": {"subCategory": "abc"}}, line]),
            "geom[0].appearance.subCategory: `abc` is not a valid id",
        ),
        (json!([{"geomPart": {"part": "0x0"}}]), "geom[0].geomPart.part: `0x0` is not a valid id"),
        (json!([{"geomPart": {"part": "0x10", "scale": 0}}]), "geom[0].geomPart.scale: must be positive"),
        (
            json!([{"geomPart": {"part": "0x10", "rotation": {"spin": 1}}}]),
            "geom[0].geomPart.rotation: unknown field `spin` (expected one of yaw, pitch, roll)",
        ),
    ];
    for (geom, expected) in cases {
        assert_eq!(error_of(geom.clone()), expected, "for {geom}");
    }
    let part = StreamContext { default_sub_category: None, is_part: true };
    let err = encode_with(&json!([{"geomPart": {"part": "0x10"}}]), &part).unwrap_err();
    assert_eq!(err.to_string(), "geom[0]: a geometry part cannot instance another part");
}

#[test]
fn array_lengths_are_bounded_before_allocating() {
    const { assert!(json::MAX_ITEMS >= 10_000_000) };
    let err = json::check_len(json::MAX_ITEMS + 1, "geom[0].lineString").unwrap_err();
    assert_eq!(err.to_string(), "geom[0].lineString: 10000001 items, at most 10000000 allowed");
    assert!(json::check_len(json::MAX_ITEMS, "x").is_ok());
}

/// The JSON iTwin.js reports comes back unchanged (numbers within 1e-9).
#[test]
fn reported_forms_round_trip() {
    let cases = [
        json!([{"header": {"flags": 0}}, {"lineString": [[0, 0, 0], [1, 2, 3], [4, 5, 6.5]]}]),
        json!([{"header": {"flags": 1}}, {"pointString": [[1, 1, 1]]}]),
        json!([{"header": {"flags": 0}}, {"arc": {"center": [1, 2, 3], "vectorX": [2, 0, 0], "vectorY": [0, 2, 0], "sweepStartEnd": [10, 100]}}]),
        json!([{"header": {"flags": 0}}, {"loop": [{"arc": {"center": [0, 0, 0], "vectorX": [1, 0, 0], "vectorY": [0, 1, 0], "sweepStartEnd": [0, 360]}}]}]),
        json!([{"header": {"flags": 0}}, {"path": [{"lineSegment": [[0, 0, 0], [1, 0, 0]]}, {"lineString": [[1, 0, 0], [1, 1, 0], [2, 2, 0]]}]}]),
        json!([{"header": {"flags": 0}}, {"box": {"baseOrigin": [0, 0, 0], "origin": [0, 0, 0], "topOrigin": [0, 0, 3], "baseX": 1, "baseY": 2, "capped": true}}]),
        json!([{"header": {"flags": 0}}, {"sphere": {"center": [1, 2, 3], "radius": 2}}]),
        json!([{"header": {"flags": 0}}, {"cylinder": {"start": [0, 0, 0], "end": [0, 0, 2], "capped": true, "radius": 1}}]),
        json!([{"header": {"flags": 0}}, {"cone": {"capped": false, "start": [0, 0, 0], "end": [0, 0, 5], "startRadius": 1, "endRadius": 0.5, "xyVectors": [[1, 0, 0], [0, 1, 0]]}}]),
        json!([{"header": {"flags": 0}}, {"torusPipe": {"center": [0, 0, 0], "majorRadius": 3, "minorRadius": 1, "sweepAngle": 90, "capped": true, "xyVectors": [[1, 0, 0], [0, 1, 0]]}}]),
        json!([{"header": {"flags": 0}}, {"linearSweep": {"capped": true, "contour": {"loop": [{"lineString": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]}]}, "vector": [0, 0, 1]}}]),
        json!([{"header": {"flags": 0}}, {"indexedMesh": {"point": [[0, 0, 0], [1, 0, 0], [0, 1, 0]], "pointIndex": [1, 2, 3, 0], "twoSided": false, "param": [[0, 0], [1, 0], [0, 1]], "paramIndex": [1, 2, 3, 0]}}]),
        json!([{"header": {"flags": 0}}, {"appearance": {"subCategory": "0x2a", "color": 255, "weight": 2, "transparency": 0.5, "geometryClass": 1}}, {"geomPart": {"part": "0x30", "origin": [1, 2, 3], "rotation": {"yaw": 90}, "scale": 2}}]),
    ];
    for geom in cases {
        let decoded = decode(&encode(&geom).unwrap()).unwrap();
        assert!(approx_eq(&geom, &decoded), "{geom}\n{decoded}");
    }
}

fn approx_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| approx_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| approx_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Blob bytes the way they are stored: header, then one CurveVector op holding `payload`.
fn blob_with_curve_vector_op(payload: &[u8]) -> Vec<u8> {
    let mut ops = Vec::new();
    stream::append_op(&mut ops, stream::opcode::HEADER, &stream::header_payload(0));
    stream::append_op(&mut ops, stream::opcode::CURVE_VECTOR, payload);
    stream::pack(&ops).unwrap()
}

/// A curve vector nested `depth` times around a line string.
fn nested_curve_vectors(depth: usize) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let points = fbb.create_vector(&[0.0f64, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let start = fbb.start_table();
    fbb.push_slot_always(4, points);
    let line = fbb.end_table(start);
    let mut child = variant::create(&mut fbb, variant::kind::LINE_STRING, line.as_union_value());
    for _ in 0..depth {
        let children = fbb.create_vector(&[child]);
        let start = fbb.start_table();
        fbb.push_slot_always(6, children);
        fbb.push_slot::<i32>(4, 1, 0);
        let cv = fbb.end_table(start);
        child = variant::create(&mut fbb, variant::kind::CURVE_VECTOR, cv.as_union_value());
    }
    flatbuf::finish_bgfb(fbb, child)
}

#[test]
fn nesting_is_bounded() {
    assert!(decode(&blob_with_curve_vector_op(&nested_curve_vectors(3))).is_ok());
    let err = decode(&blob_with_curve_vector_op(&nested_curve_vectors(200))).unwrap_err();
    assert!(err.to_string().contains("nested too deeply"), "{err}");
}

/// Offsets may share tables; a few bytes whose children all point at the same child, level after
/// level, would expand to 64^6 curves if followed naively.
#[test]
fn shared_offsets_cannot_blow_up() {
    let mut fbb = FlatBufferBuilder::new();
    let points = fbb.create_vector(&[0.0f64, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let start = fbb.start_table();
    fbb.push_slot_always(4, points);
    let line = fbb.end_table(start);
    let mut child = variant::create(&mut fbb, variant::kind::LINE_STRING, line.as_union_value());
    for _ in 0..6 {
        let children = fbb.create_vector(&[child; 64]);
        let start = fbb.start_table();
        fbb.push_slot_always(6, children);
        let cv = fbb.end_table(start);
        child = variant::create(&mut fbb, variant::kind::CURVE_VECTOR, cv.as_union_value());
    }
    let payload = flatbuf::finish_bgfb(fbb, child);
    assert!(payload.len() < 4096);
    let err = decode(&blob_with_curve_vector_op(&payload)).unwrap_err();
    assert!(err.to_string().contains("revisit") || err.to_string().contains("too many tables"), "{err}");
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = decode(&bytes);
        let _ = decode(&stream::pack(&bytes).unwrap());
        // Valid framing around garbage payloads of each opcode.
        let mut ops = Vec::new();
        stream::append_op(&mut ops, stream::opcode::HEADER, &stream::header_payload(0));
        stream::append_op(&mut ops, (next() % 30) as u32, &bytes);
        let _ = decode(&stream::pack(&ops).unwrap());
        let mut prefixed = flatbuf::BGFB_PREFIX.to_vec();
        prefixed.extend_from_slice(&bytes);
        for code in [8, 9, 10, 11] {
            let mut ops = Vec::new();
            stream::append_op(&mut ops, stream::opcode::HEADER, &stream::header_payload(0));
            stream::append_op(&mut ops, code, &prefixed);
            let _ = decode(&stream::pack(&ops).unwrap());
        }
    }
}

#[test]
fn non_finite_numbers_in_a_blob_are_refused() {
    let (code, payload) = curves::to_op(&crate::model::Curve::LineString(vec![[f64::NAN, 0.0, 0.0], [1.0, 0.0, 0.0]]));
    let mut ops = Vec::new();
    stream::append_op(&mut ops, stream::opcode::HEADER, &stream::header_payload(0));
    stream::append_op(&mut ops, code, &payload);
    let err = decode(&stream::pack(&ops).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "GeometryStream op 1 (PointPrimitive): a NaN or infinite number");
}

#[test]
fn instanced_parts_are_listed_without_decoding_the_rest() {
    let geom = json!([
        {"geomPart": {"part": "0x30"}},
        {"sphere": {"center": [0, 0, 0], "radius": 1}},
        {"geomPart": {"part": "0x31", "origin": [1, 2, 3], "scale": 2}},
    ]);
    assert_eq!(instanced_parts(&encode(&geom).unwrap()).unwrap(), vec![0x30, 0x31]);
    assert!(instanced_parts(&encode(&json!([{"lineString": [[0, 0], [1, 1]]}])).unwrap()).unwrap().is_empty());
    assert!(instanced_parts(b"not a blob").is_err());
}

/// What iTwin.js accepts and ranges but the encoder does not store reads into the model (so it
/// can be ranged) and is refused by `encode` with the location reading found.
#[test]
fn what_reads_but_cannot_be_stored_is_refused_by_the_encoder_only() {
    let cases = [
        (
            json!([{"cone": {"start": [1, 1, 1], "end": [1, 1, 1], "startRadius": 2, "endRadius": 1}}]),
            "geom[0].cone: start and end coincide",
        ),
        (json!([{"geomPart": {"part": "0x10", "scale": -2}}]), "geom[0].geomPart.scale: must be positive"),
        (
            json!([{"ruledSweep": {"contour": [
                {"loop": [{"lineString": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]}]},
                {"loop": [{"lineString": [[0, 0, 5], [3, 0, 5], [0, 3, 5], [0, 0, 5]]}]},
            ], "capped": true}}]),
            "geom[0]: `ruledSweep` entries are not supported",
        ),
    ];
    let part = |_| Some(crate::placement::Range3d { low: [0.0; 3], high: [1.0; 3] });
    for (geom, expected) in cases {
        let stream = GeometryStream::from_json(&geom).unwrap_or_else(|e| panic!("{geom}: {e}"));
        assert!(stream.local_range(&part).is_ok(), "{geom}");
        assert_eq!(stream.encode(&StreamContext::default()).unwrap_err().to_string(), expected);
    }
}

/// `"style": "0"` is iTwin.js's invalid id: no line style, as the native reader has it.
#[test]
fn the_invalid_line_style_is_no_line_style() {
    let geom = json!([{"appearance": {"color": 255, "style": "0"}}, {"lineString": [[0, 0, 0], [1, 0, 0]]}]);
    let without = json!([{"appearance": {"color": 255}}, {"lineString": [[0, 0, 0], [1, 0, 0]]}]);
    assert_eq!(encode(&geom).unwrap(), encode(&without).unwrap());
}

/// Angles of a part instance may be given as `{degrees}` or `{radians}`, as everywhere else.
#[test]
fn part_rotations_take_angle_objects() {
    let plain = json!([{"geomPart": {"part": "0x10", "rotation": {"yaw": 30, "roll": 90}}}]);
    let objects = json!([{"geomPart": {"part": "0x10", "rotation": {"yaw": {"degrees": 30}, "roll": {"radians": std::f64::consts::FRAC_PI_2}}}}]);
    assert_eq!(decode(&encode(&plain).unwrap()).unwrap(), decode(&encode(&objects).unwrap()).unwrap());
}
