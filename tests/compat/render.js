"use strict";
// Usage: node render.js <file.bim> <out.png> [--size 1024x768] [--gltf out.glb]
// A picture of an iModel as iTwin.js sees it: opens the file read-only, tessellates every
// geometric element with IModelDb.exportGraphics (meshes and linework, each with the colour
// and transparency iTwin.js resolves), and rasterises them with the software renderer of
// render/raster.js into a PNG (render/png.js). With --gltf, also writes the meshes as binary
// glTF (render/glb.js). Prints one JSON line: size, counts and the range drawn.
const fs = require("fs");
const { OpenMode } = require("@itwin/core-bentley");
const { ColorDef } = require("@itwin/core-common");
const { SnapshotDb, StandaloneDb } = require("@itwin/core-backend");
const { run, query } = require("./lib");
const { render, sceneRange } = require("./render/raster");
const { encodePng } = require("./render/png");
const { encodeGlb } = require("./render/glb");

function usage() {
  console.error("usage: render.js <file.bim> <out.png> [--size 1024x768] [--gltf out.glb]");
  return 2;
}

function parseArgs(argv) {
  const args = { size: [1024, 768] };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--size") {
      const m = /^(\d+)x(\d+)$/.exec(argv[++i] ?? "");
      if (!m || +m[1] < 1 || +m[2] < 1) return undefined;
      args.size = [+m[1], +m[2]];
    } else if (argv[i] === "--gltf") {
      args.gltf = argv[++i];
      if (!args.gltf) return undefined;
    } else rest.push(argv[i]);
  }
  if (rest.length !== 2) return undefined;
  [args.bim, args.png] = rest;
  return args;
}

/** Read-only; a StandaloneDb file that SnapshotDb refuses is opened as what it is. */
function open(file) {
  try {
    return SnapshotDb.openFile(file);
  } catch {
    return StandaloneDb.openFile(file, OpenMode.Readonly);
  }
}

/** Chord tolerance: a thousandth of the project's diagonal (what the picture can show). */
function chordTolerance(db) {
  const { low, high } = db.computeProjectExtents().extents;
  const diagonal = Math.hypot(high.x - low.x, high.y - low.y, high.z - low.z);
  return Number.isFinite(diagonal) && diagonal > 0 ? diagonal / 1000 : undefined;
}

/** Meshes and lines of every geometric element; `element` numbers elements from 0. */
async function exportGeometry(db) {
  const ids = (await query(db, "SELECT ECInstanceId FROM BisCore.GeometricElement")).map((row) => row[0]);
  const number = new Map(ids.map((id, i) => [id, i]));
  const meshes = [], lines = [];
  const colorOf = (props) => ColorDef.getColors(props);
  if (ids.length > 0) {
    db.exportGraphics({
      elementIdArray: ids,
      chordTol: chordTolerance(db),
      angleTol: Math.PI / 18,
      onGraphics: (info) =>
        meshes.push({
          element: number.get(info.elementId) ?? -2,
          color: colorOf(info.color),
          points: info.mesh.points,
          normals: info.mesh.normals,
          indices: info.mesh.indices,
        }),
      onLineGraphics: (info) =>
        lines.push({ element: number.get(info.elementId) ?? -2, color: colorOf(info.color), points: info.lines.points, indices: info.lines.indices }),
    });
  }
  return { elements: ids.length, meshes, lines };
}

run(async () => {
  const args = parseArgs(process.argv.slice(2));
  if (!args) return usage();
  const db = open(args.bim);
  let geometry;
  try {
    geometry = await exportGeometry(db);
  } finally {
    db.close();
  }
  const { meshes, lines } = geometry;
  const [width, height] = args.size;
  const picture = render(meshes, lines, { width, height });
  fs.writeFileSync(args.png, encodePng(picture.rgb, width, height));
  if (args.gltf) {
    const range = sceneRange(meshes, []) ?? { low: [0, 0, 0], high: [0, 0, 0] };
    const center = [0, 1, 2].map((k) => (range.low[k] + range.high[k]) / 2);
    fs.writeFileSync(args.gltf, encodeGlb(meshes, center));
  }
  console.log(
    JSON.stringify({
      width,
      height,
      elements: geometry.elements,
      meshes: meshes.length,
      triangles: meshes.reduce((n, m) => n + m.indices.length / 3, 0),
      lineSegments: lines.reduce((n, l) => n + l.indices.length / 2, 0),
      range: picture.range ?? null,
    }),
  );
  return 0;
});
