"""The connector base class and its export to componentize-py."""

from .errors import describe

__all__ = ["Connector", "Info", "Counts", "export"]


class Info:
    """Who the connector is; `deletion` is "channel" (the default), "file" or "none"."""

    def __init__(self, name, version, description, deletion="channel"):
        self.name, self.version, self.description, self.deletion = name, version, description, deletion


class Connector:
    """A connector's lifecycle, called by the host in the iTwin.js connector framework's order:
    info, open_source_data, import_domain_schema, import_dynamic_schema, job_subject_name,
    initialize_job (a job's first run only), import_definitions, update_existing_data - or
    unmap_source instead of the last two. Override `info`, `open_source_data` and
    `update_existing_data`; the others do nothing, as in the framework's BaseConnector.

    Raise anything: the SDK returns it to the host as one line naming the type
    (`KeyError: 'pumps'`), or the host's own message for a SyncError nothing caught."""

    def info(self) -> Info:
        raise NotImplementedError("a connector says who it is: override info()")

    def open_source_data(self, source: str):
        raise NotImplementedError("override open_source_data(source)")

    def import_domain_schema(self):
        pass

    def import_dynamic_schema(self):
        pass

    def job_subject_name(self, source: str):
        return None

    def initialize_job(self):
        pass

    def import_definitions(self):
        pass

    def update_existing_data(self):
        raise NotImplementedError("override update_existing_data()")

    def unmap_source(self, job_subject_name: str):
        pass


class Counts:
    """Change detection's answers, counted for a log line."""

    def __init__(self):
        self.new = self.changed = self.unchanged = 0

    def add(self, state):
        name = state.name.lower() if hasattr(state, "name") else str(state)
        setattr(self, name, getattr(self, name) + 1)

    def __str__(self):
        return f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged"


def export(connector_class):
    """The class componentize-py exports as `itwin:connector/connector`: in the app module,
    `Connector = export(MyConnector)`; outside a component build it returns `connector_class`
    as it is, so tests can import the app module. One instance serves the run (the host instantiates the
    component per run and calls it from one thread)."""
    try:
        from componentize_py_types import Err
        from wit_world import exports
        from wit_world.imports import types
    except ImportError:
        # Outside a component build (a unit test importing the app module): nothing to export.
        return connector_class

    instance = connector_class()

    def guard(method, *args):
        try:
            return method(*args)
        except Exception as error:  # noqa: BLE001 - the host gets every failure as one line
            raise Err(describe(error)) from None

    class Exported(exports.Connector):
        def info(self):
            info = instance.info()
            deletion = types.DeletionMode[info.deletion.upper()]
            return types.ConnectorInfo(info.name, info.version, info.description, deletion)

        def open_source_data(self, source):
            guard(instance.open_source_data, source)

        def import_domain_schema(self):
            guard(instance.import_domain_schema)

        def import_dynamic_schema(self):
            guard(instance.import_dynamic_schema)

        def job_subject_name(self, source):
            return instance.job_subject_name(source)

        def initialize_job(self):
            guard(instance.initialize_job)

        def import_definitions(self):
            guard(instance.import_definitions)

        def update_existing_data(self):
            guard(instance.update_existing_data)

        def unmap_source(self, job_subject_name):
            guard(instance.unmap_source, job_subject_name)

    return Exported
