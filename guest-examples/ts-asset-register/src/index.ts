// AssetRegister: the example iTwin connector in TypeScript, on the @itwin-host/connector SDK.
//
// Reads an asset register (JSON; the format of guest-examples/rust-asset-register/README.md)
// and writes the same iModel as the Rust and Python examples: categories in a definition model,
// assets with their parts as children in a physical model, groups in a group model.

import {
  checksum, checksums, code, Connector, ConnectorError, context, Counts, elementHasLinks, exportConnector, geometry, group,
  GROUP_MEMBERS, groupMember, parseElements, physicalElement, placement, spatialCategory, splitJson,
  sync, type Geometry, type Point,
} from "@itwin-host/connector";

const [ASSETS, DEFINITIONS, GROUPS] = ["Assets", "Definitions", "Groups"];
const TAG_SPEC = "AssetRegister:Tag";
const BATCH = 2_000;

interface Part { id: string; name: string; offset: Point; size: Point; shape: string }
interface Asset {
  id: string; tag: string; name: string; category: string; version: number; position: Point; yaw: number;
  size: Point; shape: string; properties: Record<string, unknown>; parts: Part[];
}
type Raw = Record<string, any>;

/** Micrometres, rounding halves away from zero as Rust's f64::round does. */
const roundUm = (v: number) => (Math.sign(v) * Math.floor(Math.abs(v) * 1e6 + 0.5)) / 1e6;

/** The solid of `shape` filling the box `size` that stands on the local origin. */
function solid(shape: string, [width, depth, height]: Point): Geometry {
  const [x, y] = [width / 2, depth / 2];
  if (shape === "cylinder") return geometry.cylinder([0, 0, 0], [0, 0, height], Math.min(width, depth) / 2);
  if (shape === "horizontal-cylinder") {
    const radius = Math.min(depth, height) / 2;
    return geometry.cylinder([-x, 0, radius], [x, 0, radius], radius);
  }
  if (shape === "box") return geometry.box([-x, -y, 0], [width, depth, height]);
  throw new ConnectorError(`unknown shape ${JSON.stringify(shape)}`);
}

/** The asset as its checksum sees it: known fields, defaults filled in (as every example does). */
function normalised(a: Raw): Asset {
  const parts = (a.parts ?? []).map((p: Raw) => ({ id: p.id, name: p.name, offset: p.offset, size: p.size, shape: p.shape ?? "box" }));
  return { id: a.id, tag: a.tag, name: a.name, category: a.category, version: a.version, position: a.position,
    yaw: a.yaw ?? 0, size: a.size, shape: a.shape ?? "box", properties: a.properties ?? {}, parts };
}

/** An asset as a Generic:PhysicalObject coded by its tag, its parts as children. */
function assetElement(asset: Asset, model: string, category: string) {
  const radians = (asset.yaw * Math.PI) / 180;
  const [sin, cos] = [Math.sin(radians), Math.cos(radians)];
  const children = asset.parts.map((part) => {
    const [ox, oy, oz] = part.offset;
    const offset = [roundUm(ox * cos - oy * sin), roundUm(ox * sin + oy * cos), oz];
    const origin = asset.position.map((p, i) => roundUm(p + offset[i])) as Point;
    return physicalElement(model, category, placement(origin, asset.yaw), [solid(part.shape, part.size)], { userLabel: part.name, childId: part.id });
  });
  return physicalElement(model, category, placement(asset.position, asset.yaw), [solid(asset.shape, asset.size)], {
    code: code(TAG_SPEC, model, asset.tag), userLabel: asset.name, jsonProperties: { AssetRegister: asset.properties }, children,
  });
}

class AssetRegister extends Connector {
  private register: Raw = {};
  /** The source, kept as bytes (outside the JS heap): assets are parsed a chunk at a time. */
  private bytes: Uint8Array = new Uint8Array();
  private assets: number[][] = [];
  private document!: sync.DocumentRecord;
  private changed = true;
  private categories = new Map<string, string>();

  info() {
    return { name: "AssetRegister", version: "1.0.0", description: "Imports a plant asset register (JSON): categories, assets with their parts, groups" };
  }

  openSourceData(source: string) {
    this.bytes = sync.readSourceBytes();
    const split = splitJson(this.bytes, ["assets"]);
    this.register = split.head;
    this.assets = split.arrays.get("assets") ?? [];
    const { registerId, name, revision } = this.register;
    this.document = context(`register ${registerId}`, () => sync.recordDocument({ docid: registerId, description: name, lastModified: revision, url: `file://${source}` }));
    sync.log("info", `register ${registerId} (${name}) revision ${revision}: document ${this.document.state} (external source ${this.document.externalSource})`);
    this.changed = this.document.state !== "unchanged";
  }

  initializeJob() {
    const physical = sync.insertPartition("physical", ASSETS);
    sync.insertPartition("definition", DEFINITIONS);
    sync.insertPartition("group", GROUPS);
    context(TAG_SPEC, () => sync.ensureCodeSpec(TAG_SPEC, "model"));
    context("link from the Assets partition to the register", () => sync.insertRelationship(elementHasLinks(physical, this.document.repositoryLink)));
    sync.log("info", `job ${sync.jobSubject()} initialised: partitions ${ASSETS}, ${DEFINITIONS}, ${GROUPS}`);
  }

  private isChanged(): boolean {
    if (!this.changed) sync.log("info", `register ${this.register.registerId} is unchanged: nothing to do`);
    return this.changed;
  }

  importDefinitions() {
    if (!this.isChanged()) return;
    const definitions = sync.findModel(DEFINITIONS);
    const categories: Raw[] = this.register.categories ?? [];
    const counts = new Counts();
    categories.forEach((category, done) => context(`category ${category.id}`, () => {
      const item = sync.item(`category:${category.id}`, "Category", undefined, checksum({ id: category.id, name: category.name, color: category.color }));
      const change = sync.detect(item);
      counts.add(change.state);
      if (change.state === "unchanged") {
        sync.seen(change.elementId!);
        this.categories.set(category.id, change.elementId!);
      } else {
        const element = sync.update(item, spatialCategory(definitions, category.name));
        sync.setSubCategoryAppearance(element, { color: category.color });
        this.categories.set(category.id, element);
      }
      sync.progress(done + 1, categories.length);
    }));
    sync.log("info", `categories: ${counts}`);
  }

  updateExistingData() {
    if (!this.isChanged()) return;
    const [physical, groups] = [sync.findModel(ASSETS), sync.findModel(GROUPS)];
    const counts = new Counts();
    for (let start = 0; start < this.assets.length; start += BATCH) {
      const chunk: Asset[] = parseElements(this.bytes, this.assets.slice(start, start + BATCH)).map(normalised);
      const sums = checksums(chunk as never[]);
      const items = chunk.map((a, i) => sync.item(a.id, "Asset", String(a.version), sums[i]));
      const changes = context("assets", () => sync.detectAll(items));
      const seen: string[] = [];
      const writes: [sync.SourceItem, object][] = [];
      chunk.forEach((asset, i) => {
        counts.add(changes[i].state);
        const category = this.categories.get(asset.category);
        if (changes[i].state === "unchanged") seen.push(changes[i].elementId!);
        else if (category === undefined) throw new ConnectorError(`asset ${asset.tag}: unknown category ${JSON.stringify(asset.category)}`);
        else writes.push([items[i], assetElement(asset, physical, category)]);
      });
      sync.seenAll(seen);
      context("assets", () => sync.updateAll(writes));
      sync.progress(start + chunk.length, this.assets.length);
    }
    sync.log("info", `assets: ${counts}`);
    const groupCounts = new Counts();
    for (const g of this.register.groups ?? []) groupCounts.add(context(`group ${g.id}`, () => syncGroup(g, groups)));
    sync.log("info", `groups: ${groupCounts}`);
  }

  unmapSource(jobSubjectName: string) {
    sync.log("info", `unmapping ${jobSubjectName}: the host removes its elements`);
  }
}

/** Writes a group and reconciles its ElementGroupsMembers rows with its member list. */
function syncGroup(g: Raw, model: string) {
  const item = sync.item(`group:${g.id}`, "Group", undefined, checksum({ id: g.id, name: g.name, members: g.members }));
  const change = sync.detect(item);
  if (change.state === "unchanged") {
    sync.seen(change.elementId!);
    return change.state;
  }
  const wanted = sync.detectAll(g.members.map((m: string) => sync.item(m, "Asset"))).map((found, i) => {
    if (found.elementId === undefined) throw new ConnectorError(`unknown member ${JSON.stringify(g.members[i])}`);
    return found.elementId;
  });
  const element = sync.update(item, group(model, g.name));
  const existing = sync.findRelationships(GROUP_MEMBERS, element);
  for (const [relationship, target] of existing) {
    if (!wanted.includes(target)) sync.deleteRelationship(GROUP_MEMBERS, relationship);
  }
  const targets = new Set(existing.map(([, target]) => target));
  wanted.forEach((target, priority) => {
    if (!targets.has(target)) context(`member ${g.members[priority]}`, () => sync.insertRelationship(groupMember(element, target, priority)));
  });
  return change.state;
}

export const connector = exportConnector(new AssetRegister());
