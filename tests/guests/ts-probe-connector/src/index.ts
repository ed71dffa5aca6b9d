// A TypeScript connector that misbehaves on purpose, for tests/e2e/lang_ts.rs: the job's
// connectorArgs ({"probe": "..."}, from a --job file) or else its source file (the same object)
// say which probe to run in openSourceData. Built by
// scripts/build-ts-guests.sh with componentize-js's default features: it imports wasi:http.

import { Connector, exportConnector, sync } from "@itwin-host/connector";

declare function fetch(url: string): Promise<unknown>;

function probe(name: string): void {
  if (name === "throw") throw new TypeError("row 7 has no id");
  if (name === "fetch") void fetch("http://127.0.0.1:1/");
  if (name === "loop") for (;;) {}
  if (name === "memory") {
    const hoard: Uint8Array[] = [];
    for (;;) hoard.push(new Uint8Array(16 << 20).fill(1));
  }
}

class Probe extends Connector {
  private name = "";
  info() {
    return { name: "TypeScriptProbe", version: "1.0.0", description: "Misbehaves as its source says", deletion: "none" as const };
  }
  openSourceData() {
    this.name = sync.connectorArgs().probe ?? JSON.parse(sync.readSourceText()).probe;
    sync.log("info", `probe ${this.name}`);
    probe(this.name);
  }
  updateExistingData() {
    // Refusals, once the job subject exists: a second partition of the same name is a duplicate
    // code (the SDK's context names the partition); writing into the dictionary model, outside
    // the job, is out of scope. Nothing catches either.
    if (this.name === "refused") {
      sync.insertPartition("physical", "Twice");
      sync.insertPartition("physical", "Twice");
    }
    if (this.name === "refused-scope") {
      sync.insertElement({ classFullName: "BisCore:SpatialCategory", model: "0x10", code: { spec: "bis:SpatialCategory", scope: "0x10", value: "Mine" } });
    }
  }
}

export const connector = exportConnector(new Probe());
