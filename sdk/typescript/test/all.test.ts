// Unit tests of the SDK's pure parts, in node (`npm test`): no bindings needed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { batches } from "../src/batches.ts";
import { ConnectorError, context, describe, SyncError } from "../src/errors.ts";
import { geometry, groupMember, partition, physicalElement, placement, tbgr } from "../src/props.ts";

test("builders write the wire format", () => {
  const child = physicalElement("0x20", "0x11", placement([1, 0, 0]), [geometry.cylinder([0, 0, 0], [0, 0, 1], 0.5)], { userLabel: "motor", childId: "motor" });
  const element = physicalElement("0x20", "0x11", placement([1, 2, 0], 90), [geometry.box([-0.5, -1, 0], [1, 2, 3])], { children: [child] });
  assert.deepEqual(JSON.parse(JSON.stringify(element)), {
    classFullName: "Generic:PhysicalObject", model: "0x20", category: "0x11", placement: { origin: [1, 2, 0], angles: { yaw: 90 } },
    geom: [{ box: { baseOrigin: [-0.5, -1, 0], baseX: 1, baseY: 2, topOrigin: [-0.5, -1, 3], capped: true } }],
    children: [{ classFullName: "Generic:PhysicalObject", model: "0x20", category: "0x11", placement: { origin: [1, 0, 0], angles: {} },
      geom: [{ cylinder: { start: [0, 0, 0], end: [0, 0, 1], radius: 0.5, capped: true } }], userLabel: "motor", childId: "motor" }],
  });
  assert.equal(tbgr("#ff0000"), 0x0000ff);
  assert.equal(tbgr("#0000ff"), 0xff0000);
  assert.throws(() => tbgr("red"));
  assert.deepEqual(geometry.mesh([[0, 0, 0], [1, 0, 0], [1, 1, 0]], [[0, 1, 2]]), { indexedMesh: { point: [[0, 0, 0], [1, 0, 0], [1, 1, 0]], pointIndex: [1, 2, 3, 0] } });
  assert.equal(partition("physical", "0x2a", "Assets").classFullName, "BisCore:PhysicalPartition");
  assert.deepEqual(groupMember("0x30", "0x31", 2), { classFullName: "BisCore:ElementGroupsMembers", sourceId: "0x30", targetId: "0x31", memberPriority: 2 });
});

test("errors read as the host shows them", () => {
  assert.equal(describe(new TypeError("x is undefined")), "TypeError: x is undefined");
  assert.equal(describe(new SyncError("duplicate-code", "code P-1 is taken")), "duplicate-code: code P-1 is taken");
  assert.equal(describe("plain"), "plain");
  assert.throws(() => context("asset A-1", () => { throw new RangeError("bad\nsize"); }),
    (e: unknown) => e instanceof ConnectorError && describe(e) === "asset A-1: RangeError: bad size");
});

test("batches keep to items and bytes", () => {
  const sizes = Array(25).fill(10);
  assert.deepEqual(batches(sizes, (n) => n, 10, 1000).map((b) => b.length), [10, 10, 5]);
  assert.deepEqual(batches(sizes, (n) => n, 100, 45).map((b) => b.length), [4, 4, 4, 4, 4, 4, 1]);
  assert.deepEqual(batches([5, 100, 5], (n) => n, 10, 50), [[5], [100], [5]]);
});

/** How many comma-separated parts `list` has outside <…> and […]. */
function topLevelCount(list: string): number {
  if (!list.trim()) return 0;
  let depth = 0;
  let parts = 1;
  for (const c of list) {
    if (c === "<" || c === "[") depth++;
    else if (c === ">" || c === "]") depth--;
    else if (c === "," && depth === 0) parts++;
  }
  return parts;
}

/** src/wit.d.ts (generated from the WIT by scripts/wit-types.mjs, which the connectors' builds
 * run with --check) names every function of the WIT's host and synchronizer interfaces, with as
 * many parameters: a check that needs no jco. */
test("wit.d.ts declares every imported function of the WIT", () => {
  const wit = readFileSync(new URL("../../../wit/connector.wit", import.meta.url), "utf8");
  const declared = readFileSync(new URL("../src/wit.d.ts", import.meta.url), "utf8");
  for (const iface of ["host", "synchronizer"]) {
    const body = wit.split(`\ninterface ${iface} {`)[1].split("\n}")[0];
    const functions = [...body.matchAll(/^\s+([a-z-]+): func\(([^)]*)\)/gm)];
    assert.ok(functions.length > 3, iface);
    const module = declared.split(`declare module 'itwin:connector/${iface}@0.1.2'`)[1].split("\n}")[0];
    for (const [, name, params] of functions) {
      const camel = name.replace(/-([a-z])/g, (_: string, c: string) => c.toUpperCase());
      const count = topLevelCount(params);
      const match = module.match(new RegExp(`export function ${camel}\\(([^)]*)\\)`));
      assert.ok(match, `${iface}.${name} is not declared as ${camel}`);
      const declaredCount = topLevelCount(match[1]);
      assert.equal(declaredCount, count, `${iface}.${name}: ${count} parameters in the WIT`);
    }
  }
});

test("splitJson leaves big arrays as byte ranges and parses the rest", async () => {
  const { splitJson, parseElements } = await import("../src/json-stream.ts");
  const text = ' { "name": "r", "assets" : [ {"id": "a", "s": "x]},{\\"y"}, {"id":"b","parts":[1,[2]]} ] ,"groups":[{"id":"g"}], "empty": [] }';
  const bytes = new TextEncoder().encode(text);
  const { head, arrays } = splitJson(bytes, ["assets", "empty"]);
  assert.deepEqual(head, { name: "r", assets: [], groups: [{ id: "g" }], empty: [] });
  assert.deepEqual(arrays.get("empty"), []);
  const ranges = arrays.get("assets")!;
  assert.equal(ranges.length, 2);
  assert.deepEqual(parseElements(bytes, ranges), [{ id: "a", s: 'x]},{"y' }, { id: "b", parts: [1, [2]] }]);
  assert.deepEqual(parseElements(bytes, ranges.slice(1)), [{ id: "b", parts: [1, [2]] }]);
  assert.throws(() => splitJson(new TextEncoder().encode('{"a": [1, 2'), ["a"]).head);
});
