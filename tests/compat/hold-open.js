"use strict";
// Usage: node hold-open.js <file.bim>
// Opens the iModel for writing with iTwin.js, prints "holding", and keeps it open until stdin
// closes: the "held by another writer" case of the writer's open checks.
const { StandaloneDb } = require("@itwin/core-backend");
const { run } = require("./lib");

run(async () => {
  const db = StandaloneDb.openFile(process.argv[2]);
  console.log("holding");
  await new Promise((resolve) => {
    process.stdin.on("end", resolve);
    process.stdin.on("close", resolve);
    process.stdin.resume();
  });
  db.close();
  return 0;
});
