// What the source's items look like in BIS: pure (it imports only the SDK's builders, not the
// bindings), so `npm test` runs it in node.
import { geometry, physicalElement, placement, type Point } from "@itwin-host/connector/props";

export interface Item {
  id: string;
  name: string;
  position: Point;
  size: Point;
}

/** An item as a box standing on its position, centred on it in plan. */
export function element(item: Item, model: string, category: string) {
  const [x, y, z] = item.size;
  return physicalElement(model, category, placement(item.position), [geometry.box([-x / 2, -y / 2, 0], [x, y, z])], {
    userLabel: item.name,
  });
}
