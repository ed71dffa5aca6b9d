import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from itwin_connector import (Appearance, Code, ConnectorError, Geometry, Partition, PhysicalElement,  # noqa: E402
                             Placement, Relationship, SyncError, context, describe, tbgr)
from itwin_connector.sync import batches  # noqa: E402


class Builders(unittest.TestCase):
    def test_an_element_with_a_child(self):
        child = PhysicalElement("0x20", "0x11", Placement([1, 0, 0]), [Geometry.cylinder([0, 0, 0], [0, 0, 1], 0.5)],
                                user_label="motor", child_id="motor")
        element = PhysicalElement("0x20", "0x11", Placement([1, 2, 0], yaw=90),
                                  [Geometry.box([-0.5, -1, 0], [1, 2, 3])], code=Code("X:Tag", "0x20", "P-1"),
                                  user_label="pump", json_properties={"X": {"a": 1}}, children=[child])
        self.assertEqual(element.to_json(), {
            "classFullName": "Generic:PhysicalObject", "model": "0x20", "category": "0x11",
            "placement": {"origin": [1, 2, 0], "angles": {"yaw": 90}},
            "geom": [{"box": {"baseOrigin": [-0.5, -1, 0], "baseX": 1, "baseY": 2, "topOrigin": [-0.5, -1, 3],
                              "capped": True}}],
            "code": {"spec": "X:Tag", "scope": "0x20", "value": "P-1"}, "userLabel": "pump",
            "jsonProperties": {"X": {"a": 1}},
            "children": [{"classFullName": "Generic:PhysicalObject", "model": "0x20", "category": "0x11",
                          "placement": {"origin": [1, 0, 0], "angles": {}}, "childId": "motor", "userLabel": "motor",
                          "geom": [{"cylinder": {"start": [0, 0, 0], "end": [0, 0, 1], "radius": 0.5,
                                                 "capped": True}}]}],
        })

    def test_definitions_and_relationships(self):
        self.assertEqual(tbgr("#ff0000"), 0x0000ff)
        self.assertEqual(tbgr("#0000ff"), 0xff0000)
        with self.assertRaises(ValueError):
            tbgr("red")
        self.assertEqual(Appearance(color="#00ff00").to_json(), {"color": 0x00ff00})
        self.assertEqual(Geometry.mesh([[0, 0, 0], [1, 0, 0], [1, 1, 0]], [[0, 1, 2]])["indexedMesh"]["pointIndex"],
                         [1, 2, 3, 0])
        self.assertEqual(Partition("physical", "0x2a", "Assets").to_json()["classFullName"],
                         "BisCore:PhysicalPartition")
        self.assertEqual(Relationship.group_member("0x30", "0x31", 2).to_json(),
                         {"classFullName": "BisCore:ElementGroupsMembers", "sourceId": "0x30", "targetId": "0x31",
                          "memberPriority": 2})


class Errors(unittest.TestCase):
    def test_errors_read_as_the_host_shows_them(self):
        self.assertEqual(describe(KeyError("pumps")), "KeyError: 'pumps'")
        self.assertEqual(describe(SyncError("duplicate-code", "code P-1 is taken")), "duplicate-code: code P-1 is taken")
        with self.assertRaises(ConnectorError) as raised:
            with context("asset A-1"):
                raise ValueError("bad\nsize")
        self.assertEqual(describe(raised.exception), "asset A-1: ValueError: bad size")


class Batches(unittest.TestCase):
    def test_batches_keep_to_items_and_bytes(self):
        sizes = [10] * 25
        self.assertEqual([len(b) for b in batches(sizes, lambda n: n, max_items=10, max_bytes=1000)], [10, 10, 5])
        self.assertEqual([len(b) for b in batches(sizes, lambda n: n, max_items=100, max_bytes=45)], [4] * 6 + [1])
        self.assertEqual([b for b in batches([5, 100, 5], lambda n: n, max_items=10, max_bytes=50)], [[5], [100], [5]])


if __name__ == "__main__":
    unittest.main()
