"use strict";
// Usage: node check-integrity.js <file.bim>...   (no arguments: one path per line on stdin)
// Opens each iModel with iTwin.js and runs the ECDb integrity checks and SQLite's
// foreign_key_check (lib.js integrityChecks). Prints one JSON line per file, as soon as it is
// checked: {"path", "ok", "elements", "failed": [{"check", "rows" | "error"}]} or
// {"path", "ok": false, "error"} when it does not open. Exits 1 if any file failed.
// Files are opened for writing: a file left by a killed writer has a hot WAL, which a read-only
// open cannot recover. So pass copies (with their -wal) if the originals must stay untouched.
// Reading paths from stdin lets a caller stream files in while it makes them, in one process.
const readline = require("readline");
const { StandaloneDb } = require("@itwin/core-backend");
const { OpenMode } = require("@itwin/core-bentley");
const { run, query, integrityChecks } = require("./lib");

async function checkFile(file) {
  let db;
  try {
    db = StandaloneDb.openFile(file, OpenMode.ReadWrite);
  } catch (err) {
    return { path: file, ok: false, error: `open: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    const failed = [];
    for (const { name, run: runCheck } of integrityChecks(db)) {
      try {
        const rows = await runCheck();
        if (rows.length) failed.push({ check: name, rows: rows.slice(0, 5) });
      } catch (err) {
        failed.push({ check: name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    // The element count as iTwin.js sees it: the caller compares it with the content it expects,
    // which proves the WAL's committed transactions were read.
    const [[elements]] = await query(db, "SELECT COUNT(*) FROM bis.Element");
    return { path: file, ok: failed.length === 0, elements, failed };
  } finally {
    db.close();
  }
}

async function* paths() {
  const args = process.argv.slice(2);
  if (args.length) {
    yield* args;
    return;
  }
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity }))
    if (line.trim()) yield line.trim();
}

run(async () => {
  let bad = 0;
  for await (const file of paths()) {
    const result = await checkFile(file);
    if (!result.ok) bad++;
    console.log(JSON.stringify(result));
  }
  return bad ? 1 : 0;
});
