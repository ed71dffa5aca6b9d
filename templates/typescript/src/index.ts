// __CONNECTOR__: an iTwin connector in TypeScript for itwin-host. It reads data/sample.json-like
// files — {"revision": "1", "items": [{"id", "name", "position": [x, y, z], "size": [x, y, z]}]}
// in metres — and writes each item as a box (a Generic:PhysicalObject), with change detection:
// run it again on a new revision and only what changed is written; items that left the file are
// deleted by the host.

import { checksums, code, Connector, Counts, exportConnector, spatialCategory, sync } from "@itwin-host/connector";
import { element, type Item } from "./items.ts";

class __CONNECTOR__ extends Connector {
  private items: Item[] = [];
  private changed = true;

  info() {
    return { name: "__CONNECTOR__", version: "0.1.0", description: "Writes the items of a JSON file as boxes" };
  }

  openSourceData(source: string) {
    // componentize-js links no file system: the host hands the source over.
    const file = JSON.parse(sync.readSourceText());
    this.items = file.items;
    const document = sync.recordDocument({ docid: source.split("/").pop()!, lastModified: file.revision });
    this.changed = document.state !== "unchanged";
  }

  initializeJob() {
    sync.insertPartition("physical", "Items");
    const definitions = sync.insertPartition("definition", "Definitions");
    const category = sync.insertElement(spatialCategory(definitions, "Items"));
    sync.setSubCategoryAppearance(category, { color: "#2a9d8f" });
  }

  updateExistingData() {
    if (!this.changed) return; // the same revision: the host keeps every element
    const model = sync.findModel("Items");
    const category = sync.findElement(code("bis:SpatialCategory", sync.findModel("Definitions"), "Items"))!;
    // Whole lists per call: each host call from JavaScript has a cost (see docs/sdk.md).
    const sums = checksums(this.items as never[]);
    const tracked = this.items.map((item, i) => sync.item(item.id, "Item", undefined, sums[i]));
    const counts = new Counts();
    const seen: string[] = [];
    const writes: [sync.SourceItem, object][] = [];
    sync.detectAll(tracked).forEach((change, i) => {
      counts.add(change.state);
      if (change.state === "unchanged") seen.push(change.elementId!);
      else writes.push([tracked[i], element(this.items[i], model, category)]);
    });
    sync.seenAll(seen);
    sync.updateAll(writes);
    sync.log("info", `items: ${counts}`);
  }
}

export const connector = exportConnector(new __CONNECTOR__());
