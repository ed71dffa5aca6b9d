"use strict";
// Usage: node bench-insert.js <n> [--no-aspect]
// iTwin.js anchor for the insert benchmark: times inserting n PhysicalObjects
// (each with an ExternalSourceAspect unless --no-aspect) plus one saveChanges.
// Prints one JSON line.
const { run, createBenchDb, insertBenchObjects, benchCount } = require("./lib");

run(() => {
  const n = benchCount(process.argv[2]);
  const aspects = !process.argv.includes("--no-aspect");
  const bench = createBenchDb();
  try {
    const start = process.hrtime.bigint();
    insertBenchObjects(bench, n, aspects);
    bench.db.saveChanges();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(JSON.stringify({ tool: "itwinjs", n, seconds, elementsPerSecond: n / seconds, aspects }));
  } finally {
    bench.dispose();
  }
  return 0;
});
