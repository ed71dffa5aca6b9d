"use strict";
// Usage: node check-spatial.js <file.bim> <expected.json>
// iTwin.js judges the spatial side of a file itwin-host wrote: its default view and where its
// elements are. Prints "ok <check>" / "FAIL <check>: <why>" lines and "<n> checks, <m> failed".
//
// expected.json (every key optional):
//   "globalOrigin": [x, y, z]            IModelDb.globalOrigin
//   "spatialViews": n                    how many SpatialViewDefinitions there are
//   "defaultView": null                  no default view is set
//   "defaultView": {                     the default view, as IModelReadRpcImpl.getDefaultViewId reads it
//       "name": "...",                   its code value
//       "models": [id, ...],             exactly its model selector's models (any order)
//       "categories": [id, ...],         exactly its category selector's categories (any order)
//       "frames": [id, ...]              models whose range (models.queryRange) the view's box must
//   }                                    contain; defaults to "models"
//   "placements": [ { "id", "origin": [x, y, z], "range"?: { "low", "high" } } ]
//                                        getElementProps' placement origin, and the world range
//                                        Placement3d.calculateRange() gives (within 1e-9 relative)
const fs = require("fs");
const { StandaloneDb, SpatialViewDefinition } = require("@itwin/core-backend");
const { Placement3d } = require("@itwin/core-common");
const { Id64 } = require("@itwin/core-bentley");
const { Transform } = require("@itwin/core-geometry");
const { run, Checker, normId } = require("./lib");

run(async () => {
  const [file, expectedFile] = process.argv.slice(2);
  if (!file || !expectedFile) {
    console.error("usage: node check-spatial.js <file.bim> <expected.json>");
    return 2;
  }
  const expected = JSON.parse(fs.readFileSync(expectedFile, "utf8"));
  const db = StandaloneDb.openFile(file);
  const c = new Checker();
  try {
    await checkAll(c, db, expected);
  } finally {
    db.close();
  }
  return c.summary();
});

const close = (a, b, tolerance = 1e-9) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
const xyz = (p) => (Array.isArray(p) ? [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0] : [p.x ?? 0, p.y ?? 0, p.z ?? 0]);

function samePoint(what, got, want, tolerance) {
  const [g, w] = [xyz(got), xyz(want)];
  if (!g.every((v, i) => close(v, w[i], tolerance))) throw new Error(`${what}: expected ${JSON.stringify(w)}, got ${JSON.stringify(g)}`);
}

function sameIds(what, got, want) {
  const [g, w] = [[...got].map(normId).sort(), [...want].map(normId).sort()];
  if (JSON.stringify(g) !== JSON.stringify(w)) throw new Error(`${what}: expected ${JSON.stringify(w)}, got ${JSON.stringify(g)}`);
}

/** The default view's id the way the RPC interface (and so every viewer) reads it. */
function defaultViewId(db) {
  const blob = db.queryFilePropertyBlob({ namespace: "dgn_View", name: "DefaultView" });
  if (blob === undefined || blob.length !== 8) return Id64.invalid;
  const words = new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + 8));
  return Id64.fromUint32Pair(words[0], words[1]);
}

async function checkAll(c, db, expected) {
  if (expected.globalOrigin !== undefined)
    await c.check("globalOrigin", () => samePoint("globalOrigin", db.globalOrigin, expected.globalOrigin));

  if (expected.spatialViews !== undefined)
    await c.check("spatialViews", async () => {
      const n = db.withPreparedStatement("SELECT count(*) FROM bis.SpatialViewDefinition", (s) => (s.step(), s.getValue(0).getInteger()));
      if (n !== expected.spatialViews) throw new Error(`expected ${expected.spatialViews}, got ${n}`);
    });

  if (expected.defaultView === null)
    await c.check("no default view", () => {
      const id = defaultViewId(db);
      if (Id64.isValid(id)) throw new Error(`the default view is ${id}`);
    });
  else if (expected.defaultView !== undefined) await checkDefaultView(c, db, expected.defaultView);

  for (const p of expected.placements ?? [])
    await c.check(`placement ${p.id}`, () => {
      const props = db.elements.getElementProps(p.id);
      if (!props.placement) throw new Error("no placement");
      samePoint("origin", props.placement.origin, p.origin);
      if (p.range) {
        const range = Placement3d.fromJSON(props.placement).calculateRange();
        samePoint("range.low", range.low, p.range.low, 1e-6);
        samePoint("range.high", range.high, p.range.high, 1e-6);
      }
    });
}

async function checkDefaultView(c, db, want) {
  let view;
  await c.check("default view is a SpatialViewDefinition", () => {
    const id = defaultViewId(db);
    if (!Id64.isValidId64(id)) throw new Error("no default view is set");
    view = db.elements.getElement(id);
    if (!(view instanceof SpatialViewDefinition)) throw new Error(`${id} is a ${view.classFullName}`);
    if (view.code.value !== want.name) throw new Error(`named ${JSON.stringify(view.code.value)}, expected ${JSON.stringify(want.name)}`);
    return `${id} ${view.code.value}`;
  });
  if (!view) return;
  let state;
  await c.check("default view loads (getViewStateProps)", async () => {
    state = await db.views.getViewStateProps(view.id);
    if (state.displayStyleProps.classFullName !== "BisCore:DisplayStyle3d")
      throw new Error(`display style is a ${state.displayStyleProps.classFullName}`);
    view.loadDisplayStyle3d();
    view.loadCategorySelector();
    view.loadModelSelector();
  });
  if (!state) return;
  await c.check("model selector", () => sameIds("models", state.modelSelectorProps.models, want.models));
  await c.check("category selector", () => sameIds("categories", state.categorySelectorProps.categories, want.categories));
  await c.check("view box contains the models' range", async () => {
    const range = await db.models.queryRange(want.frames ?? want.models);
    if (range.isNull) throw new Error("the models have no range");
    // The view's box in view coordinates: from rotation × origin, `extents` long on each axis.
    const rotation = view.angles.toMatrix3d();
    const low = rotation.multiplyXYZ(view.origin.x, view.origin.y, view.origin.z);
    const high = low.plus(view.extents);
    const rotated = Transform.createOriginAndMatrix(undefined, rotation).multiplyRange(range);
    const slack = 1e-6 * Math.max(1, view.extents.magnitude());
    const inside = ["x", "y", "z"].every((a) => rotated.low[a] >= low[a] - slack && rotated.high[a] <= high[a] + slack);
    if (!inside) throw new Error(`models' range ${JSON.stringify(range.toJSON())} is not inside the view's box`);
    if (!view.cameraOn || !view.camera.isValid) throw new Error("the camera is not on");
    return `project extents ${JSON.stringify(db.projectExtents.toJSON())}`;
  });
}
