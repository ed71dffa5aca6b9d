"""The SDK for iTwin connectors in Python, for itwin-host (componentize-py components).

    from itwin_connector import Connector, Info, export, sync

    class Hello(Connector):
        def info(self):
            return Info("Hello", "1.0.0", "Says hello")
        def open_source_data(self, source):
            sync.log("info", f"reading {source}")
        def update_existing_data(self):
            pass

    Connector = export(Hello)   # in the app module componentize-py builds

The same concepts as the Rust and TypeScript SDKs: docs/sdk.md in the itwin-host repository.
"""

from . import sync
from .checksum import canonical, checksum
from .connector import Connector, Counts, Info, export
from .errors import ConnectorError, SyncError, context, describe
from .props import (GROUP_MEMBERS, PARTITION_SPEC, Appearance, Code, Geometry, Group, Model, Partition,
                    PhysicalElement, Placement, Relationship, SpatialCategory, SubCategory, tbgr)

__all__ = ["sync", "canonical", "checksum", "Connector", "Counts", "Info", "export", "ConnectorError", "SyncError",
           "context", "describe", "GROUP_MEMBERS", "PARTITION_SPEC", "Appearance", "Code", "Geometry", "Group",
           "Model", "Partition", "PhysicalElement", "Placement", "Relationship", "SpatialCategory", "SubCategory",
           "tbgr"]
