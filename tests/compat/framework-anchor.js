"use strict";
// Usage: node framework-anchor.js <register.json> <out.bim>
//
// The anchor of the scale bench (crates/host/benches/scale.rs): the example connector's job
// (guest-examples/rust-asset-register) written the way the iTwin.js connector framework
// (@itwin/connector-framework's Synchronizer and ConnectorRunner) does it, on @itwin/core-backend,
// so that whole itwin-host processes can be compared with whole node processes. In framework
// order: parse the whole register; record the document (RepositoryLink + ExternalSource, its
// revision in a "DocumentWithBeGuid" aspect; same revision = nothing to do); find or initialize
// the job (subject, partitions, models, code spec); per category, asset, part and group
// detectChanges (findAllBySource, version then checksum) and insert / update / mark seen;
// delete tracked elements not seen; write the revision; one saveChanges.
//
// Prints one JSON line: {"tool", "n", "seconds", "inserted", "updated", "unchanged", "deleted"
// (categories + assets + parts + groups), "physicalObjects": {the same four, assets + parts
// only; what scale.rs checks}, "peakRssMiB"}. Exits 1 with a one-line message on any error.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const {
  DefinitionModel, ExternalSourceAspect, GroupModel, PhysicalModel, RepositoryLink, SpatialCategory, StandaloneDb, Subject,
} = require("@itwin/core-backend");
const { DbResult } = require("@itwin/core-bentley");
const { Code, CodeScopeSpec, CodeSpec, ColorDef, GeometryStreamBuilder, IModel, SubCategoryAppearance } = require("@itwin/core-common");
const { Box, Cone, Point3d, Vector3d } = require("@itwin/core-geometry");
const { startup, shutdown } = require("./lib");

const CONNECTOR = "AssetRegister";
const TAG_SPEC = "AssetRegister:Tag";
const PHYSICAL_OBJECT = "Generic:PhysicalObject";
const MEMBERS = "BisCore:ElementGroupsMembers";
const [NEW, CHANGED, UNCHANGED] = ["inserted", "updated", "unchanged"];

async function main() {
  const [sourcePath, out, extra] = process.argv.slice(2);
  if (!sourcePath || !out || extra) throw new Error("usage: node framework-anchor.js <register.json> <out.bim>");
  const bimPath = path.resolve(out); // createEmpty refuses a bare file name ("Path [] does not exist")
  await startup();
  try {
    // A standalone file, like the framework's dbType "standalone": it persists between runs.
    const db = fs.existsSync(bimPath)
      ? StandaloneDb.openFile(bimPath)
      : StandaloneDb.createEmpty(bimPath, { rootSubject: { name: "scale" } });
    try {
      const result = synchronize(db, sourcePath);
      db.saveChanges(`${CONNECTOR}: ${sourcePath}`);
      return result;
    } catch (err) {
      db.abandonChanges();
      throw err;
    } finally {
      db.close();
    }
  } finally {
    await shutdown();
  }
}

function synchronize(db, sourcePath) {
  const counts = { all: tallies(), physicalObjects: tallies() };
  // What a framework connector's openSourceData does: read and parse the whole source.
  const register = JSON.parse(fs.readFileSync(sourcePath, "utf8"));
  const n = register.assets.length;
  const doc = recordDocument(db, register, sourcePath);
  if (doc.unchanged) return { n, counts };
  const job = jobOf(db, `${CONNECTOR}:${sourcePath}`, doc.link);
  const sync = new Synchronizer(db, job.subject, doc.source, counts);

  const categories = new Map();
  for (const category of register.categories ?? []) categories.set(category.id, syncCategory(sync, job, category));
  const assets = new Map();
  for (const asset of register.assets) {
    if (assets.has(asset.id)) throw new Error(`asset ${asset.id}: listed twice`);
    const category = categories.get(asset.category);
    if (!category) throw new Error(`asset ${asset.tag}: unknown category ${asset.category}`);
    assets.set(asset.id, syncAsset(sync, job, category, asset));
  }
  for (const group of register.groups ?? []) syncGroup(sync, job, group, assets);

  sync.deleteUnseen();
  // updateRepositoryLinks: the revision is written last, so a run that fails leaves the
  // document looking changed for the next one.
  db.elements.updateAspect({ ...doc.aspect, version: register.revision });
  return { n, counts };
}

/** recordDocument: the register as a RepositoryLink (code = registerId) + its ExternalSource. */
function recordDocument(db, register, sourcePath) {
  const kind = "DocumentWithBeGuid";
  const [found] = ExternalSourceAspect.findAllBySource(db, IModel.rootSubjectId, kind, register.registerId);
  if (found) {
    const aspect = db.elements.getAspect(found.aspectId).toJSON();
    if (aspect.version === register.revision) return { unchanged: true };
    const [source] = db.queryEntityIds({ from: "BisCore.ExternalSource", where: `Repository.Id=${found.elementId}`, limit: 1 });
    if (!source) throw new Error(`register ${register.registerId}: its ExternalSource is missing`);
    return { link: found.elementId, source, aspect };
  }
  const link = db.elements.insertElement({
    classFullName: "BisCore:RepositoryLink", model: IModel.repositoryModelId,
    code: RepositoryLink.createCode(db, IModel.repositoryModelId, register.registerId),
    userLabel: register.name, description: register.name, url: `file://${sourcePath}`,
  });
  const source = db.elements.insertElement({
    classFullName: "BisCore:ExternalSource", model: IModel.repositoryModelId, code: Code.createEmpty(),
    repository: { id: link, relClassName: "BisCore:ExternalSourceIsInRepository" }, userLabel: register.name,
    connectorName: CONNECTOR, connectorVersion: "1.0.0",
  });
  // No version yet (the framework's fail-safety); synchronize() writes it at the end.
  const aspect = { classFullName: "BisCore:ExternalSourceAspect", element: { id: link }, scope: { id: IModel.rootSubjectId },
    source: { id: source }, identifier: register.registerId, kind };
  aspect.id = db.elements.insertAspect(aspect);
  return { link, source, aspect };
}

/** The job subject and its models, found by code; created with the rest of initializeJob on the first run. */
function jobOf(db, name, link) {
  const code = Subject.createCode(db, IModel.rootSubjectId, name);
  const partitionSpec = db.codeSpecs.getByName("bis:InformationPartitionElement").id;
  let subject = db.elements.queryElementIdByCode(code);
  if (subject) {
    const model = (value) => {
      const id = db.elements.queryElementIdByCode(new Code({ spec: partitionSpec, scope: subject, value }));
      if (!id) throw new Error(`job ${name}: partition ${value} is missing`);
      return id; // a model's id is its partition's
    };
    return { subject, physical: model("Assets"), definitions: model("Definitions"), groups: model("Groups"),
      tagSpec: db.codeSpecs.getByName(TAG_SPEC).id };
  }
  subject = db.elements.insertElement({
    classFullName: "BisCore:Subject", model: IModel.repositoryModelId, code,
    parent: { id: IModel.rootSubjectId, relClassName: "BisCore:SubjectOwnsSubjects" },
    jsonProperties: { Subject: { Job: { Properties: { BridgeVersion: "1.0.0", BridgeType: "JSConnector" }, Bridge: CONNECTOR } } },
  });
  const physical = PhysicalModel.insert(db, subject, "Assets");
  db.relationships.insertInstance({ classFullName: "BisCore:ElementHasLinks", sourceId: physical, targetId: link });
  const definitions = DefinitionModel.insert(db, subject, "Definitions");
  const groups = GroupModel.insert(db, subject, "Groups");
  if (!db.codeSpecs.hasName(TAG_SPEC)) db.codeSpecs.insert(CodeSpec.create(db, TAG_SPEC, CodeScopeSpec.Type.Model));
  return { subject, physical, definitions, groups, tagSpec: db.codeSpecs.getByName(TAG_SPEC).id };
}

/** The framework Synchronizer's rules (detectChanges, updateIModel, onElementSeen, deletion) on core-backend calls. */
class Synchronizer {
  constructor(db, jobSubject, source, counts) {
    Object.assign(this, { db, jobSubject, source, counts, seen: new Set() });
  }

  /** detectChanges: the first aspect of (scope, kind, identifier); equal versions say unchanged, else checksums decide. */
  detect(item) {
    const [found] = ExternalSourceAspect.findAllBySource(this.db, item.scope, item.kind, item.identifier);
    if (!found) return { state: NEW };
    const aspect = this.db.elements.getAspect(found.aspectId).toJSON();
    const sameVersion = item.version !== undefined && item.version === aspect.version;
    const changed = !sameVersion && (item.checksum ?? item.version) !== (aspect.checksum ?? aspect.version);
    return { state: changed ? CHANGED : UNCHANGED, id: found.elementId, aspect };
  }

  /** updateIModel: insert (element + aspect) or update (same id) or nothing; the element is seen either way. */
  write(change, props, item, physical, insert = () => this.db.elements.insertElement(props)) {
    let id = change.id;
    if (change.state === NEW) {
      id = insert();
      this.db.elements.insertAspect({
        classFullName: "BisCore:ExternalSourceAspect", element: { id }, scope: { id: item.scope }, source: { id: this.source },
        identifier: item.identifier, kind: item.kind, version: item.version, checksum: item.checksum,
      });
    } else if (change.state === CHANGED) {
      this.db.elements.updateElement({ ...props, id });
      this.db.elements.updateAspect({ ...change.aspect, version: item.version, checksum: item.checksum });
    }
    this.seen.add(id);
    this.tally(change.state, physical);
    return id;
  }

  tally(what, physical, count = 1) {
    this.counts.all[what] += count;
    if (physical) this.counts.physicalObjects[what] += count;
  }

  /**
   * detectDeletedElements, channel-based: every element tracked under the job (scope = the job
   * subject, or, for parts, one of its assets) that was not seen is deleted. Parents are listed
   * before their parts, and a part whose asset goes goes with it (deleteElement takes children).
   * Definitions go last, and only if nothing uses them any more (deleteDefinitionElements).
   */
  deleteUnseen() {
    const ecsql = `SELECT a.Element.Id, a.Scope.Id, a.Kind FROM BisCore.ExternalSourceAspect a WHERE a.Scope.Id=:job
      UNION ALL SELECT p.Element.Id, p.Scope.Id, p.Kind FROM BisCore.ExternalSourceAspect p
        JOIN BisCore.ExternalSourceAspect a ON p.Scope.Id=a.Element.Id WHERE a.Scope.Id=:job AND a.Kind='Asset'`;
    const unseen = [];
    this.db.withPreparedStatement(ecsql, (stmt) => {
      stmt.bindId("job", this.jobSubject);
      while (stmt.step() === DbResult.BE_SQLITE_ROW) {
        const [id, scope, kind] = [stmt.getValue(0).getId(), stmt.getValue(1).getId(), stmt.getValue(2).getString()];
        if (!this.seen.has(id)) unseen.push({ id, scope, kind });
      }
    });
    const gone = new Set();
    const definitions = [];
    for (const { id, scope, kind } of unseen) {
      if (kind === "Category") {
        definitions.push(id);
        continue;
      }
      if (!gone.has(scope)) this.db.elements.deleteElement(id);
      gone.add(id);
      this.tally("deleted", kind === "Asset");
    }
    if (definitions.length) {
      const kept = this.db.elements.deleteDefinitionElements(definitions);
      this.tally("deleted", false, definitions.length - kept.size);
    }
  }
}

// Per item, over its JSON as parsed (the Rust connector uses XXH3 over its re-serialised JSON).
const checksumOf = (item) => crypto.createHash("sha1").update(JSON.stringify(item)).digest("hex");

function syncCategory(sync, job, category) {
  const item = { scope: job.subject, kind: "Category", identifier: `category:${category.id}`, checksum: checksumOf(category) };
  const change = sync.detect(item);
  const appearance = new SubCategoryAppearance({ color: ColorDef.fromString(category.color).toJSON() });
  const props = SpatialCategory.create(sync.db, job.definitions, category.name).toJSON();
  // SpatialCategory.insert also inserts the default SubCategory with the colour.
  const id = sync.write(change, props, item, false, () => SpatialCategory.insert(sync.db, job.definitions, category.name, appearance));
  if (change.state === CHANGED) sync.db.elements.getElement(id).setDefaultAppearance(appearance);
  return id;
}

function syncAsset(sync, job, category, asset) {
  const yaw = asset.yaw ?? 0;
  const item = { scope: job.subject, kind: "Asset", identifier: asset.id, version: String(asset.version), checksum: checksumOf(asset) };
  const change = sync.detect(item);
  const props = change.state === UNCHANGED ? undefined : {
    classFullName: PHYSICAL_OBJECT, model: job.physical, category,
    code: { spec: job.tagSpec, scope: job.physical, value: asset.tag }, userLabel: asset.name,
    placement: { origin: asset.position, angles: { yaw } }, geom: solid(asset.shape, asset.size),
    jsonProperties: { AssetRegister: asset.properties ?? {} },
  };
  const id = sync.write(change, props, item, true);
  const parts = asset.parts ?? [];
  if (change.state === UNCHANGED) {
    // The asset's checksum covers its parts, so its children are as stored: just seen.
    if (parts.length) {
      const children = sync.db.elements.queryChildren(id);
      children.forEach((child) => sync.seen.add(child));
      sync.tally(UNCHANGED, true, children.length);
    }
    return id;
  }
  // Parts are tracked under their asset, carrying its version and checksum (as the framework's
  // children carry their parent's), so a changed asset's existing parts are changed too: their
  // world placement follows the asset's.
  const listed = new Set();
  for (const part of parts) {
    const partItem = { ...item, scope: id, identifier: part.id };
    const partChange = change.state === NEW ? { state: NEW } : sync.detect(partItem);
    const partProps = {
      classFullName: PHYSICAL_OBJECT, model: job.physical, category,
      parent: { id, relClassName: "BisCore:PhysicalElementAssemblesElements" }, code: Code.createEmpty(), userLabel: part.name,
      // BIS placements are in world coordinates, also for children: the offset is in the asset's rotated axes.
      placement: { origin: add(asset.position, rotateZ(part.offset, yaw)), angles: { yaw } }, geom: solid(part.shape, part.size),
    };
    listed.add(sync.write(partChange, partProps, partItem, true));
  }
  if (change.state === CHANGED) {
    for (const child of sync.db.elements.queryChildren(id)) {
      if (listed.has(child)) continue;
      sync.db.elements.deleteElement(child);
      sync.tally("deleted", true);
    }
  }
  return id;
}

function syncGroup(sync, job, group, assets) {
  const item = { scope: job.subject, kind: "Group", identifier: `group:${group.id}`, checksum: checksumOf(group) };
  const change = sync.detect(item);
  const props = { classFullName: "Generic:Group", model: job.groups, code: Code.createEmpty(), userLabel: group.name };
  const id = sync.write(change, props, item, false);
  if (change.state === UNCHANGED) return;
  const wanted = group.members.map((member) => {
    if (!assets.has(member)) throw new Error(`group ${group.id}: unknown member ${member}`);
    return assets.get(member);
  });
  // A changed group keeps its id; its membership is reconciled with the list.
  const existing = new Map();
  sync.db.withPreparedStatement(`SELECT ECInstanceId, TargetECInstanceId FROM ${MEMBERS.replace(":", ".")} WHERE SourceECInstanceId=?`, (stmt) => {
    stmt.bindId(1, id);
    while (stmt.step() === DbResult.BE_SQLITE_ROW) existing.set(stmt.getValue(1).getId(), stmt.getValue(0).getId());
  });
  for (const [target, relationship] of existing)
    if (!wanted.includes(target)) sync.db.relationships.deleteInstance({ id: relationship, classFullName: MEMBERS });
  wanted.forEach((target, memberPriority) => {
    if (!existing.has(target)) sync.db.relationships.insertInstance({ classFullName: MEMBERS, sourceId: id, targetId: target, memberPriority });
  });
}

/**
 * The element's geometry, built with GeometryStreamBuilder from core-geometry solids: the same
 * solids as props.rs's `solid` (box standing on the origin, centred in plan; vertical cylinder;
 * cylinder along local x), so the stored geometry matches the Rust connector's.
 */
function solid(shape, [width, depth, height]) {
  const [x, y] = [width / 2, depth / 2];
  let geometry;
  if (shape === "cylinder") {
    const r = Math.min(width, depth) / 2;
    geometry = Cone.createAxisPoints(Point3d.create(0, 0, 0), Point3d.create(0, 0, height), r, r, true);
  } else if (shape === "horizontal-cylinder") {
    const r = Math.min(depth, height) / 2;
    geometry = Cone.createAxisPoints(Point3d.create(-x, 0, r), Point3d.create(x, 0, r), r, r, true);
  } else {
    geometry = Box.createDgnBox(Point3d.create(-x, -y, 0), Vector3d.unitX(), Vector3d.unitY(), Point3d.create(-x, -y, height),
      width, depth, width, depth, true);
  }
  const builder = new GeometryStreamBuilder();
  if (!geometry || !builder.appendGeometry(geometry)) throw new Error(`cannot build a ${shape ?? "box"} of size ${[width, depth, height]}`);
  return builder.geometryStream;
}

// Rounded to micrometres as props.rs does: cos(90°) is 6e-17, not 0.
const roundUm = (v) => Math.round(v * 1e6) / 1e6;
const add = (a, b) => a.map((v, i) => roundUm(v + b[i]));
function rotateZ([x, y, z], degrees) {
  const r = (degrees * Math.PI) / 180;
  return [roundUm(x * Math.cos(r) - y * Math.sin(r)), roundUm(x * Math.sin(r) + y * Math.cos(r)), z];
}

function tallies() {
  return { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
}

main().then(({ n, counts }) => {
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const seconds = process.uptime();
  console.log(JSON.stringify({ tool: "itwinjs-framework", n, seconds, ...counts.all, physicalObjects: counts.physicalObjects, peakRssMiB }));
}).catch((err) => {
  console.error(`framework-anchor.js: ${err instanceof Error ? err.message : String(err)}`.replace(/\s*\n\s*/g, " "));
  process.exitCode = 1;
});
