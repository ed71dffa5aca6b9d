import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from itwin_connector import canonical, checksum  # noqa: E402

ASSET = {"id": "A-0001", "tag": "P-101", "name": "Raw water pump 1", "category": "pumps", "version": 1,
         "position": [12.5, 4.0, 0.0], "yaw": 90, "size": [1.6, 0.8, 1.1], "shape": "horizontal-cylinder",
         "properties": {"manufacturer": "Grundfos", "ratedFlowM3h": 420}, "parts": []}


class SharedVectors(unittest.TestCase):
    """docs/sdk.md's vectors, which every SDK's tests check."""

    def test_vectors(self):
        vectors = [
            ({}, "{}", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
            ({"b": 1, "a": [1.5, "x", True, None], "c": 90.0, "é": "ü\n\u001f\"\\"},
             '{"a":[1.5,"x",true,null],"b":1,"c":90,"é":"ü\\n\\u001f\\"\\\\"}',
             "bba879fdb8817c8f5b7c53632cc5d26aac7f95d9f0abbc60235abaf5237b5ba5"),
            ([0.30000000000000004, 1e21, 1e-7, -0.0, 123456789012, 1e20, 0.000001, 2.5e-8, -12.75],
             "[0.30000000000000004,1e+21,1e-7,0,123456789012,100000000000000000000,0.000001,2.5e-8,-12.75]",
             "5515bf0340d62eebc5f4473506a7e6c5af60ec0871c7bee7c960919e7c7bb7b3"),
            (ASSET,
             '{"category":"pumps","id":"A-0001","name":"Raw water pump 1","parts":[],"position":[12.5,4,0],'
             '"properties":{"manufacturer":"Grundfos","ratedFlowM3h":420},"shape":"horizontal-cylinder",'
             '"size":[1.6,0.8,1.1],"tag":"P-101","version":1,"yaw":90}',
             "6cb76b31c9fb54bc35bab22d00767142eb32936b19bb9d7875ac53a7a983d966"),
        ]
        for value, text, digest in vectors:
            self.assertEqual(canonical(value), text)
            self.assertEqual(checksum(value), digest)

    def test_keys_sort_by_utf16_code_units(self):
        self.assertEqual(canonical({"\uff61": 1, "\U0001f600": 2}), '{"\U0001f600":2,"\uff61":1}')

    def test_numbers_print_as_in_javascript(self):
        for value, text in [(1e-6, "0.000001"), (1.5e-7, "1.5e-7"), (123.456, "123.456"), (-1e22, "-1e+22"),
                            (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308")]:
            self.assertEqual(canonical(value), text)
        with self.assertRaises(ValueError):
            canonical(float("nan"))


if __name__ == "__main__":
    unittest.main()
