"use strict";
// Usage: node check-integrity.js <file.bim>...
// Opens each iModel read-only with the official iTwin.js backend and runs the ECDb integrity
// checks and SQLite's foreign_key_check (lib.js integrityChecks). One process for many files:
// the backend's startup costs more than the checks.
// Prints "ok <file>" or "FAIL <file>: <check>: <why>" (one line per failed check, or one when the
// file does not open); exits 1 if any failed.
const { StandaloneDb } = require("@itwin/core-backend");
const { OpenMode } = require("@itwin/core-bentley");
const { run, integrityChecks } = require("./lib");

async function problems(file) {
  let db;
  try {
    db = StandaloneDb.openFile(file, OpenMode.Readonly);
  } catch (err) {
    return [`open: ${err instanceof Error ? err.message : String(err)}`];
  }
  const found = [];
  try {
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

run(async () => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const found = await problems(file);
    if (found.length === 0) console.log(`ok ${file}`);
    for (const p of found) console.log(`FAIL ${file}: ${p}`.replace(/\s*\n\s*/g, " "));
    if (found.length) failed++;
  }
  return failed ? 1 : 0;
});
