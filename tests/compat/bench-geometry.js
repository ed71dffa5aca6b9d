"use strict";
// Usage: node bench-geometry.js <streams.jsonl> [--native <m>] [--samples <k>]
// iTwin.js anchor for the GeometryStream encode benchmark (crates/geometry/benches/geometry_encode.rs).
// Each line of <streams.jsonl> is one element's GeometryStreamProps.
//
// Timed per stream: JSON.parse of the line ("parse"), then iTwin.js's in-memory path from
// GeometryStreamProps to stream bytes ("encode"): GeometryStreamIterator (appearances into
// GeometryParams, IModelJson.Reader.parse for geometry) feeding ElementGeometry.Builder
// (BasicSymbology when the params change, BGFB flatbuffers per geometry), the entries framed as
// ops behind a Header op. No snappy: iTwin.js has none in JS (the native library compresses).
//
// With --native m, the first m streams are also inserted with insertElement twice, with and
// without `geom`, into a StandaloneDb; the difference is what the native library spends on
// the geometry (JSON to blob, range, spatial index). The first k (--samples, default 0) blobs
// the native library stored are printed as hex, so that the caller can check its own encoder.
//
// Prints one JSON line.
const fs = require("fs");
const { IModel, ElementGeometry, GeometryParams, GeometryStreamIterator } = require("@itwin/core-common");
const { run, createBenchDb } = require("./lib");

const HEADER_OPCODE = 1;

/** The lines of a file, decoded one at a time (a whole-file string would cap the input size). */
function* lines(path) {
  const buf = fs.readFileSync(path);
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    if (end > start) yield buf.toString("utf8", start, end);
    start = end + 1;
  }
}

/** GeometryStreamProps to op-stream bytes, the way iTwin.js builds them in JS. */
function encodeStream(props, category) {
  const builder = new ElementGeometry.Builder();
  const iterator = new GeometryStreamIterator(props, category);
  let applied = new GeometryParams(category);
  for (const entry of iterator) {
    if (entry.primitive.type !== "geometryQuery") throw new Error(`unexpected ${entry.primitive.type} entry`);
    // As the native builder: symbology only where it changes.
    if (!entry.geomParams.isEquivalent(applied)) {
      if (!builder.appendGeometryParamsChange(entry.geomParams)) throw new Error("appearance not encoded");
      applied = entry.geomParams.clone();
    }
    if (!builder.appendGeometryQuery(entry.primitive.geometry)) throw new Error("geometry not encoded");
  }
  return frameOps(builder.entries, iterator.flags ?? 0);
}

/** Opcode, padded size, payload padded to 8 bytes: `GeometryStreamIO::Writer::Append`. */
function frameOps(entries, flags) {
  let size = 16;
  for (const e of entries) size += 8 + ((e.data.length + 7) & ~7);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, HEADER_OPCODE, true);
  view.setUint32(4, 8, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, flags, true);
  let at = 16;
  for (const e of entries) {
    const padded = (e.data.length + 7) & ~7;
    view.setUint32(at, e.opcode, true);
    view.setUint32(at + 4, padded, true);
    out.set(e.data, at + 8);
    at += 8 + padded;
  }
  return out;
}

function measureInMemory(path) {
  // Any valid id: the category only names the default sub-category of the params.
  const category = "0x17";
  let streams = 0, entries = 0, jsonBytes = 0, opBytes = 0, parseNs = 0n, encodeNs = 0n;
  for (const line of lines(path)) {
    const t0 = process.hrtime.bigint();
    const props = JSON.parse(line);
    const t1 = process.hrtime.bigint();
    const bytes = encodeStream(props, category);
    const t2 = process.hrtime.bigint();
    parseNs += t1 - t0;
    encodeNs += t2 - t1;
    streams++;
    entries += props.length;
    jsonBytes += Buffer.byteLength(line) + 1;
    opBytes += bytes.length;
  }
  return { streams, entries, jsonBytes, opBytes, parseSeconds: Number(parseNs) / 1e9, encodeSeconds: Number(encodeNs) / 1e9 };
}

function measureNative(path, m, samples) {
  const streams = [];
  for (const line of lines(path)) {
    if (streams.length === m) break;
    streams.push(JSON.parse(line));
  }
  const bench = createBenchDb();
  try {
    const { db, model, category } = bench;
    const props = (geom) => ({
      classFullName: "Generic:PhysicalObject",
      model,
      category,
      code: { spec: "0x1", scope: "0x1", value: "" },
      placement: { origin: [0, 0, 0], angles: {} },
      ...(geom ? { geom } : {}),
    });
    const time = (insert) => {
      const start = process.hrtime.bigint();
      const ids = streams.map(insert);
      return { ids, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
    };
    const without = time(() => db.elements.insertElement(props(undefined)));
    const withGeom = time((geom) => db.elements.insertElement(props(geom)));
    db.saveChanges();
    let blobBytes = 0;
    const sampled = [];
    db.withSqliteStatement("SELECT GeometryStream FROM bis_GeometricElement3d WHERE ElementId=?", (stmt) => {
      withGeom.ids.forEach((id, line) => {
        stmt.reset();
        stmt.bindId(1, id);
        stmt.step();
        const blob = stmt.getValueBlobMaybe(0);
        blobBytes += blob.length;
        if (line < samples) sampled.push({ line, hex: Buffer.from(blob).toString("hex") });
      });
    });
    return {
      streams: streams.length,
      entries: streams.reduce((n, s) => n + s.length, 0),
      withGeomSeconds: withGeom.seconds,
      withoutGeomSeconds: without.seconds,
      blobBytes,
      defaultSubCategory: IModel.getDefaultSubCategoryId(category),
      samples: sampled,
    };
  } finally {
    bench.dispose();
  }
}

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} expects a count, got ${process.argv[at + 1]}`);
  return n;
}

run(() => {
  const path = process.argv[2];
  if (!path || path.startsWith("--")) {
    console.error("usage: bench-geometry.js <streams.jsonl> [--native <m>] [--samples <k>]");
    return 2;
  }
  const nativeCount = option("--native", 0);
  const inMemory = measureInMemory(path);
  const native = nativeCount > 0 ? measureNative(path, nativeCount, option("--samples", 0)) : undefined;
  console.log(JSON.stringify({ tool: "itwinjs", inMemory, native }));
  return 0;
});
