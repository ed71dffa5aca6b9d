"use strict";
// GeometryStream fixtures made and read by iTwin.js, the reference for crates/geometry/src/codec.
//
//   node geometry-fixtures.js make <input.json> <out.bim>
//     input: { "parts": [<GeometryStreamProps>, ...], "streams": [<GeometryStreamProps>, ...] }
//     Inserts each part as a GeometryPart, then each stream as a Generic:PhysicalObject (origin 0,
//     no rotation) of a new SpatialCategory. In streams, "$partN" is replaced by the id of part N,
//     "$defaultSubCategory" by the category's default sub-category and "$subCategory" by a second
//     sub-category of it.
//     Prints JSON: { category, defaultSubCategory, subCategory, parts: [Row], elements: [Row] } where Row is
//     { id, hex, geom } (hex = the GeometryStream column as stored, geom = getElementProps
//     ({wantGeometry:true}).geom) or { error } when iTwin.js refused the stream.
//
//   node geometry-fixtures.js read <source.bim> <blobs.json>
//     blobs: [{ "id": "0x..", "hex": "..." }, ...] (an element or a part id of <source.bim>)
//     Writes each blob into the GeometryStream column of that row in a copy of <source.bim>,
//     reopens the copy and prints JSON: [{ id, geom } or { id, error }] in input order.
//
// Only feed `read` blobs that decode: a malformed blob can crash the native library.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { OpenMode } = require("@itwin/core-bentley");
const { IModel, SubCategoryAppearance } = require("@itwin/core-common");
const { StandaloneDb, PhysicalModel, SpatialCategory, SubCategory } = require("@itwin/core-backend");
const { run } = require("./lib");

const hexOf = (bytes) => (bytes ? Buffer.from(bytes).toString("hex") : null);

/** Replaces "$name" strings by ids, recursively. */
function withIds(value, ids) {
  if (typeof value === "string" && value.startsWith("$")) {
    if (ids[value] === undefined) throw new Error(`nothing is called ${value}`);
    return ids[value];
  }
  if (Array.isArray(value)) return value.map((v) => withIds(v, ids));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withIds(v, ids)]));
  return value;
}

/** Where the GeometryStream property of an ECClass is stored (parts share bis_DefinitionElement columns). */
function streamColumn(db, className) {
  const sql = `SELECT t.Name, c.Name FROM ec_PropertyMap pm JOIN ec_PropertyPath pp ON pp.Id = pm.PropertyPathId
    JOIN ec_Column c ON c.Id = pm.ColumnId JOIN ec_Table t ON t.Id = c.TableId JOIN ec_Class cl ON cl.Id = pm.ClassId
    WHERE cl.Name = ? AND pp.AccessString = 'GeometryStream' AND t.Name <> 'bis_Element'`;
  return db.withSqliteStatement(sql, (stmt) => {
    stmt.bindValue(1, className);
    if (stmt.step() !== 100 /* BE_SQLITE_ROW */) throw new Error(`no GeometryStream column for ${className}`);
    // Class tables below bis_Element key their rows by ElementId.
    return { table: stmt.getValueString(0), column: stmt.getValueString(1), key: "ElementId" };
  });
}

/** The GeometryStream column of an element or part as stored, with where it is stored. */
function rawStream(db, id) {
  for (const className of ["PhysicalObject", "GeometryPart"]) {
    const where = streamColumn(db, className);
    const hex = db.withSqliteStatement(`SELECT ${where.column} FROM ${where.table} WHERE ${where.key}=?`, (stmt) => {
      stmt.bindId(1, id);
      return stmt.step() === 100 /* BE_SQLITE_ROW */ ? hexOf(stmt.getValueBlobMaybe(0)) : undefined;
    });
    if (hex !== undefined) return { ...where, hex };
  }
  throw new Error(`no physical object or part ${id}`);
}

function geomOf(db, id) {
  return db.elements.getElementProps({ id, wantGeometry: true }).geom;
}

function make(inputPath, bimPath) {
  const input = JSON.parse(fs.readFileSync(inputPath, "utf8"));
  fs.rmSync(bimPath, { force: true });
  const db = StandaloneDb.createEmpty(bimPath, { rootSubject: { name: "geometry fixtures" } });
  try {
    const model = PhysicalModel.insert(db, IModel.rootSubjectId, "Geometry");
    const category = SpatialCategory.insert(db, IModel.dictionaryId, "Geometry", new SubCategoryAppearance());
    const defaultSubCategory = IModel.getDefaultSubCategoryId(category);
    const subCategory = SubCategory.insert(db, category, "Other", new SubCategoryAppearance());
    const ids = { $defaultSubCategory: defaultSubCategory, $subCategory: subCategory };
    const parts = (input.parts ?? []).map((geom, i) =>
      attempt(() =>
        db.elements.insertElement({
          classFullName: "BisCore:GeometryPart",
          model: IModel.dictionaryId,
          code: { spec: db.codeSpecs.getByName("bis:GeometryPart").id, scope: IModel.dictionaryId, value: `part-${i}` },
          geom: withIds(geom, ids),
        }),
      ),
    );
    parts.forEach((p, i) => (ids[`$part${i}`] = p.id));
    const elements = (input.streams ?? []).map((geom, i) =>
      attempt(() =>
        db.elements.insertElement({
          classFullName: "Generic:PhysicalObject",
          model,
          category,
          code: { spec: "0x1", scope: "0x1", value: "" },
          userLabel: `stream-${i}`,
          placement: { origin: [0, 0, 0], angles: {} },
          geom: withIds(geom, ids),
        }),
      ),
    );
    db.saveChanges();
    const describe = (row) => (row.error ? row : { id: row.id, hex: rawStream(db, row.id).hex, geom: geomOf(db, row.id) });
    console.log(JSON.stringify({ category, defaultSubCategory, subCategory, parts: parts.map(describe), elements: elements.map(describe) }));
  } finally {
    db.close();
  }
}

function attempt(insert) {
  try {
    return { id: insert() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

function read(sourcePath, blobsPath) {
  const blobs = JSON.parse(fs.readFileSync(blobsPath, "utf8"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "itwin-host-geom-"));
  const copy = path.join(dir, "copy.bim");
  fs.copyFileSync(sourcePath, copy);
  try {
    let db = StandaloneDb.openFile(copy, OpenMode.ReadWrite);
    try {
      for (const { id, hex } of blobs) {
        const { table, column, key } = rawStream(db, id);
        db.withSqliteStatement(`UPDATE ${table} SET ${column}=? WHERE ${key}=?`, (stmt) => {
          stmt.bindBlob(1, Buffer.from(hex, "hex"));
          stmt.bindId(2, id);
          const rc = stmt.step();
          if (rc !== 101 /* BE_SQLITE_DONE */) throw new Error(`update of ${id} failed: ${rc}`);
        });
      }
      db.saveChanges();
    } finally {
      db.close();
    }
    // A fresh open, so nothing cached from before the update answers.
    db = StandaloneDb.openFile(copy, OpenMode.Readonly);
    try {
      const rows = blobs.map(({ id }) => {
        try {
          return { id, geom: geomOf(db, id) };
        } catch (err) {
          return { id, error: err instanceof Error ? err.message : String(err) };
        }
      });
      console.log(JSON.stringify(rows));
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

run(async () => {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === "make" && a && b) make(a, b);
  else if (mode === "read" && a && b) read(a, b);
  else {
    console.error("usage: geometry-fixtures.js make <input.json> <out.bim> | read <source.bim> <blobs.json>");
    return 2;
  }
  return 0;
});
