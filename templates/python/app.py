"""__CONNECTOR__: an iTwin connector in Python for itwin-host. It reads data/sample.json-like
files - {"revision": "1", "items": [{"id", "name", "position": [x, y, z], "size": [x, y, z]}]}
in metres - and writes each item as a box (a Generic:PhysicalObject), with change detection:
run it again on a new revision and only what changed is written; items that left the file are
deleted by the host."""

import json
import os

from itwin_connector import (Appearance, Code, Connector, Counts, Geometry, Info, PhysicalElement, Placement,
                             SpatialCategory, checksum, export, sync)


def element(item, model, category):
    """An item as a box standing on its position, centred on it in plan."""
    x, y, z = item["size"]
    return PhysicalElement(model, category, Placement(item["position"]), [Geometry.box([-x / 2, -y / 2, 0], [x, y, z])],
                           user_label=item["name"])


class __CONNECTOR__(Connector):
    def info(self):
        return Info("__CONNECTOR__", "0.1.0", "Writes the items of a JSON file as boxes")

    def open_source_data(self, source):
        with open(source, encoding="utf-8") as file:
            self.source = json.load(file)
        document = sync.record_document(sync.document(os.path.basename(source), None, self.source["revision"]))
        self.changed = document.state.name != "UNCHANGED"

    def initialize_job(self):
        sync.insert_partition("physical", "Items")
        definitions = sync.insert_partition("definition", "Definitions")
        category = sync.insert_element(SpatialCategory(definitions, "Items"))
        sync.set_sub_category_appearance(category, Appearance(color="#2a9d8f"))

    def update_existing_data(self):
        if not self.changed:
            return  # the same revision: the host keeps every element
        model = sync.find_model("Items")
        category = sync.find_element(Code("bis:SpatialCategory", sync.find_model("Definitions"), "Items"))
        items = [(item, sync.item(item["id"], "Item", None, checksum(item))) for item in self.source["items"]]
        counts, writes = Counts(), []
        for (item, tracked), change in zip(items, sync.detect_all([t for _, t in items])):
            counts.add(change.state)
            if change.state.name == "UNCHANGED":
                sync.seen(change.element_id)
            else:
                writes.append((tracked, element(item, model, category)))
        sync.update_all(writes)
        sync.log("info", f"items: {counts}")


Connector = export(__CONNECTOR__)
