"use strict";
// Usage: node geometry-ranges.js <cases.json>
// Lets iTwin.js compute the ranges of geometry streams, so the Rust range code can be compared
// with what the native library stores.
//
// cases.json: { "parts": [ { "name": "...", "geom": [...] } ],
//               "cases": [ { "name": "...", "geom": [...], "placement": { "origin": [..], "angles": {..}, "bbox"?: .. } } ] }
// A geomPart entry names its part as "@<index into parts>"; the script puts the real id there.
// Parts go into a DefinitionModel as GeometryParts, cases into a PhysicalModel as
// Generic:PhysicalObjects (in a fresh SnapshotDb). A case whose insertion throws is reported with
// "error" instead of ranges.
//
// Prints one JSON object: { parts: [{ name, id, bbox }], elements: [{ name, id, geom, placement,
// spatialIndex: { low, high } | null } | { name, error }], projectExtents, projectExtentsWithOutliers:
// { low, high }, outliers: [id] }, where geom is the stream as inserted (real part ids), placement
// is what getElementProps returns, and the extents are computeProjectExtents' (which leaves out
// elements far from the others; "WithOutliers" is the union of all placed boxes).
const fs = require("fs");
const os = require("os");
const path = require("path");
const { SnapshotDb, PhysicalModel, SpatialCategory, DefinitionModel, GeometryPart } = require("@itwin/core-backend");
const { IModel, SubCategoryAppearance } = require("@itwin/core-common");
const { run } = require("./lib");

run(() => {
  const [casesFile] = process.argv.slice(2);
  if (!casesFile) {
    console.error("usage: node geometry-ranges.js <cases.json>");
    return 2;
  }
  const input = JSON.parse(fs.readFileSync(casesFile, "utf8"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "itwin-host-ranges-"));
  const db = SnapshotDb.createEmpty(path.join(dir, "ranges.bim"), { rootSubject: { name: "ranges" } });
  try {
    const out = measure(db, input);
    console.log(JSON.stringify(out));
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return 0;
});

function measure(db, input) {
  const physicalModel = PhysicalModel.insert(db, IModel.rootSubjectId, "Ranges");
  const definitionModel = DefinitionModel.insert(db, IModel.rootSubjectId, "Parts");
  const category = SpatialCategory.insert(db, IModel.dictionaryId, "Ranges", new SubCategoryAppearance());

  const parts = (input.parts ?? []).map((part, i) => {
    const id = db.elements.insertElement({
      classFullName: "BisCore:GeometryPart",
      model: definitionModel,
      code: GeometryPart.createCode(db, definitionModel, part.name ?? `part-${i}`),
      geom: part.geom,
    });
    return { name: part.name, id, bbox: db.elements.getElementProps(id).bbox };
  });
  const withPartIds = (geom) =>
    geom.map((entry) => {
      const ref = entry?.geomPart?.part;
      if (typeof ref !== "string" || !ref.startsWith("@")) return entry;
      const part = parts[Number(ref.slice(1))];
      if (!part) throw new Error(`no part ${ref}`);
      return { geomPart: { ...entry.geomPart, part: part.id } };
    });

  const elements = (input.cases ?? []).map((c, i) => {
    const name = c.name ?? `case-${i}`;
    try {
      const geom = withPartIds(c.geom);
      const id = db.elements.insertElement({
        classFullName: "Generic:PhysicalObject",
        model: physicalModel,
        category,
        code: { spec: "0x1", scope: "0x1", value: "" },
        userLabel: name,
        placement: c.placement ?? { origin: [0, 0, 0], angles: {} },
        geom,
      });
      const placement = db.elements.getElementProps(id).placement;
      return { name, id, geom, placement, spatialIndex: spatialIndexRow(db, id) };
    } catch (err) {
      return { name, error: err instanceof Error ? err.message : String(err) };
    }
  });
  db.saveChanges();

  const computed = db.computeProjectExtents({ reportExtentsWithOutliers: true, reportOutliers: true });
  const range = (r) => ({ low: r.low.toJSON(), high: r.high.toJSON() });
  return {
    parts,
    elements,
    projectExtents: range(computed.extents),
    projectExtentsWithOutliers: range(computed.extentsWithOutliers),
    outliers: computed.outliers,
  };
}

/** The element's row of the spatial index (r-tree of 32-bit floats), or null when it has none. */
function spatialIndexRow(db, id) {
  return db.withSqliteStatement(
    "SELECT MinX, MinY, MinZ, MaxX, MaxY, MaxZ FROM dgn_SpatialIndex WHERE ElementId = ?",
    (stmt) => {
      stmt.bindId(1, id);
      if (!stmt.nextRow()) return null;
      const row = stmt.getRow();
      return { low: [row.minX, row.minY, row.minZ], high: [row.maxX, row.maxY, row.maxZ] };
    },
  );
}
