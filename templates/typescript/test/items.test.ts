// The connector's unit tests, in node: npm test
import assert from "node:assert/strict";
import { test } from "node:test";

import { element } from "../src/items.ts";

test("an item is a box standing on its position", () => {
  const props = element({ id: "m1", name: "Pin 1", position: [1, 2, 0], size: [2, 1, 3] }, "0x20", "0x11");
  assert.equal(props.userLabel, "Pin 1");
  assert.deepEqual(props.placement.origin, [1, 2, 0]);
  assert.deepEqual(props.geom, [{ box: { baseOrigin: [-1, -0.5, 0], baseX: 2, baseY: 1, topOrigin: [-1, -0.5, 3], capped: true } }]);
});
