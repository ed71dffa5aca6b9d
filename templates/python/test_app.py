"""The connector's unit tests, on the machine's Python: python3 -m unittest"""

import unittest

from app import element


class Items(unittest.TestCase):
    def test_an_item_is_a_box_standing_on_its_position(self):
        props = element({"id": "m1", "name": "Pin 1", "position": [1, 2, 0], "size": [2, 1, 3]}, "0x20", "0x11").to_json()
        self.assertEqual(props["userLabel"], "Pin 1")
        self.assertEqual(props["placement"]["origin"], [1, 2, 0])
        self.assertEqual(props["geom"][0]["box"]["baseOrigin"], [-1.0, -0.5, 0])
        self.assertEqual(props["geom"][0]["box"]["topOrigin"], [-1.0, -0.5, 3])


if __name__ == "__main__":
    unittest.main()
