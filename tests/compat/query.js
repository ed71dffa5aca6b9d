"use strict";
// Usage: node query.js <file.bim> <ECSQL>
// Opens the iModel read-only with the official iTwin.js backend, runs the ECSQL and prints the
// rows as one JSON array of arrays (values as iTwin.js reads them), then runs the integrity
// checks of lib.js and exits 1 if any fails.
const { StandaloneDb } = require("@itwin/core-backend");
const { OpenMode } = require("@itwin/core-bentley");
const { run, query, integrityChecks } = require("./lib");

run(async () => {
  const [file, ecsql] = process.argv.slice(2);
  const db = StandaloneDb.openFile(file, OpenMode.Readonly);
  try {
    console.log(JSON.stringify(await query(db, ecsql)));
    for (const { name, run: runCheck } of integrityChecks(db)) {
      const rows = await runCheck();
      if (rows.length) {
        console.error(`${name}: ${JSON.stringify(rows)}`);
        return 1;
      }
    }
    return 0;
  } finally {
    db.close();
  }
});
