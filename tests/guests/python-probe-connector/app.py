"""A Python connector that misbehaves on purpose, for tests/e2e/lang_python.rs: its source file
says which probe to run ({"probe": "..."}) in open_source_data. Built by
scripts/build-python-guests.sh on the SDK."""

import json

from itwin_connector import Connector, Info, export, sync


class SourceBroken(Exception):
    """What a connector raises about its source."""


def probe(name):
    if name == "raise":
        raise SourceBroken("row 7 has no id")
    if name == "refused":
        # The root subject belongs to no job: the host refuses, and nothing catches it.
        sync.update_element({"id": "0x1", "userLabel": "mine now"})
    if name == "open-passwd":
        with open("/etc/passwd", encoding="utf-8") as file:
            sync.log("error", f"LEAKED: {file.read(20)}")
    if name == "loop":
        while True:
            pass
    if name == "memory":
        hoard = []
        while True:
            hoard.append(bytearray(16 << 20))


class Probe(Connector):
    def info(self):
        return Info("PythonProbe", "1.0.0", "Misbehaves as its source says", deletion="none")

    def open_source_data(self, source):
        with open(source, encoding="utf-8") as file:
            name = json.load(file)["probe"]
        sync.log("info", f"probe {name}")
        probe(name)

    def update_existing_data(self):
        pass


Connector = export(Probe)
