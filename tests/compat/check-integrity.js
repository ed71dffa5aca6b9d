"use strict";
// Usage: node check-integrity.js <file.bim>...   (no files: one path a line on stdin)
// Opens each iModel read-only with the official iTwin.js backend and runs the ECDb integrity
// checks and SQLite's foreign_key_check (lib.js integrityChecks). One process for many files:
// the backend's startup costs more than the checks. Reading paths from stdin lets a caller hand
// files over while it makes them.
// Per file, in order: "elements <file> <n>" (the element count iTwin.js sees, once it opened),
// then "ok <file>" or "FAIL <file>: <check>: <why>" (one line per failed check, or one when the
// file does not open); exits 1 if any failed.
// A file a killed writer left may have a hot WAL: the read-only open reads its committed
// transactions (SQLite builds the -shm index beside it, so its folder must be writable).
const readline = require("readline");
const { StandaloneDb } = require("@itwin/core-backend");
const { OpenMode } = require("@itwin/core-bentley");
const { run, query, integrityChecks } = require("./lib");

async function problems(file) {
  let db;
  try {
    db = StandaloneDb.openFile(file, OpenMode.Readonly);
  } catch (err) {
    return [`open: ${err instanceof Error ? err.message : String(err)}`];
  }
  const found = [];
  try {
    const [[elements]] = await query(db, "SELECT COUNT(*) FROM bis.Element");
    console.log(`elements ${file} ${elements}`);
    for (const { name, run: runCheck } of integrityChecks(db)) {
      try {
        const rows = await runCheck();
        if (rows.length) found.push(`${name}: ${rows.length} problem row(s): ${JSON.stringify(rows.slice(0, 3))}`);
      } catch (err) {
        found.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    db.close();
  }
  return found;
}

async function* files() {
  const args = process.argv.slice(2);
  if (args.length) {
    yield* args;
    return;
  }
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity }))
    if (line.trim()) yield line.trim();
}

run(async () => {
  let failed = 0;
  for await (const file of files()) {
    const found = await problems(file);
    if (found.length === 0) console.log(`ok ${file}`);
    for (const p of found) console.log(`FAIL ${file}: ${p}`.replace(/\s*\n\s*/g, " "));
    if (found.length) failed++;
  }
  return failed ? 1 : 0;
});
