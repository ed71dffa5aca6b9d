"use strict";
// Usage: node dump-imodel.js <file.bim>
// Prints what an iModel holds as iTwin.js reads it, with every element id replaced by a key
// built from what the element is (class, code, parent, label): per-class counts, every
// element's props (code, label, parent, placement, bbox, geometry as iTwin.js decodes it,
// class properties, jsonProperties), every ExternalSourceAspect (identifier, kind, version,
// checksum) and the link-table relationships. Two iModels written from the same source by
// connectors in different languages print the same text: only ids, LastMod and
// FederationGuids (fresh for every insert) and the time of the last run are left out. Runs the integrity checks too.
const { StandaloneDb } = require("@itwin/core-backend");
const { OpenMode } = require("@itwin/core-bentley");
const { run, query, integrityChecks } = require("./lib");

run(async () => {
  const db = StandaloneDb.openFile(process.argv[2], OpenMode.Readonly);
  try {
    for (const { name, run: runCheck } of integrityChecks(db)) {
      const rows = await runCheck();
      if (rows.length) throw new Error(`${name}: ${JSON.stringify(rows)}`);
    }
    const ids = (await query(db, "SELECT ECInstanceId FROM bis.Element ORDER BY ECInstanceId")).map((r) => r[0]);
    const props = new Map(ids.map((id) => [id, db.elements.getElementProps({ id, wantGeometry: true })]));
    const specName = (spec) => (db.codeSpecs.hasId(spec) ? db.codeSpecs.getById(spec).name : spec);
    const keys = new Map();
    const keyOf = (id) => {
      if (id === undefined || id === "0") return id;
      if (keys.has(id)) return keys.get(id);
      const p = props.get(id);
      // The seed's own elements (root subject, dictionary…) have fixed ids.
      let key = `#${id}`;
      if (p && BigInt(id) > 0x10n) {
        keys.set(id, `(cycle ${id})`);
        const code = p.code && p.code.value ? `${specName(p.code.spec)}:${keyOf(p.code.scope)}:${p.code.value}` : "";
        const parent = p.parent ? `<${keyOf(p.parent.id)}` : `@${keyOf(p.model)}`;
        key = code ? `${p.classFullName}[${code}]` : `${p.classFullName}[${parent}:${p.userLabel ?? ""}]`;
      }
      keys.set(id, key);
      return key;
    };
    const ID = /^0x[0-9a-f]+$/i;
    const rekey = (value, field) => {
      if (typeof value === "string" && ID.test(value)) return field === "spec" ? specName(value) : keyOf(value);
      if (Array.isArray(value)) return value.map((v) => rekey(v));
      // Keys sorted: the order of an object's members means nothing to iTwin.js.
      if (value && typeof value === "object")
        return Object.fromEntries(Object.keys(value).sort().map((k) => [k, rekey(value[k], k)]));
      return value;
    };
    const elements = ids.map((id) => {
      const { id: _id, lastMod, federationGuid, ...rest } = props.get(id);
      // The time of the run, like LastMod (a SynchronizationConfigLink's).
      delete rest.lastSuccessfulRun;
      return { key: keyOf(id), props: rekey(rest) };
    });
    elements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const aspects = (await query(db,
      "SELECT Element.Id, Identifier, Kind, Version, Checksum, Scope.Id, Source.Id FROM bis.ExternalSourceAspect"))
      .map(([element, identifier, kind, version, checksum, scope, source]) =>
        ({ element: keyOf(element), identifier, kind, version, checksum, scope: keyOf(scope), source: keyOf(source) }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const relationships = (await query(db,
      "SELECT ec_classname(ECClassId, 's:c'), SourceECInstanceId, TargetECInstanceId FROM bis.ElementRefersToElements"))
      .map(([cls, source, target]) => `${cls} ${keyOf(source)} -> ${keyOf(target)}`).sort();
    const members = (await query(db, "SELECT SourceECInstanceId, TargetECInstanceId, MemberPriority FROM bis.ElementGroupsMembers"))
      .map(([source, target, priority]) => `${keyOf(source)} -> ${keyOf(target)} priority ${priority}`).sort();
    const counts = Object.fromEntries(await query(db,
      "SELECT ec_classname(ECClassId, 's:c'), count(*) FROM bis.Element GROUP BY ECClassId ORDER BY 1"));
    console.log(JSON.stringify({ counts, elements, aspects, relationships, members }, null, 1));
    return 0;
  } finally {
    db.close();
  }
});
