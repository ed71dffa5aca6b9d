"use strict";
// Usage: node framework-anchor.js <register.json> <out.bim>
//
// The anchor of the scale bench (crates/host/benches/scale.rs): the example connector's job
// (guest-examples/rust-asset-register) written the way the iTwin.js connector framework does it,
// on @itwin/core-backend — JSON.parse of the whole register, the framework Synchronizer's steps
// for each item (ExternalSourceAspect.findAllBySource, compare version then checksum, insert or
// update the element and its aspect, remember it seen), deletion of tracked elements not seen,
// one saveChanges. Same register, same elements (code, label, placement, the same geometry JSON,
// jsonProperties, parts as children, groups with members), same change detection.
//
// Prints one JSON line: {"tool", "n", "seconds", "physicalObjects": {inserted, updated, deleted,
// unchanged}, "peakRssMiB"}; exits non-zero with a one-line message on failure.
const crypto = require("crypto");
const fs = require("fs");
const {
  DefinitionModel, ExternalSourceAspect, PhysicalModel, SpatialCategory, StandaloneDb, Subject,
} = require("@itwin/core-backend");
const { DbResult } = require("@itwin/core-bentley");
const { Code, CodeScopeSpec, CodeSpec, ColorDef, IModel, SubCategoryAppearance } = require("@itwin/core-common");
const { run } = require("./lib");

const TAG_SPEC = "AssetRegister:Tag";
const PHYSICAL_OBJECT = "Generic:PhysicalObject";

run(() => {
  const [sourcePath, bimPath] = process.argv.slice(2);
  if (!sourcePath || !bimPath) throw new Error("usage: node framework-anchor.js <register.json> <out.bim>");
  const db = fs.existsSync(bimPath)
    ? StandaloneDb.openFile(bimPath)
    : StandaloneDb.createEmpty(bimPath, { rootSubject: { name: "scale" } });
  const counts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0 };
  let n = 0;
  try {
    // What a framework connector does first: read and parse its whole source.
    const register = JSON.parse(fs.readFileSync(sourcePath, "utf8"));
    n = register.assets.length;
    const job = jobSubject(db, `AssetRegister:${sourcePath}`);
    const doc = documentOf(db, job, register);
    if (doc.unchanged) {
      db.saveChanges();
      return report(n, counts);
    }
    const sync = new Synchronizer(db, job, doc.source);
    sync.seen.add(doc.link);
    const categories = new Map();
    for (const c of register.categories) categories.set(c.id, syncCategory(sync, job.definitions, c));
    const elements = new Map();
    for (const asset of register.assets) {
      const category = categories.get(asset.category);
      if (!category) throw new Error(`asset ${asset.tag}: unknown category ${asset.category}`);
      elements.set(asset.id, syncAsset(sync, job, category, asset, counts));
    }
    for (const group of register.groups ?? []) syncGroup(sync, job.groups, group, elements);
    sync.deleteUnseen(counts);
    // The document's revision, stored with the job (a new document's aspect got it when inserted).
    if (doc.aspect) db.elements.updateAspect({ ...doc.aspect, version: register.revision });
    db.saveChanges();
    return report(n, counts);
  } finally {
    db.close();
  }
});

function report(n, physicalObjects) {
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ tool: "itwinjs-framework", n, seconds: process.uptime(), physicalObjects, peakRssMiB }));
  return 0;
}

/** The job subject and its partitions: found by code on later runs, inserted on the first. */
function jobSubject(db, name) {
  const found = db.elements.queryElementIdByCode(Subject.createCode(db, IModel.rootSubjectId, name));
  const subject = found ?? Subject.insert(db, IModel.rootSubjectId, name);
  const partition = (value) => db.elements.queryElementIdByCode(
    new Code({ spec: db.codeSpecs.getByName("bis:InformationPartitionElement").id, scope: subject, value }));
  if (found) return { subject, physical: partition("Assets"), definitions: partition("Definitions"), groups: partition("Groups") };
  if (!db.codeSpecs.hasName(TAG_SPEC)) db.codeSpecs.insert(CodeSpec.create(db, TAG_SPEC, CodeScopeSpec.Type.Model));
  const groupPartition = db.elements.insertElement({
    classFullName: "BisCore:GroupInformationPartition", model: IModel.repositoryModelId,
    parent: { id: subject, relClassName: "BisCore:SubjectOwnsPartitionElements" },
    code: { spec: db.codeSpecs.getByName("bis:InformationPartitionElement").id, scope: subject, value: "Groups" },
  });
  db.models.insertModel({ classFullName: "Generic:GroupModel", modeledElement: { id: groupPartition } });
  return {
    subject,
    physical: PhysicalModel.insert(db, subject, "Assets"),
    definitions: DefinitionModel.insert(db, subject, "Definitions"),
    groups: groupPartition,
  };
}

/** The register as a RepositoryLink + ExternalSource; unchanged when its revision is the stored one. */
function documentOf(db, job, register) {
  const kind = "DocumentWithBeGuid";
  const [known] = ExternalSourceAspect.findAllBySource(db, job.subject, kind, register.registerId);
  if (known) {
    const aspect = db.elements.getAspect(known.aspectId).toJSON();
    const [source] = db.queryEntityIds({ from: "BisCore.ExternalSource", where: `Repository.Id=${known.elementId}` });
    return { unchanged: aspect.version === register.revision, aspect, source, link: known.elementId };
  }
  const link = db.elements.insertElement({
    classFullName: "BisCore:RepositoryLink", model: IModel.repositoryModelId,
    code: { spec: db.codeSpecs.getByName("bis:LinkElement").id, scope: IModel.repositoryModelId, value: register.registerId },
    userLabel: register.name, url: `file://${register.registerId}`,
  });
  const source = db.elements.insertElement({
    classFullName: "BisCore:ExternalSource", model: IModel.repositoryModelId, code: Code.createEmpty(),
    repository: { id: link }, userLabel: register.name,
  });
  db.elements.insertAspect({
    classFullName: "BisCore:ExternalSourceAspect", element: { id: link, relClassName: "BisCore:ElementOwnsExternalSourceAspects" },
    scope: { id: job.subject }, identifier: register.registerId, kind, version: register.revision,
  });
  return { unchanged: false, aspect: undefined, source, link };
}

/** The framework Synchronizer's rules, on core-backend calls. */
class Synchronizer {
  constructor(db, job, source) {
    this.db = db;
    this.job = job;
    this.source = source;
    this.seen = new Set();
  }

  /** detectChanges: the first aspect of (scope, kind, identifier); equal versions, else checksums. */
  detect(scope, kind, identifier, version, checksum) {
    const [found] = ExternalSourceAspect.findAllBySource(this.db, scope, kind, identifier);
    if (!found) return { state: "new" };
    const aspect = this.db.elements.getAspect(found.aspectId).toJSON();
    const same = (version !== undefined && aspect.version === version) || aspect.checksum === checksum;
    return { state: same ? "unchanged" : "changed", elementId: found.elementId, aspect };
  }

  /** updateIModel: insert or update the element and its aspect; remember it seen. */
  write(change, props, scope, kind, identifier, version, checksum) {
    let id = change.elementId;
    if (change.state === "new") {
      id = this.db.elements.insertElement(props);
      this.db.elements.insertAspect({
        classFullName: "BisCore:ExternalSourceAspect",
        element: { id, relClassName: "BisCore:ElementOwnsExternalSourceAspects" },
        scope: { id: scope }, source: { id: this.source }, identifier, kind, version, checksum,
      });
    } else if (change.state === "changed") {
      this.db.elements.updateElement({ ...props, id });
      this.db.elements.updateAspect({ ...change.aspect, version, checksum });
    }
    this.seen.add(id);
    return id;
  }

  /** Every element tracked under the job (and its assets' parts) that this run did not see goes. */
  deleteUnseen(counts) {
    const tracked = [];
    this.db.withPreparedStatement(
      "SELECT Element.Id, Kind FROM BisCore.ExternalSourceAspect WHERE Scope.Id=?", (stmt) => {
        stmt.bindId(1, this.job.subject);
        while (stmt.step() === DbResult.BE_SQLITE_ROW) tracked.push([stmt.getValue(0).getId(), stmt.getValue(1).getString()]);
      });
    for (const [id, kind] of tracked) {
      if (this.seen.has(id)) continue;
      if (kind === "Asset") counts.deleted += 1 + this.db.elements.queryChildren(id).length;
      this.db.elements.deleteElement(id);
    }
  }
}

const checksumOf = (item) => crypto.createHash("sha1").update(JSON.stringify(item)).digest("hex");

function syncCategory(sync, definitions, category) {
  const change = sync.detect(sync.job.subject, "Category", `category:${category.id}`, undefined, checksumOf(category));
  if (change.state === "unchanged") return sync.write(change);
  if (change.state === "new") {
    const appearance = new SubCategoryAppearance({ color: ColorDef.fromString(category.color).toJSON() });
    const id = SpatialCategory.insert(sync.db, definitions, category.name, appearance);
    sync.db.elements.insertAspect({
      classFullName: "BisCore:ExternalSourceAspect", element: { id }, scope: { id: sync.job.subject },
      source: { id: sync.source }, identifier: `category:${category.id}`, kind: "Category", checksum: checksumOf(category),
    });
    sync.seen.add(id);
    return id;
  }
  return sync.write(change, { ...sync.db.elements.getElementProps(change.elementId) }, sync.job.subject, "Category",
    `category:${category.id}`, undefined, checksumOf(category));
}

function syncAsset(sync, job, category, asset, counts) {
  const version = String(asset.version);
  const checksum = checksumOf(asset);
  const change = sync.detect(job.subject, "Asset", asset.id, version, checksum);
  const props = {
    classFullName: PHYSICAL_OBJECT, model: job.physical, category,
    code: { spec: sync.db.codeSpecs.getByName(TAG_SPEC).id, scope: job.physical, value: asset.tag },
    userLabel: asset.name, placement: { origin: asset.position, angles: { yaw: asset.yaw ?? 0 } },
    geom: [solid(asset.shape, asset.size)], jsonProperties: { AssetRegister: asset.properties ?? {} },
  };
  const id = sync.write(change, props, job.subject, "Asset", asset.id, version, checksum);
  tally(counts, change.state);
  // Parts are children tracked under their asset (the framework's Synchronizer marks only the
  // parent seen; its children are looked up, written and marked here).
  const listed = new Set();
  for (const part of asset.parts ?? []) {
    const partChange = change.state === "new" ? { state: "new" } : sync.detect(id, "Asset", part.id, version, checksum);
    const origin = add(asset.position, rotateZ(part.offset, asset.yaw ?? 0));
    const partProps = {
      classFullName: PHYSICAL_OBJECT, model: job.physical, category,
      parent: { id, relClassName: "BisCore:PhysicalElementAssemblesElements" },
      code: Code.createEmpty(), userLabel: part.name,
      placement: { origin, angles: { yaw: asset.yaw ?? 0 } }, geom: [solid(part.shape, part.size)],
    };
    listed.add(sync.write(partChange, partProps, id, "Asset", part.id, version, checksum));
    tally(counts, partChange.state);
  }
  if (change.state === "changed") {
    for (const child of sync.db.elements.queryChildren(id)) {
      if (!listed.has(child)) {
        sync.db.elements.deleteElement(child);
        counts.deleted++;
      }
    }
  }
  return id;
}

function syncGroup(sync, groupModel, group, elements) {
  const checksum = checksumOf(group);
  const change = sync.detect(sync.job.subject, "Group", `group:${group.id}`, undefined, checksum);
  const props = { classFullName: "Generic:Group", model: groupModel, code: Code.createEmpty(), userLabel: group.name };
  const id = sync.write(change, props, sync.job.subject, "Group", `group:${group.id}`, undefined, checksum);
  if (change.state === "unchanged") return;
  const members = "BisCore:ElementGroupsMembers";
  const existing = new Map();
  sync.db.withPreparedStatement(`SELECT ECInstanceId, TargetECInstanceId FROM BisCore.ElementGroupsMembers WHERE SourceECInstanceId=?`, (stmt) => {
    stmt.bindId(1, id);
    while (stmt.step() === DbResult.BE_SQLITE_ROW) existing.set(stmt.getValue(1).getId(), stmt.getValue(0).getId());
  });
  const wanted = group.members.map((m) => {
    const target = elements.get(m);
    if (!target) throw new Error(`group ${group.id}: unknown member ${m}`);
    return target;
  });
  for (const [target, relationship] of existing)
    if (!wanted.includes(target)) sync.db.relationships.deleteInstance({ id: relationship, classFullName: members });
  wanted.forEach((target, memberPriority) => {
    if (!existing.has(target))
      sync.db.relationships.insertInstance({ classFullName: members, sourceId: id, targetId: target, memberPriority });
  });
}

function tally(counts, state) {
  if (state === "new") counts.inserted++;
  else if (state === "changed") counts.updated++;
  else counts.unchanged++;
}

/** The same geometry JSON the Rust example sends (guest-examples/rust-asset-register/src/props.rs). */
function solid(shape, [width, depth, height]) {
  const [x, y] = [width / 2, depth / 2];
  if (shape === "cylinder")
    return { cylinder: { start: [0, 0, 0], end: [0, 0, height], radius: Math.min(width, depth) / 2, capped: true } };
  if (shape === "horizontal-cylinder") {
    const radius = Math.min(depth, height) / 2;
    return { cylinder: { start: [-x, 0, radius], end: [x, 0, radius], radius, capped: true } };
  }
  return { box: { baseOrigin: [-x, -y, 0], baseX: width, baseY: depth, topOrigin: [-x, -y, height], capped: true } };
}

const roundUm = (v) => Math.round(v * 1e6) / 1e6;
const add = (a, b) => a.map((v, i) => roundUm(v + b[i]));
function rotateZ([x, y, z], degrees) {
  const r = (degrees * Math.PI) / 180;
  return [roundUm(x * Math.cos(r) - y * Math.sin(r)), roundUm(x * Math.sin(r) + y * Math.cos(r)), z];
}
