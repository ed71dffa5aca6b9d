"use strict";
// Usage: node make-seed.js <out.bim>
// Writes the empty seed iModel that the Rust writer copies and fills.
const fs = require("fs");
const { SnapshotDb } = require("@itwin/core-backend");
const { run } = require("./lib");

run(() => {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: node make-seed.js <out.bim>");
    return 2;
  }
  fs.rmSync(out, { force: true }); // createEmpty refuses to overwrite
  const db = SnapshotDb.createEmpty(out, { rootSubject: { name: "itwin-host seed" } });
  db.saveChanges();
  db.close();
  return 0;
});
