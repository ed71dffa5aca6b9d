// Typed builders for what connectors write, as the iTwin.js wire-format objects the
// synchronizer takes (it serialises them). Plain objects: the guest runs interpreted, and an
// object literal is the cheapest thing to build.

export type Point = [number, number, number];

export interface Code {
  spec: string;
  scope: string;
  value: string;
}

export interface Placement {
  origin: Point;
  angles: { yaw?: number; pitch?: number; roll?: number };
}

/** A `geom` entry in an element's local coordinates. */
export type Geometry =
  | { box: { baseOrigin: Point; baseX: number; baseY: number; topOrigin: Point; capped: boolean } }
  | { cylinder: { start: Point; end: Point; radius: number; capped: boolean } }
  | { sphere: { center: Point; radius: number } }
  | { lineString: Point[] }
  | { indexedMesh: { point: Point[]; pointIndex: number[] } };

export const PARTITION_SPEC = "bis:InformationPartitionElement";
export const GROUP_MEMBERS = "BisCore:ElementGroupsMembers";

/** partition kind → [partition class, model class] */
export const PARTITION_KINDS = {
  physical: ["BisCore:PhysicalPartition", "BisCore:PhysicalModel"],
  definition: ["BisCore:DefinitionPartition", "BisCore:DefinitionModel"],
  group: ["BisCore:GroupInformationPartition", "Generic:GroupModel"],
  "spatial-location": ["BisCore:SpatialLocationPartition", "BisCore:SpatialLocationModel"],
  document: ["BisCore:DocumentPartition", "BisCore:DocumentListModel"],
} as const;
export type PartitionKind = keyof typeof PARTITION_KINDS;

export function code(spec: string, scope: string, value: string): Code {
  return { spec, scope, value };
}

/** Origin and orientation in degrees; zero angles are left out. */
export function placement(origin: Point, yaw = 0, pitch = 0, roll = 0): Placement {
  const angles: Placement["angles"] = {};
  if (yaw) angles.yaw = yaw;
  if (pitch) angles.pitch = pitch;
  if (roll) angles.roll = roll;
  return { origin, angles };
}

export const geometry = {
  /** A closed box: `origin` its minimum corner, `size` its extents along x, y and z. */
  box(origin: Point, size: Point): Geometry {
    const [x, y, z] = origin;
    return { box: { baseOrigin: [x, y, z], baseX: size[0], baseY: size[1], topOrigin: [x, y, z + size[2]], capped: true } };
  },
  cylinder(start: Point, end: Point, radius: number): Geometry {
    return { cylinder: { start, end, radius, capped: true } };
  },
  sphere(center: Point, radius: number): Geometry {
    return { sphere: { center, radius } };
  },
  lineString(points: Point[]): Geometry {
    return { lineString: points };
  },
  /** Faces are lists of 0-based point indices (iTwin.js's form is one-based, closed by 0). */
  mesh(points: Point[], faces: number[][]): Geometry {
    const pointIndex: number[] = [];
    for (const face of faces) {
      for (const i of face) pointIndex.push(i + 1);
      pointIndex.push(0);
    }
    return { indexedMesh: { point: points, pointIndex } };
  },
};

export interface PhysicalElementProps {
  classFullName: string;
  model: string;
  category: string;
  placement: Placement;
  geom: Geometry[];
  code?: Code;
  userLabel?: string;
  jsonProperties?: Record<string, unknown>;
  children?: PhysicalElementProps[];
  childId?: string;
  [property: string]: unknown;
}

/** A physical element (Generic:PhysicalObject unless `classFullName` says otherwise). Its
 * `children`, if given (even empty), replace the existing ones, matched by `childId`. */
export function physicalElement(
  model: string,
  category: string,
  where: Placement,
  geom: Geometry[],
  more: Partial<PhysicalElementProps> = {},
): PhysicalElementProps {
  return { classFullName: "Generic:PhysicalObject", model, category, placement: where, geom, ...more };
}

/** A BisCore:SpatialCategory coded by its name (its default SubCategory, id + 1, comes with it). */
export function spatialCategory(model: string, name: string) {
  return { classFullName: "BisCore:SpatialCategory", model, code: code("bis:SpatialCategory", model, name) };
}

export interface Appearance {
  /** `#rrggbb` */
  color?: string;
  weight?: number;
  transparency?: number;
  invisible?: boolean;
}

/** An appearance in the wire format (colour as TBGR). */
export function appearanceProps(appearance: Appearance): Record<string, number | boolean> {
  const props: Record<string, number | boolean> = {};
  if (appearance.color !== undefined) props.color = tbgr(appearance.color);
  if (appearance.weight !== undefined) props.weight = appearance.weight;
  if (appearance.transparency !== undefined) props.transp = appearance.transparency;
  if (appearance.invisible !== undefined) props.invisible = appearance.invisible;
  return props;
}

export function subCategory(model: string, category: string, name: string, appearance: Appearance) {
  return {
    classFullName: "BisCore:SubCategory",
    model,
    parent: { id: category, relClassName: "BisCore:CategoryOwnsSubCategories" },
    code: code("bis:SubCategory", category, name),
    appearance: appearanceProps(appearance),
  };
}

/** `#rrggbb` as the TBGR integer iModels store (red in the low byte). */
export function tbgr(color: string): number {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) throw new RangeError(`color ${JSON.stringify(color)} is not #RRGGBB`);
  const rgb = parseInt(color.slice(1), 16);
  return ((rgb >> 16) & 0xff) | (rgb & 0xff00) | ((rgb & 0xff) << 16);
}

export function group(model: string, userLabel: string, classFullName = "Generic:Group") {
  return { classFullName, model, userLabel };
}

export function relationship(classFullName: string, sourceId: string, targetId: string, properties = {}) {
  return { classFullName, sourceId, targetId, ...properties };
}

export function groupMember(group: string, member: string, priority: number) {
  return relationship(GROUP_MEMBERS, group, member, { memberPriority: priority });
}

export function elementHasLinks(element: string, link: string) {
  return relationship("BisCore:ElementHasLinks", element, link);
}

export function partition(kind: PartitionKind, jobSubject: string, name: string) {
  return {
    classFullName: PARTITION_KINDS[kind][0],
    model: "0x1",
    parent: { id: jobSubject, relClassName: "BisCore:SubjectOwnsPartitionElements" },
    code: code(PARTITION_SPEC, jobSubject, name),
  };
}

export function model(kind: PartitionKind, partitionId: string) {
  return { classFullName: PARTITION_KINDS[kind][1], modeledElement: { id: partitionId } };
}
