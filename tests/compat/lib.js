"use strict";
// Shared helpers for the itwin-host compatibility scripts.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { IModelHost, SettingsPriority, StandaloneDb, PhysicalModel, SpatialCategory } = require("@itwin/core-backend");
const { IModel, QueryBinder, QueryRowFormat, SubCategoryAppearance } = require("@itwin/core-common");

async function startup() {
  // A profile per process: tests run these scripts in parallel, and iTwin.js refuses to share one.
  await IModelHost.startup({ cacheDir: path.join(os.tmpdir(), "itwin-host-compat-cache"), profileName: `p${process.pid}` });
  // Without this the first open of any iModel tries to attach the cloud GCS
  // workspace; offline that blocks for ~15 s and we never use geo-coordinates.
  IModelHost.appWorkspace.settings.addDictionary(
    { name: "itwin-host-compat", priority: SettingsPriority.application },
    { "itwin/core/gcs/disableWorkspaces": true },
  );
}

async function shutdown() {
  await IModelHost.shutdown();
}

/** Runs `main` between startup and shutdown; exit code is main's return value (default 0). */
function run(main) {
  (async () => {
    await startup();
    let code = 1;
    try {
      code = (await main()) ?? 0;
    } finally {
      await shutdown();
    }
    process.exitCode = code;
  })().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

const ID64 = /^0x[0-9a-f]+$/i;

/** Canonical Id64 form: lowercase hex, no leading zeros ("0X001A" -> "0x1a"). */
function normId(id) {
  if (typeof id !== "string" || !ID64.test(id)) return id;
  return `0x${BigInt(id).toString(16)}`;
}

/**
 * Every Id64-looking string anywhere inside `value`, normalised. CodeSpec ids
 * ("spec", "codeSpec") are skipped: they live in their own table and id range,
 * so an element or aspect may legitimately have the same number.
 */
function collectIds(value, out = new Set()) {
  if (typeof value === "string" && ID64.test(value)) out.add(normId(value));
  else if (Array.isArray(value)) value.forEach((v) => collectIds(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value))
      if (k !== "spec" && k !== "codeSpec") collectIds(v, out);
  }
  return out;
}

const colonClass = (name) => (typeof name === "string" ? name.replace(".", ":") : name);
const dotClass = (name) => name.replace(":", ".");

/**
 * Deep comparison. Numbers are equal within 1e-9 (relative once |x| > 1, so
 * large coordinates do not fail on the last bit). Returns undefined when equal,
 * otherwise "<json path>: <why>" for the first difference found.
 */
function diff(expected, actual, at = "$") {
  if (typeof expected === "number" && typeof actual === "number") {
    const tol = 1e-9 * Math.max(1, Math.abs(expected), Math.abs(actual));
    return Math.abs(expected - actual) <= tol ? undefined : `${at}: expected ${expected}, got ${actual}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual))
      return `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    if (expected.length !== actual.length)
      return `${at}: expected ${expected.length} items, got ${actual.length} (${JSON.stringify(actual)})`;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(expected[i], actual[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (expected[key] === undefined && actual[key] === undefined) continue;
      if (!(key in actual) || actual[key] === undefined) return `${at}.${key}: missing (expected ${JSON.stringify(expected[key])})`;
      if (!(key in expected) || expected[key] === undefined) return `${at}.${key}: unexpected ${JSON.stringify(actual[key])}`;
      const d = diff(expected[key], actual[key], `${at}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Lowercases ids and turns '.' into ':' in class names, recursively. Any
 * "0x<hex>" string counts as an id; iTwin.js returns nav relClassNames with
 * '.' ("BisCore.ExternalSourceIsInRepository") but parents with ':'.
 */
function normDeep(value, key) {
  if (typeof value === "string") {
    if (key === "relClassName" || key === "classFullName") return colonClass(value);
    return normId(value);
  }
  if (Array.isArray(value)) return value.map((v) => normDeep(v));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normDeep(v, k)]));
  return value;
}

function xyz(p, dims) {
  const a = Array.isArray(p) ? p : [p?.x ?? 0, p?.y ?? 0, p?.z ?? 0];
  return Array.from({ length: dims }, (_, i) => a[i] ?? 0);
}

/** iTwin.js omits zero angles (`angles: {}` when all are zero); other writers may omit `angles` entirely. */
function normPlacement(p, keepBBox) {
  if (!isObject(p)) return p;
  const is2d = "angle" in p || (Array.isArray(p.origin) && p.origin.length === 2);
  const out = is2d
    ? { origin: xyz(p.origin, 2), angle: p.angle ?? 0 }
    : { origin: xyz(p.origin, 3), angles: { yaw: 0, pitch: 0, roll: 0, ...p.angles } };
  if (keepBBox && p.bbox) out.bbox = { low: xyz(p.bbox.low, is2d ? 2 : 3), high: xyz(p.bbox.high, is2d ? 2 : 3) };
  return out;
}

/** Normalises one element property so that semantically equal values compare equal. */
function normProp(key, value, expectedValue) {
  const v = normDeep(value, key);
  switch (key) {
    case "placement":
      return normPlacement(v, expectedValue?.bbox !== undefined);
    case "code":
      // An empty code comes back with or without value: "" depending on the writer.
      return isObject(v) ? { spec: v.spec, scope: v.scope, value: v.value ?? "" } : v;
    case "federationGuid":
      return typeof v === "string" ? v.toLowerCase() : v;
    default:
      return v;
  }
}

/** Compares the listed expected props against actual element props; returns a list of differences. */
function diffProps(expectedProps, actualProps) {
  const problems = [];
  for (const [key, exp] of Object.entries(expectedProps)) {
    const d = diff(normProp(key, exp, exp), normProp(key, actualProps[key], exp), `$.${key}`);
    if (d) problems.push(d);
  }
  return problems;
}

/** Rows of an ECSQL query as arrays (or objects keyed by ECSQL names when `named`). */
async function query(db, ecsql, params = [], named = false) {
  const rows = [];
  const opts = { rowFormat: QueryRowFormat.UseECSqlPropertyNames };
  const binder = params.length ? QueryBinder.from(params) : undefined;
  for await (const row of db.createQueryReader(ecsql, binder, opts))
    rows.push(named ? row.toRow() : row.toArray());
  return rows;
}

const INTEGRITY_CHECKS = [
  "check_data_columns",
  "check_ec_profile",
  "check_nav_class_ids",
  "check_nav_ids",
  "check_linktable_fk_class_ids",
  "check_linktable_fk_ids",
  "check_class_ids",
  "check_data_schema",
  "check_schema_load",
  "check_missing_child_rows",
];

/**
 * ECDb integrity checks plus SQLite's foreign_key_check. Each entry is
 * { name, run } where run() resolves to the list of problem rows (empty = ok).
 */
function integrityChecks(db) {
  const checks = INTEGRITY_CHECKS.map((name) => ({
    name,
    run: () => query(db, `PRAGMA integrity_check(${name}) options enable_experimental_features`, [], true),
  }));
  checks.push({
    name: "foreign_key_check",
    run: async () => db.withSqliteStatement("PRAGMA foreign_key_check", (stmt) => {
      const rows = [];
      while (stmt.nextRow()) rows.push(stmt.getRow());
      return rows;
    }),
  });
  return checks;
}

/** Runs named checks, printing "ok <name>" / "FAIL <name>: <why>"; a check fails by throwing. */
class Checker {
  constructor() {
    this.total = 0;
    this.failed = 0;
  }

  /** `fn` may return a note to print after "ok <name>". Returns true when the check passed. */
  async check(name, fn) {
    this.total++;
    try {
      const note = await fn();
      console.log(note ? `ok ${name} (${note})` : `ok ${name}`);
      return true;
    } catch (err) {
      this.failed++;
      console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`.replace(/\s*\n\s*/g, " "));
      return false;
    }
  }

  summary() {
    console.log(`${this.total} checks, ${this.failed} failed`);
    return this.failed ? 1 : 0;
  }
}

/**
 * Benchmark fixture: a fresh StandaloneDb (no txns, like our writer) in a new
 * temp dir with a PhysicalModel, a SpatialCategory and an ExternalSource.
 * `dispose()` closes the db and removes the dir.
 */
function createBenchDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "itwin-host-bench-"));
  const db = StandaloneDb.createEmpty(path.join(dir, "bench.bim"), { rootSubject: { name: "bench" } });
  const model = PhysicalModel.insert(db, IModel.rootSubjectId, "Bench");
  const category = SpatialCategory.insert(db, IModel.dictionaryId, "Bench", new SubCategoryAppearance());
  const source = db.elements.insertElement({
    classFullName: "BisCore:ExternalSource",
    model: IModel.repositoryModelId,
    code: { spec: "0x1", scope: "0x1", value: "" },
    userLabel: "bench source",
  });
  db.saveChanges();
  const dispose = () => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { db, model, category, source, dispose };
}

/** Inserts objects 0..n-1 (each optionally followed by its ExternalSourceAspect); does not save. */
function insertBenchObjects({ db, model, category, source }, n, withAspects) {
  for (let i = 0; i < n; i++) {
    const element = db.elements.insertElement({
      classFullName: "Generic:PhysicalObject",
      model,
      category,
      code: { spec: "0x1", scope: "0x1", value: "" },
      userLabel: `obj-${i}`,
      placement: { origin: [i % 100, Math.floor(i / 100) % 100, 0], angles: { yaw: i % 360 } },
    });
    if (withAspects) {
      db.elements.insertAspect({
        classFullName: "BisCore:ExternalSourceAspect",
        element: { id: element, relClassName: "BisCore:ElementOwnsExternalSourceAspects" },
        scope: { id: source, relClassName: "BisCore:ElementScopesExternalSourceIdentifier" },
        source: { id: source, relClassName: "BisCore:ElementIsFromSource" },
        identifier: `id-${i}`,
        kind: "Element",
        version: "1",
        checksum: `c${i}`,
      });
    }
  }
}

/** Parses the element count argument of the bench scripts. */
function benchCount(arg) {
  const n = Number(arg);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive element count, got ${JSON.stringify(arg)}`);
  return n;
}

module.exports = {
  createBenchDb, insertBenchObjects, benchCount,
  startup, shutdown, run,
  normId, collectIds, colonClass, dotClass,
  diff, diffProps, normDeep,
  query, integrityChecks, INTEGRITY_CHECKS,
  Checker,
};
