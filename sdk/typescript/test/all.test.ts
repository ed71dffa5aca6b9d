// Unit tests of the SDK's pure parts, in node (`npm test`): no bindings needed.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { batches } from "../src/batches.ts";
import { canonical } from "../src/checksum.ts";
import { ConnectorError, context, describe, SyncError } from "../src/errors.ts";
import { geometry, groupMember, partition, physicalElement, placement, tbgr } from "../src/props.ts";

test("docs/sdk.md's shared checksum vectors", () => {
  const asset = {
    id: "A-0001", tag: "P-101", name: "Raw water pump 1", category: "pumps", version: 1, position: [12.5, 4.0, 0.0],
    yaw: 90, size: [1.6, 0.8, 1.1], shape: "horizontal-cylinder",
    properties: { manufacturer: "Grundfos", ratedFlowM3h: 420 }, parts: [],
  };
  const vectors: [unknown, string, string][] = [
    [{}, "{}", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"],
    [{ b: 1, a: [1.5, "x", true, null], c: 90.0, "é": "ü\n\u001f\"\\" }, '{"a":[1.5,"x",true,null],"b":1,"c":90,"é":"ü\\n\\u001f\\"\\\\"}',
      "bba879fdb8817c8f5b7c53632cc5d26aac7f95d9f0abbc60235abaf5237b5ba5"],
    [[0.30000000000000004, 1e21, 1e-7, -0.0, 123456789012, 1e20, 0.000001, 2.5e-8, -12.75],
      "[0.30000000000000004,1e+21,1e-7,0,123456789012,100000000000000000000,0.000001,2.5e-8,-12.75]",
      "5515bf0340d62eebc5f4473506a7e6c5af60ec0871c7bee7c960919e7c7bb7b3"],
    [asset, '{"category":"pumps","id":"A-0001","name":"Raw water pump 1","parts":[],"position":[12.5,4,0],"properties":{"manufacturer":"Grundfos","ratedFlowM3h":420},"shape":"horizontal-cylinder","size":[1.6,0.8,1.1],"tag":"P-101","version":1,"yaw":90}',
      "6cb76b31c9fb54bc35bab22d00767142eb32936b19bb9d7875ac53a7a983d966"],
  ];
  for (const [value, text, digest] of vectors) {
    assert.equal(canonical(value as never), text);
    // In a connector the host hashes the canonical text (host.sha256-hex-json); node's SHA-256 here.
    assert.equal(createHash("sha256").update(canonical(value as never), "utf8").digest("hex"), digest);
  }
});

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
