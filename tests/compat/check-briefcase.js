"use strict";
// Usage: node check-briefcase.js <file.bim> <expected.json>
// Opens an iModel with the official iTwin.js backend, compares it with
// expected.json, runs the ECDb integrity checks, then edits the file in place
// (when expected.edit is given) and checks the result again.
// Prints "ok <name>" / "FAIL <name>: <why>" per check; exits 1 if any failed.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { SnapshotDb, StandaloneDb, ExternalSourceAspect, SpatialCategory, GeometryPart } = require("@itwin/core-backend");
const { Id64 } = require("@itwin/core-bentley");
const { SubCategoryAppearance, Placement3d } = require("@itwin/core-common");
const {
  run, normId, normDeep, collectIds, colonClass, dotClass, diff, diffProps, query, integrityChecks, Checker,
} = require("./lib");

const ADDED_LABEL = "added by iTwin.js";
const UPDATED_LABEL = "updated by iTwin.js";
const ADDED_IDENTIFIER = "itwinjs-added";
const ADDED_CATEGORY = "itwinjs-category";

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function className(name) {
  assert(/^\w+[.:]\w+$/.test(name), `bad class name ${JSON.stringify(name)}`);
  // Brackets, because class names such as Generic.Group are ECSQL keywords.
  const [schema, cls] = dotClass(name).split(".");
  return `[${schema}].[${cls}]`;
}

/** Order-insensitive comparison of query results (ids normalised). */
function sameSet(expectedRows, actualRows) {
  const sorted = (rows) => rows.map((r) => normDeep(r)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const exp = sorted(expectedRows);
  const act = sorted(actualRows);
  assert(!diff(exp, act), `expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`);
}

async function checkIntegrity(c, db, prefix) {
  for (const { name, run: runCheck } of integrityChecks(db)) {
    await c.check(`${prefix}integrity ${name}`, async () => {
      const rows = await runCheck();
      assert(rows.length === 0, `${rows.length} problem row(s): ${JSON.stringify(rows.slice(0, 5))}`);
    });
  }
}

async function checkContents(c, db, exp) {
  for (const [cls, n] of Object.entries(exp.counts ?? {})) {
    await c.check(`count ${cls}`, async () => {
      const [[count]] = await query(db, `SELECT COUNT(*) FROM ${className(cls)}`);
      assert(count === n, `expected ${n}, got ${count}`);
    });
  }

  for (const { id, props } of exp.elements ?? []) {
    await c.check(`element ${id}`, () => {
      const actual = db.elements.getElementProps(normId(id));
      const problems = diffProps(props, actual);
      assert(problems.length === 0, problems.join("; "));
    });
  }

  // The spatial index rows our SQL functions produced must be the ranges iTwin.js computes
  // from the same placements (stored as 32-bit floats, rounded outward).
  for (const { id, props } of exp.elements ?? []) {
    if (!props.placement) continue;
    await c.check(`spatial index ${id}`, async () => {
      const actual = db.elements.getElementProps(normId(id));
      const range = Placement3d.fromJSON(actual.placement).calculateRange();
      const rows = await query(db, "SELECT MinX, MinY, MinZ, MaxX, MaxY, MaxZ FROM bis.SpatialIndex WHERE ECInstanceId=?", [normId(id)]);
      assert(rows.length === 1, `expected one bis.SpatialIndex row, got ${rows.length}`);
      const [minX, minY, minZ, maxX, maxY, maxZ] = rows[0];
      const want = [range.low.x, range.low.y, range.low.z, range.high.x, range.high.y, range.high.z];
      const got = [minX, minY, minZ, maxX, maxY, maxZ];
      const tol = (v) => 1e-6 * Math.max(1, Math.abs(v));
      want.forEach((w, i) => assert(Math.abs(w - got[i]) <= tol(w), `range ${JSON.stringify(got)} != iTwin.js ${JSON.stringify(want)}`));
      assert(db.projectExtents.containsRange(range), `project extents ${JSON.stringify(db.projectExtents.toJSON())} do not cover ${JSON.stringify(range.toJSON())}`);
    });
  }

  if (exp.checkExtents) {
    // iTwin.js's own extents of everything in the spatial index (outliers included) must lie
    // within the project extents we maintain. The index holds 32-bit floats rounded outward.
    await c.check("project extents cover computeProjectExtents", () => {
      const full = db.computeProjectExtents({ reportExtentsWithOutliers: true }).extentsWithOutliers;
      const ours = db.projectExtents;
      const tol = (v) => 1e-6 * Math.max(1, Math.abs(v));
      const inside = ["x", "y", "z"].every((a) => ours.low[a] - full.low[a] <= tol(full.low[a]) && full.high[a] - ours.high[a] <= tol(full.high[a]));
      assert(inside, `project extents ${JSON.stringify(ours.toJSON())} do not cover ${JSON.stringify(full.toJSON())}`);
    });
  }

  for (const id of exp.absentElements ?? []) {
    await c.check(`absent element ${id}`, () => {
      const props = db.elements.tryGetElementProps(normId(id));
      assert(props === undefined, `element ${id} still exists: ${JSON.stringify(props)}`);
    });
  }

  for (const a of exp.absentAspects ?? []) {
    await c.check(`absent aspect ${a.kind}/${a.identifier}`, () => {
      const found = ExternalSourceAspect.findAllBySource(db, normId(a.scope), a.kind, a.identifier);
      assert(found.length === 0, `still tracked: ${JSON.stringify(found)}`);
    });
  }

  for (const m of exp.models ?? []) {
    await c.check(`model ${m.id}`, () => {
      const actual = db.models.getModelProps(normId(m.id));
      const want = { classFullName: colonClass(m.classFullName), modeledElement: normId(m.modeledElement) };
      const got = { classFullName: colonClass(actual.classFullName), modeledElement: normId(actual.modeledElement?.id) };
      if (m.parentModel !== undefined) {
        want.parentModel = normId(m.parentModel);
        got.parentModel = normId(actual.parentModel);
      }
      const d = diff(want, got);
      assert(!d, d);
    });
  }

  for (const a of exp.aspects ?? []) {
    await c.check(`aspect ${a.elementId} ${a.kind}/${a.identifier}`, () => {
      const found = ExternalSourceAspect.findAllBySource(db, normId(a.scope), a.kind, a.identifier);
      const hit = found.find((f) => normId(f.elementId) === normId(a.elementId));
      assert(hit, `findAllBySource returned ${JSON.stringify(found)}`);
      const aspect = db.elements.getAspects(normId(a.elementId), "BisCore:ExternalSourceAspect")
        .find((x) => normId(x.id) === normId(hit.aspectId));
      assert(aspect, `getAspects has no aspect ${hit.aspectId}`);
      for (const key of ["version", "checksum"]) {
        if (a[key] !== undefined)
          assert(aspect[key] === a[key], `${key}: expected ${JSON.stringify(a[key])}, got ${JSON.stringify(aspect[key])}`);
      }
    });
  }

  for (const r of exp.relationships ?? []) {
    await c.check(`relationship ${r.classFullName} ${r.sourceId}->${r.targetId}`, async () => {
      const withPriority = r.memberPriority !== undefined; // only ElementGroupsMembers-like classes have it
      const rows = await query(db,
        `SELECT ECInstanceId${withPriority ? ", MemberPriority" : ""} FROM ${className(r.classFullName)} WHERE SourceECInstanceId=? AND TargetECInstanceId=?`,
        [normId(r.sourceId), normId(r.targetId)]);
      assert(rows.length > 0, "no such relationship");
      if (withPriority)
        assert(rows.some((row) => row[1] === r.memberPriority), `MemberPriority: expected ${r.memberPriority}, got ${rows.map((row) => row[1])}`);
    });
  }

  const q = exp.queries;
  if (q?.identifier !== undefined) {
    await c.check("query ExternalSourceAspect by Identifier", async () => {
      const rows = await query(db, "SELECT Element.Id FROM bis.ExternalSourceAspect WHERE Identifier=?", [q.identifier]);
      sameSet(q.identifierElementIds ?? [], rows.map(([id]) => id));
    });
  }
  if (q?.repositoryLinks) {
    await c.check("query repositoryLink", async () => {
      const rows = await query(db, "SELECT UserLabel, Url FROM bis.repositoryLink");
      sameSet(q.repositoryLinks.map((l) => [l.userLabel, l.url]), rows);
    });
  }
  if (q?.physicalPartitions) {
    await c.check("query physicalpartition", async () => {
      const rows = await query(db, "SELECT ECInstanceId, CodeValue from bis.physicalpartition");
      sameSet(q.physicalPartitions.map((p) => [p.id, p.codeValue]), rows);
    });
  }

  await checkIntegrity(c, db, "");
}

/**
 * exp.geometry: [{ id, input, geom? }] for elements and GeometryParts written from `input` (the
 * GeometryStreamProps given to the writer). On a scratch copy, iTwin.js inserts `input` itself
 * into a new element of the same class, model, category and placement (or a new part), and what
 * it reads from our stream must equal what it reads from its own, within 1e-9: the geometry
 * (getElementProps wantGeometry) and the box (placement.bbox, a part's bbox). `geom`, when given,
 * is what our reader returned, and must equal what iTwin.js reads too. An element whose input
 * holds no geometry must, like iTwin.js's, have no box and no spatial index row.
 */
async function checkGeometry(c, file, exp) {
  if (!exp.geometry?.length) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "itwin-host-geometry-check-"));
  const copy = path.join(dir, "scratch.bim");
  fs.copyFileSync(file, copy);
  let db;
  try {
    if (!await c.check("open scratch copy for geometry", () => { db = StandaloneDb.openFile(copy); }))
      return;
    let scratchCount = 0;
    for (const g of exp.geometry) {
      await c.check(`geometry ${g.id}`, async () => {
        const id = normId(g.id);
        const actual = db.elements.getElementProps({ id, wantGeometry: true });
        const isPart = db.elements.getElement(id) instanceof GeometryPart;
        const props = isPart
          ? { classFullName: actual.classFullName, model: actual.model,
            code: GeometryPart.createCode(db, actual.model, `itwin-host-scratch-${scratchCount++}`) }
          : { classFullName: actual.classFullName, model: actual.model, category: actual.category,
            code: { spec: "0x1", scope: "0x1", value: "" },
            placement: { origin: actual.placement.origin, angles: actual.placement.angles } };
        const scratchId = db.elements.insertElement({ ...props, geom: structuredClone(g.input) });
        const scratch = db.elements.getElementProps({ id: scratchId, wantGeometry: true });
        const problems = [];
        const compare = (what, want, got) => {
          const d = diff(normDeep(want), normDeep(got), what);
          if (d) problems.push(d);
        };
        compare("geom (iTwin.js from the input vs from our stream)", scratch.geom, actual.geom);
        if (isPart)
          compare("bbox", scratch.bbox, actual.bbox);
        else
          compare("placement.bbox", scratch.placement?.bbox, actual.placement?.bbox);
        if (g.geom !== undefined)
          compare("geom (our reader vs iTwin.js)", g.geom, actual.geom);
        if (!isPart && scratch.geom === undefined) {
          const rows = await query(db, "SELECT ECInstanceId FROM bis.SpatialIndex WHERE ECInstanceId=?", [id]);
          if (rows.length !== 0) problems.push("an element without geometry has a spatial index row");
        }
        assert(problems.length === 0, problems.join("; "));
        return actual.geom ? `${actual.geom.length} entries` : "no geometry";
      });
    }
  } finally {
    if (db) {
      db.abandonChanges();
      db.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Edits like a second connector run would; returns what to verify after reopening, or undefined. */
async function editAndCheck(c, file, exp) {
  const edit = exp.edit;
  const knownIds = collectIds(exp);
  const made = {};
  let db;
  const opened = await c.check("open StandaloneDb read-write", () => {
    db = StandaloneDb.openFile(file);
  });
  if (!opened) return undefined;
  try {
    if (edit) {
      const fresh = (what, id) => {
        assert(Id64.isValidId64(id), `${what} got invalid id ${JSON.stringify(id)}`);
        assert(!knownIds.has(normId(id)), `${what} got id ${id}, which expected.json already uses`);
      };
      await c.check("edit insert PhysicalObject", () => {
        made.element = db.elements.insertElement({
          classFullName: "Generic:PhysicalObject",
          model: normId(edit.physicalModel),
          category: normId(edit.category),
          code: { spec: "0x1", scope: "0x1", value: "" },
          userLabel: ADDED_LABEL,
          placement: { origin: [0, 0, 0], angles: {} },
        });
        fresh("insertElement", made.element);
        return made.element;
      });
      if (made.element) {
        await c.check("edit insert ExternalSourceAspect", () => {
          made.aspect = db.elements.insertAspect({
            classFullName: "BisCore:ExternalSourceAspect",
            element: { id: made.element, relClassName: "BisCore:ElementOwnsExternalSourceAspects" },
            scope: { id: normId(edit.scope), relClassName: "BisCore:ElementScopesExternalSourceIdentifier" },
            ...(edit.source ? { source: { id: normId(edit.source), relClassName: "BisCore:ElementIsFromSource" } } : {}),
            identifier: ADDED_IDENTIFIER,
            kind: "Element",
          });
          fresh("insertAspect", made.aspect);
          return made.aspect;
        });
      }
      if (edit.definitionModel) {
        await c.check("edit insert SpatialCategory", () => {
          made.category = SpatialCategory.insert(db, normId(edit.definitionModel), ADDED_CATEGORY, new SubCategoryAppearance());
          fresh("SpatialCategory.insert", made.category);
          return made.category;
        });
      }
      if (edit.updateElement) {
        await c.check(`edit update userLabel of ${edit.updateElement}`, () => {
          const props = db.elements.getElementProps(normId(edit.updateElement));
          db.elements.updateElement({ ...props, userLabel: UPDATED_LABEL });
        });
      }
      if (edit.deleteElement) {
        await c.check(`edit delete ${edit.deleteElement}`, () => {
          db.elements.deleteElement(normId(edit.deleteElement));
        });
      }
      await c.check("edit saveChanges", () => db.saveChanges());
    }
    if (exp.duplicateCode) {
      await c.check("insert duplicate code is rejected", () => {
        let message;
        try {
          const id = db.elements.insertElement(structuredClone(exp.duplicateCode));
          message = `insertElement succeeded with id ${id}`;
        } catch (err) {
          assert(/duplicate/i.test(err.message), `threw, but not for a duplicate code: ${err.message}`);
          return err.message;
        }
        throw new Error(message);
      });
      db.abandonChanges();
    }
  } finally {
    db.close();
  }
  return edit ? made : undefined;
}

async function verifyEdit(c, file, exp, made) {
  const edit = exp.edit;
  let db;
  if (!await c.check("reopen SnapshotDb after edit", () => { db = SnapshotDb.openFile(file); }))
    return;
  try {
    if (made.element) {
      await c.check("after-edit added element", () => {
        const props = db.elements.getElementProps(made.element);
        assert(props.userLabel === ADDED_LABEL, `userLabel ${JSON.stringify(props.userLabel)}`);
        const found = ExternalSourceAspect.findAllBySource(db, normId(edit.scope), "Element", ADDED_IDENTIFIER);
        assert(found.some((f) => f.elementId === made.element && f.aspectId === made.aspect),
          `findAllBySource returned ${JSON.stringify(found)}`);
      });
    }
    if (made.category) {
      await c.check("after-edit added category", () => {
        const code = SpatialCategory.createCode(db, normId(edit.definitionModel), ADDED_CATEGORY);
        assert(db.elements.queryElementIdByCode(code) === made.category, "category not found by code");
      });
    }
    if (edit.updateElement) {
      await c.check("after-edit updated label", () => {
        const label = db.elements.getElementProps(normId(edit.updateElement)).userLabel;
        assert(label === UPDATED_LABEL, `userLabel ${JSON.stringify(label)}`);
      });
    }
    if (edit.deleteElement) {
      await c.check("after-edit deleted element is gone", () => {
        assert(db.elements.tryGetElementProps(normId(edit.deleteElement)) === undefined, "element still exists");
      });
    }
    await checkIntegrity(c, db, "after-edit ");
  } finally {
    db.close();
  }
}

run(async () => {
  const [file, expectedFile] = process.argv.slice(2);
  if (!file || !expectedFile) {
    console.error("usage: node check-briefcase.js <file.bim> <expected.json>");
    return 2;
  }
  const exp = JSON.parse(fs.readFileSync(expectedFile, "utf8"));
  const c = new Checker();

  let db;
  if (await c.check("open SnapshotDb", () => { db = SnapshotDb.openFile(file); })) {
    try {
      await checkContents(c, db, exp);
    } finally {
      db.close();
    }
    await checkGeometry(c, file, exp);
    const made = await editAndCheck(c, file, exp);
    if (made)
      await verifyEdit(c, file, exp, made);
  }
  return c.summary();
});
