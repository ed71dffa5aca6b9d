"""AssetRegister: the example iTwin connector in Python, on the itwin_connector SDK.

Reads an asset register (JSON; the format of guest-examples/rust-asset-register/README.md) and
writes the same iModel as the Rust example: categories in a definition model, assets with their
parts as children in a physical model, groups in a group model. Change detection is the host's.
"""

import json
import math

from itwin_connector import (Appearance, Code, Connector, ConnectorError, Counts, Geometry, Group, Info,
                             PhysicalElement, Placement, Relationship, SpatialCategory, checksum, context, export,
                             sync)
from itwin_connector.props import GROUP_MEMBERS

ASSETS, DEFINITIONS, GROUPS = "Assets", "Definitions", "Groups"
TAG_SPEC = "AssetRegister:Tag"
BATCH = 2_000


def round_um(v):
    """Micrometres, rounding halves away from zero as Rust's f64::round does."""
    return math.copysign(math.floor(abs(v) * 1e6 + 0.5), v) / 1e6


def solid(shape, size):
    """The solid of `shape` filling the box `size` that stands on the local origin."""
    width, depth, height = size
    x, y = width / 2, depth / 2
    if shape == "cylinder":
        return Geometry.cylinder([0.0, 0.0, 0.0], [0.0, 0.0, height], min(width, depth) / 2)
    if shape == "horizontal-cylinder":
        radius = min(depth, height) / 2
        return Geometry.cylinder([-x, 0.0, radius], [x, 0.0, radius], radius)
    if shape == "box":
        return Geometry.box([-x, -y, 0.0], [width, depth, height])
    raise ConnectorError(f"unknown shape {shape!r}")


def normalised(asset):
    """The asset as its checksum sees it: known fields, defaults filled in (as every example does)."""
    parts = [{"id": p["id"], "name": p["name"], "offset": p["offset"], "size": p["size"],
              "shape": p.get("shape", "box")} for p in asset.get("parts", [])]
    return {"id": asset["id"], "tag": asset["tag"], "name": asset["name"], "category": asset["category"],
            "version": asset["version"], "position": asset["position"], "yaw": asset.get("yaw", 0),
            "size": asset["size"], "shape": asset.get("shape", "box"), "properties": asset.get("properties", {}),
            "parts": parts}


def asset_element(asset, model, category):
    """An asset as a Generic:PhysicalObject coded by its tag, its parts as children."""
    position, yaw = asset["position"], asset["yaw"]
    sin, cos = math.sin(math.radians(yaw)), math.cos(math.radians(yaw))
    children = []
    for part in asset["parts"]:
        ox, oy, oz = part["offset"]
        offset = [round_um(ox * cos - oy * sin), round_um(ox * sin + oy * cos), oz]
        origin = [round_um(p + o) for p, o in zip(position, offset)]
        children.append(PhysicalElement(model, category, Placement(origin, yaw=yaw),
                                        [solid(part["shape"], part["size"])], user_label=part["name"],
                                        child_id=part["id"]))
    return PhysicalElement(model, category, Placement(position, yaw=yaw), [solid(asset["shape"], asset["size"])],
                           code=Code(TAG_SPEC, model, asset["tag"]), user_label=asset["name"],
                           json_properties={"AssetRegister": asset["properties"]}, children=children)


class AssetRegister(Connector):
    def info(self):
        return Info("AssetRegister", "1.0.0",
                    "Imports a plant asset register (JSON): categories, assets with their parts, groups")

    def open_source_data(self, source):
        self.source = source
        with open(source, encoding="utf-8") as file:
            self.register = json.load(file)
        register_id, name, revision = (self.register[k] for k in ("registerId", "name", "revision"))
        with context(f"register {register_id}"):
            self.document = sync.record_document(sync.document(register_id, name, revision, None, f"file://{source}"))
        state = self.document.state.name.lower()
        sync.log("info", f"register {register_id} ({name}) revision {revision}: document {state} "
                         f"(external source {self.document.external_source})")
        self.changed = state != "unchanged"
        self.categories = {}

    def initialize_job(self):
        physical = sync.insert_partition("physical", ASSETS)
        sync.insert_partition("definition", DEFINITIONS)
        sync.insert_partition("group", GROUPS)
        with context(TAG_SPEC):
            sync.ensure_code_spec(TAG_SPEC, "model")
        with context("link from the Assets partition to the register"):
            sync.insert_relationship(Relationship.element_has_links(physical, self.document.repository_link))
        sync.log("info", f"job {sync.job_subject()} initialised: partitions {ASSETS}, {DEFINITIONS}, {GROUPS}")

    def is_changed(self):
        if not self.changed:
            sync.log("info", f"register {self.register['registerId']} is unchanged: nothing to do")
        return self.changed

    def import_definitions(self):
        if not self.is_changed():
            return
        definitions, counts = sync.find_model(DEFINITIONS), Counts()
        categories = self.register.get("categories", [])
        for done, category in enumerate(categories, 1):
            with context(f"category {category['id']}"):
                normal = {"id": category["id"], "name": category["name"], "color": category["color"]}
                item = sync.item(f"category:{category['id']}", "Category", None, checksum(normal))
                change = sync.detect(item)
                counts.add(change.state)
                if change.state.name == "UNCHANGED":
                    sync.seen(change.element_id)
                    self.categories[category["id"]] = change.element_id
                else:
                    element = sync.update(item, SpatialCategory(definitions, category["name"]))
                    sync.set_sub_category_appearance(element, Appearance(color=category["color"]))
                    self.categories[category["id"]] = element
            sync.progress(done, len(categories))
        sync.log("info", f"categories: {counts}")

    def update_existing_data(self):
        if not self.is_changed():
            return
        physical, groups = sync.find_model(ASSETS), sync.find_model(GROUPS)
        assets, counts = [normalised(a) for a in self.register.get("assets", [])], Counts()
        for start in range(0, len(assets), BATCH):
            chunk = assets[start:start + BATCH]
            items = [sync.item(a["id"], "Asset", str(a["version"]), checksum(a)) for a in chunk]
            with context("assets"):
                changes = sync.detect_all(items)
            seen, writes = [], []
            for asset, item, change in zip(chunk, items, changes):
                counts.add(change.state)
                if change.state.name == "UNCHANGED":
                    seen.append(change.element_id)
                elif asset["category"] not in self.categories:
                    raise ConnectorError(f"asset {asset['tag']}: unknown category {asset['category']!r}")
                else:
                    writes.append((item, asset_element(asset, physical, self.categories[asset["category"]])))
            sync.seen_all(seen)
            with context("assets"):
                sync.update_all(writes)
            sync.progress(start + len(chunk), len(assets))
        sync.log("info", f"assets: {counts}")
        counts = Counts()
        for group in self.register.get("groups", []):
            with context(f"group {group['id']}"):
                counts.add(sync_group(group, groups))
        sync.log("info", f"groups: {counts}")

    def unmap_source(self, job_subject_name):
        sync.log("info", f"unmapping {job_subject_name}: the host removes its elements")


def sync_group(group, model):
    """Writes a group and reconciles its ElementGroupsMembers rows with its member list."""
    normal = {"id": group["id"], "name": group["name"], "members": group["members"]}
    item = sync.item(f"group:{group['id']}", "Group", None, checksum(normal))
    change = sync.detect(item)
    if change.state.name == "UNCHANGED":
        sync.seen(change.element_id)
        return change.state
    found = sync.detect_all([sync.item(member, "Asset") for member in group["members"]])
    wanted = []
    for member, result in zip(group["members"], found):
        if result.element_id is None:
            raise ConnectorError(f"unknown member {member!r}")
        wanted.append(result.element_id)
    element = sync.update(item, Group(model, group["name"]))
    existing = sync.find_relationships(GROUP_MEMBERS, element)
    for relationship, target in existing:
        if target not in wanted:
            sync.delete_relationship(GROUP_MEMBERS, relationship)
    targets = {target for _, target in existing}
    for priority, (member, target) in enumerate(zip(group["members"], wanted)):
        if target not in targets:
            with context(f"member {member}"):
                sync.insert_relationship(Relationship.group_member(element, target, priority))
    return change.state


Connector = export(AssetRegister)
