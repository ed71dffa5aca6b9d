//! Encode benchmark of the GeometryStream codec: N mixed entries (line strings, arcs, boxes,
//! spheres, cones, cylinders, torus pipes, linear sweeps, small meshes and appearances; five per
//! element stream) as wire-format JSON text, encoded into column blobs — measured in the same run
//! against iTwin.js encoding the same file (tests/compat/bench-geometry.js):
//!   (a) its JS path from GeometryStreamProps to stream bytes (GeometryStreamIterator +
//!       ElementGeometry.Builder; flatbuffers, no snappy), over all streams;
//!   (b) the native library inside `insertElement` (with `geom` minus without), over the first
//!       streams; compared with our encoder plus the range computation a writer also needs.
//!
//! Parsing the JSON text counts on both sides (each stream's line is parsed, then encoded); the
//! encode-only figures are printed too. The native library's stored blobs for the first streams
//! must equal ours (op streams byte for byte, the solid details' uninitialised padding aside).
//!
//! `cargo bench --bench geometry_encode [-- N [--native M]]`: N entries (default 1000000), M
//! streams through insertElement (default 20000). Needs the Node packages of tests/compat.
//! `-- N --ours-only` times our side alone (for profiling).

#[path = "geometry_encode/streams.rs"]
mod streams;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use itwin_geometry::codec::{self, StreamContext};
use itwin_geometry::GeometryStream;
use serde_json::Value;

/// Streams whose native blob is checked against ours.
const CHECKED_STREAMS: usize = 500;

/// Totals of one side's run over streams.
#[derive(Default)]
struct Run {
    streams: usize,
    entries: usize,
    json_bytes: usize,
    out_bytes: usize,
    parse: Duration,
    encode: Duration,
}

fn main() {
    // `cargo bench` adds `--bench`; flags other than ours are ignored.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag_value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let positional =
        args.iter().enumerate().find(|(i, a)| a.parse::<usize>().is_ok() && (*i == 0 || args[i - 1] != "--native"));
    let count = |value: Option<&String>, default: usize| -> usize {
        value.map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("not a count: {v}")))
    };
    let entries = count(positional.map(|(_, a)| a), 1_000_000);
    let stream_count = entries.div_ceil(streams::ENTRIES_PER_STREAM);
    let native_streams = count(flag_value("--native"), 20_000).clamp(1, stream_count);

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("streams.jsonl");
    let text = streams::json_lines(stream_count);
    std::fs::write(&input, &text).unwrap();
    let appearances = text.matches(r#"{"appearance":"#).count();
    println!(
        "encoding {} entries ({} geometric primitives, {appearances} appearances; {stream_count} element streams of {}), \
         {:.1} MB of GeometryStreamProps JSON\n",
        stream_count * streams::ENTRIES_PER_STREAM,
        stream_count * streams::ENTRIES_PER_STREAM - appearances,
        streams::ENTRIES_PER_STREAM,
        mb(text.len())
    );

    if args.iter().any(|a| a == "--ours-only") {
        return ours_only(&text);
    }
    let itwinjs = run_itwinjs(&input, native_streams);
    let context = StreamContext { default_sub_category: Some(itwinjs.default_sub_category), is_part: false };
    check_against_native(&text, &itwinjs.samples, &context);

    let ours = run_ours(&text, &context);
    let ours_with_range = run_ours_with_range(&text, &context);
    let js = &itwinjs.in_memory;
    assert_eq!((js.streams, js.entries, js.json_bytes), (ours.streams, ours.entries, ours.json_bytes));

    println!("{:<44} {:>11} {:>11} {:>11} {:>9}", "", "entries/s", "JSON MB/s", "out MB/s", "seconds");
    let row = |name: &str, r: &Run, time: Duration| {
        let s = time.as_secs_f64();
        println!(
            "{name:<44} {:>11.0} {:>11.1} {:>11.1} {:>9.3}",
            r.entries as f64 / s,
            mb(r.json_bytes) / s,
            mb(r.out_bytes) / s,
            s
        );
    };
    row("itwin-host codec, parse + encode", &ours, ours.parse + ours.encode);
    row("iTwin.js JS builder, parse + encode", js, js.parse + js.encode);
    row("itwin-host codec, encode only", &ours, ours.encode);
    row("iTwin.js JS builder, encode only", js, js.encode);
    println!("  (out: our snappy blobs; iTwin.js's uncompressed op streams, as JS has no snappy)");

    let per_stream = |time: Duration, streams: usize| time.as_secs_f64() / streams as f64;
    let ours_total = per_stream(ours.parse + ours.encode, ours.streams);
    let js_total = per_stream(js.parse + js.encode, js.streams);
    let ours_range = per_stream(ours_with_range.encode, ours_with_range.streams);
    let native = &itwinjs.native;
    let native_geometry = (native.with_geom.as_secs_f64() - native.without_geom.as_secs_f64()) / native.streams as f64;
    println!();
    println!("per element stream of {} entries:", streams::ENTRIES_PER_STREAM);
    println!("  itwin-host codec, parse + encode          {:>8.2} µs", ours_total * 1e6);
    println!("  itwin-host codec + range, encode only     {:>8.2} µs", ours_range * 1e6);
    println!("  iTwin.js JS builder, parse + encode       {:>8.2} µs", js_total * 1e6);
    println!(
        "  iTwin.js native, insertElement with geom − without ({} streams): {:.2} − {:.2} = {:.2} µs",
        native.streams,
        per_stream(native.with_geom, native.streams) * 1e6,
        per_stream(native.without_geom, native.streams) * 1e6,
        native_geometry * 1e6
    );
    println!();
    println!("itwin-host vs iTwin.js JS builder, parse + encode: {:.1}x faster (target >= 5x)", js_total / ours_total);
    println!(
        "itwin-host vs iTwin.js JS builder, encode only:    {:.1}x faster",
        per_stream(js.encode, js.streams) / per_stream(ours.encode, ours.streams)
    );
    println!("itwin-host codec + range vs iTwin.js native:      {:.1}x faster", native_geometry / ours_range);
}

/// Our side alone, three times over: for profiling (`perf record`), without Node in the picture.
fn ours_only(text: &str) {
    for _ in 0..3 {
        let run = run_ours(text, &StreamContext::default());
        let seconds = (run.parse + run.encode).as_secs_f64();
        println!(
            "itwin-host codec: {:.0} entries/s, {:.1} JSON MB/s (parse {:.3} s, encode {:.3} s)",
            run.entries as f64 / seconds,
            mb(run.json_bytes) / seconds,
            run.parse.as_secs_f64(),
            run.encode.as_secs_f64()
        );
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// Every line parsed into a `Value`, then encoded; each phase timed on its own, freeing its
/// memory included (iTwin.js pays for garbage collection where it allocates).
fn run_ours(text: &str, context: &StreamContext) -> Run {
    let mut run = Run::default();
    for line in text.lines() {
        let start = Instant::now();
        let geom: Value = serde_json::from_str(line).unwrap();
        let parsed = Instant::now();
        let blob = codec::encode_with(&geom, context).unwrap();
        run.out_bytes += blob.len();
        drop(blob);
        let encoded = Instant::now();
        run.entries += geom.as_array().map_or(0, Vec::len);
        drop(geom);
        run.parse += (parsed - start) + encoded.elapsed();
        run.encode += encoded - parsed;
        run.streams += 1;
        run.json_bytes += line.len() + 1;
    }
    run
}

/// What a writer does per element besides parsing the text: the model read once, the blob and
/// the element-aligned range from it.
fn run_ours_with_range(text: &str, context: &StreamContext) -> Run {
    let parsed: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let mut run = Run { streams: parsed.len(), ..Run::default() };
    let start = Instant::now();
    for geom in &parsed {
        let stream = GeometryStream::from_json(geom).unwrap();
        let blob = stream.encode(context).unwrap().unwrap();
        std::hint::black_box(stream.local_range(&|_| None).unwrap());
        run.out_bytes += blob.len();
    }
    run.encode = start.elapsed();
    run
}

/// What bench-geometry.js reported.
struct ItwinJs {
    in_memory: Run,
    native: Native,
    default_sub_category: i64,
    /// (line, blob) of the first streams as the native library stored them.
    samples: Vec<(usize, Vec<u8>)>,
}

struct Native {
    streams: usize,
    with_geom: Duration,
    without_geom: Duration,
}

fn run_itwinjs(input: &Path, native_streams: usize) -> ItwinJs {
    let compat: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat");
    assert!(
        compat.join("node_modules/@itwin/core-backend").is_dir(),
        "the iTwin.js anchor needs its packages: run `npm ci --legacy-peer-deps` in tests/compat"
    );
    let out = Command::new("node")
        .arg("bench-geometry.js")
        .arg(input)
        .args(["--native", &native_streams.to_string(), "--samples", &CHECKED_STREAMS.to_string()])
        .current_dir(&compat)
        .output()
        .expect("node on PATH");
    assert!(out.status.success(), "bench-geometry.js failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("one JSON line");
    let count = |v: &Value| v.as_u64().expect("a count") as usize;
    let seconds = |v: &Value| Duration::from_secs_f64(v.as_f64().expect("seconds"));
    let (m, n) = (&result["inMemory"], &result["native"]);
    let id = n["defaultSubCategory"].as_str().expect("an id");
    ItwinJs {
        in_memory: Run {
            streams: count(&m["streams"]),
            entries: count(&m["entries"]),
            json_bytes: count(&m["jsonBytes"]),
            out_bytes: count(&m["opBytes"]),
            parse: seconds(&m["parseSeconds"]),
            encode: seconds(&m["encodeSeconds"]),
        },
        native: Native {
            streams: count(&n["streams"]),
            with_geom: seconds(&n["withGeomSeconds"]),
            without_geom: seconds(&n["withoutGeomSeconds"]),
        },
        default_sub_category: i64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap(),
        samples: n["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (count(&s["line"]), unhex(s["hex"].as_str().unwrap())))
            .collect(),
    }
}

/// Our blobs for the sampled streams must hold the native op streams and decode alike.
fn check_against_native(text: &str, samples: &[(usize, Vec<u8>)], context: &StreamContext) {
    assert!(!samples.is_empty(), "iTwin.js stored no blobs to compare with");
    let lines: Vec<&str> = text.lines().take(samples.len()).collect();
    for (line, theirs) in samples {
        let geom: Value = serde_json::from_str(lines[*line]).unwrap();
        let ours = codec::encode_with(&geom, context).unwrap();
        let (ours_ops, theirs_ops) = (codec::comparable_ops(&ours).unwrap(), codec::comparable_ops(theirs).unwrap());
        assert_eq!(ours_ops, theirs_ops, "stream {line}: our op stream differs from the native one\n{}", lines[*line]);
        assert_eq!(codec::decode_with(&ours, context).unwrap(), codec::decode_with(theirs, context).unwrap());
    }
    println!("checked: our blobs for the first {} streams hold the op streams iTwin.js stored\n", samples.len());
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}
