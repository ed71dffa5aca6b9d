// A TypeScript connector that misbehaves on purpose, for tests/e2e/lang_ts.rs: its source file
// says which probe to run ({"probe": "..."}) in openSourceData. Built by
// scripts/build-ts-guests.sh with componentize-js's default features: it imports wasi:http.

import { Connector, exportConnector, sync } from "@itwin-host/connector";

declare function fetch(url: string): Promise<unknown>;

function probe(name: string): void {
  if (name === "throw") throw new TypeError("row 7 has no id");
  // The root subject belongs to no job: the host refuses, and nothing catches it.
  if (name === "refused") sync.updateElement({ id: "0x1", userLabel: "mine now" });
  if (name === "fetch") void fetch("http://127.0.0.1:1/");
  if (name === "loop") for (;;) {}
  if (name === "memory") {
    const hoard: Uint8Array[] = [];
    for (;;) hoard.push(new Uint8Array(16 << 20).fill(1));
  }
}

class Probe extends Connector {
  info() {
    return { name: "TypeScriptProbe", version: "1.0.0", description: "Misbehaves as its source says", deletion: "none" as const };
  }
  openSourceData() {
    const name = JSON.parse(sync.readSourceText()).probe;
    sync.log("info", `probe ${name}`);
    probe(name);
  }
  updateExistingData() {}
}

export const connector = exportConnector(new Probe());
