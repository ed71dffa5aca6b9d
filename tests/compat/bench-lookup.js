"use strict";
// Usage: node bench-lookup.js <n>
// iTwin.js anchor for the lookup benchmark: after inserting n objects with
// ExternalSourceAspects (untimed), times ExternalSourceAspect.findAllBySource
// for every identifier. Prints one JSON line.
const { ExternalSourceAspect } = require("@itwin/core-backend");
const { run, createBenchDb, insertBenchObjects, benchCount } = require("./lib");

run(() => {
  const n = benchCount(process.argv[2]);
  const bench = createBenchDb();
  try {
    insertBenchObjects(bench, n, true);
    bench.db.saveChanges();
    let found = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++)
      found += ExternalSourceAspect.findAllBySource(bench.db, bench.source, "Element", `id-${i}`).length;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (found !== n) throw new Error(`found ${found} aspects, expected ${n}`);
    console.log(JSON.stringify({ tool: "itwinjs", n, seconds, lookupsPerSecond: n / seconds }));
  } finally {
    bench.dispose();
  }
  return 0;
});
