"""Typed builders for what connectors write, as the iTwin.js wire-format dicts the synchronizer
takes. Every builder has `to_json()`; the synchronizer calls it."""

__all__ = ["Code", "Placement", "Geometry", "PhysicalElement", "SpatialCategory", "SubCategory", "Appearance",
           "Group", "Relationship", "Partition", "Model", "PARTITION_KINDS", "PARTITION_SPEC", "GROUP_MEMBERS", "tbgr"]

PARTITION_SPEC = "bis:InformationPartitionElement"
GROUP_MEMBERS = "BisCore:ElementGroupsMembers"

#: partition kind -> (partition class, model class)
PARTITION_KINDS = {
    "physical": ("BisCore:PhysicalPartition", "BisCore:PhysicalModel"),
    "definition": ("BisCore:DefinitionPartition", "BisCore:DefinitionModel"),
    "group": ("BisCore:GroupInformationPartition", "Generic:GroupModel"),
    "spatial-location": ("BisCore:SpatialLocationPartition", "BisCore:SpatialLocationModel"),
    "document": ("BisCore:DocumentPartition", "BisCore:DocumentListModel"),
}


class Code:
    """A code: spec (name or id), scope element id and value."""
    __slots__ = ("spec", "scope", "value")

    def __init__(self, spec: str, scope: str, value: str):
        self.spec, self.scope, self.value = spec, scope, value

    def to_json(self):
        return {"spec": self.spec, "scope": self.scope, "value": self.value}


class Placement:
    """Origin and orientation in degrees (yaw about z, pitch, roll); zero angles are left out."""
    __slots__ = ("origin", "yaw", "pitch", "roll")

    def __init__(self, origin, yaw=0.0, pitch=0.0, roll=0.0):
        self.origin, self.yaw, self.pitch, self.roll = list(origin), yaw, pitch, roll

    def to_json(self):
        angles = {name: value for name, value in (("yaw", self.yaw), ("pitch", self.pitch), ("roll", self.roll))
                  if value}
        return {"origin": self.origin, "angles": angles}


class Geometry:
    """Geometry entries (`geom`) in an element's local coordinates; the host computes its box."""

    @staticmethod
    def box(origin, size):
        """A closed box: `origin` its minimum corner, `size` its extents along x, y and z."""
        x, y, z = origin
        return {"box": {"baseOrigin": [x, y, z], "baseX": size[0], "baseY": size[1],
                        "topOrigin": [x, y, z + size[2]], "capped": True}}

    @staticmethod
    def cylinder(start, end, radius):
        return {"cylinder": {"start": list(start), "end": list(end), "radius": radius, "capped": True}}

    @staticmethod
    def sphere(center, radius):
        return {"sphere": {"center": list(center), "radius": radius}}

    @staticmethod
    def line_string(points):
        return {"lineString": [list(p) for p in points]}

    @staticmethod
    def mesh(points, faces):
        """Faces are lists of 0-based point indices (iTwin.js's one-based, 0-closed form)."""
        index = [i + 1 for face in faces for i in (*face, -1)]
        return {"indexedMesh": {"point": [list(p) for p in points], "pointIndex": index}}


class PhysicalElement:
    """A physical element (Generic:PhysicalObject unless `class_full_name` says otherwise), with
    optional children written with it and matched across runs by their `child_id`."""
    __slots__ = ("model", "category", "placement", "geometry", "class_full_name", "code", "user_label",
                 "json_properties", "properties", "children", "child_id")

    def __init__(self, model, category, placement, geometry=(), class_full_name="Generic:PhysicalObject", code=None,
                 user_label=None, json_properties=None, properties=None, children=None, child_id=None):
        self.model, self.category, self.placement, self.geometry = model, category, placement, list(geometry)
        self.class_full_name, self.code, self.user_label = class_full_name, code, user_label
        self.json_properties, self.properties = json_properties, properties
        self.children, self.child_id = children, child_id

    def to_json(self):
        props = {"classFullName": self.class_full_name, "model": self.model, "category": self.category,
                 "placement": self.placement.to_json(), "geom": self.geometry}
        if self.child_id is not None:
            props["childId"] = self.child_id
        if self.code is not None:
            props["code"] = self.code.to_json()
        if self.user_label is not None:
            props["userLabel"] = self.user_label
        if self.json_properties is not None:
            props["jsonProperties"] = self.json_properties
        if self.properties:
            props.update(self.properties)
        if self.children is not None:
            # Present even when empty: an empty list removes the existing children.
            props["children"] = [child.to_json() for child in self.children]
        return props


class SpatialCategory:
    """A BisCore:SpatialCategory coded by its name in a definition model (its default
    SubCategory, id + 1, comes with it)."""

    def __init__(self, model, name):
        self.model, self.name = model, name

    def to_json(self):
        return {"classFullName": "BisCore:SpatialCategory", "model": self.model,
                "code": {"spec": "bis:SpatialCategory", "scope": self.model, "value": self.name}}


def tbgr(color: str) -> int:
    """`#rrggbb` as the TBGR integer iModels store (red in the low byte)."""
    digits = color[1:] if color.startswith("#") else ""
    if len(digits) != 6 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ValueError(f"color {color!r} is not #RRGGBB")
    rgb = int(digits, 16)
    return ((rgb >> 16) & 0xff) | (rgb & 0xff00) | ((rgb & 0xff) << 16)


class Appearance:
    """How a sub-category draws; only what is given is written."""

    def __init__(self, color=None, weight=None, transparency=None, invisible=None):
        self.color, self.weight, self.transparency, self.invisible = color, weight, transparency, invisible

    def to_json(self):
        props = {}
        if self.color is not None:
            props["color"] = tbgr(self.color)
        if self.weight is not None:
            props["weight"] = self.weight
        if self.transparency is not None:
            props["transp"] = self.transparency
        if self.invisible is not None:
            props["invisible"] = self.invisible
        return props


class SubCategory:
    def __init__(self, model, category, name, appearance):
        self.model, self.category, self.name, self.appearance = model, category, name, appearance

    def to_json(self):
        return {"classFullName": "BisCore:SubCategory", "model": self.model,
                "parent": {"id": self.category, "relClassName": "BisCore:CategoryOwnsSubCategories"},
                "code": {"spec": "bis:SubCategory", "scope": self.category, "value": self.name},
                "appearance": self.appearance.to_json()}


class Group:
    """A group (Generic:Group); its members are relationships (Relationship.group_member)."""

    def __init__(self, model, user_label, class_full_name="Generic:Group"):
        self.model, self.user_label, self.class_full_name = model, user_label, class_full_name

    def to_json(self):
        return {"classFullName": self.class_full_name, "model": self.model, "userLabel": self.user_label}


class Relationship:
    """A link-table relationship with its own properties."""

    def __init__(self, class_full_name, source_id, target_id, properties=None):
        self.class_full_name, self.source_id, self.target_id = class_full_name, source_id, target_id
        self.properties = properties or {}

    @staticmethod
    def group_member(group, member, priority):
        return Relationship(GROUP_MEMBERS, group, member, {"memberPriority": priority})

    @staticmethod
    def element_has_links(element, link):
        return Relationship("BisCore:ElementHasLinks", element, link)

    def to_json(self):
        return {"classFullName": self.class_full_name, "sourceId": self.source_id, "targetId": self.target_id,
                **self.properties}


class Partition:
    """A partition of `kind` (see PARTITION_KINDS) under the job subject."""

    def __init__(self, kind, job_subject, name):
        self.kind, self.job_subject, self.name = kind, job_subject, name

    def to_json(self):
        return {"classFullName": PARTITION_KINDS[self.kind][0], "model": "0x1",
                "parent": {"id": self.job_subject, "relClassName": "BisCore:SubjectOwnsPartitionElements"},
                "code": {"spec": PARTITION_SPEC, "scope": self.job_subject, "value": self.name}}


class Model:
    """The model of a partition (its id will be the partition's)."""

    def __init__(self, kind, partition):
        self.kind, self.partition = kind, partition

    def to_json(self):
        return {"classFullName": PARTITION_KINDS[self.kind][1], "modeledElement": {"id": self.partition}}
