"""The synchronizer, typed: every write of a connector goes through here. Calls take builders
(anything with `to_json()`) or dicts, and raise SyncError for the host's refusals. Batch calls
are cut to the host's limits, so a connector hands over as many items as it has.

The WIT bindings (`wit_world`) exist only inside a component build (componentize-py makes
them), so they are imported on first use: the pure parts of the SDK run on any Python.
"""

import json

from .errors import ConnectorError, SyncError, context
from .props import PARTITION_SPEC, Code, Model, Partition

__all__ = ["job_subject", "record_document", "detect", "detect_all", "update", "update_all", "seen", "seen_all",
           "insert_element", "update_element", "delete_element", "insert_model", "insert_relationship",
           "find_relationships", "delete_relationship", "find_element", "element_props", "ensure_code_spec",
           "set_source_units", "insert_partition", "find_model", "set_sub_category_appearance", "next_id",
           "connector_args", "progress", "log", "item", "document", "BATCH_ITEMS", "BATCH_BYTES", "SEEN_IDS"]

#: Items per batch call (the host takes at most 10,000).
BATCH_ITEMS = 10_000
#: Text per batch call (the host takes at most 64 MiB; half leaves room).
BATCH_BYTES = 32 << 20
#: Ids per on-elements-seen call (the host's limit).
SEEN_IDS = 100_000

_SYNC_ERRORS = {
    "SyncError_InvalidProps": "invalid-props", "SyncError_UnknownClass": "unknown-class",
    "SyncError_OutOfScope": "out-of-scope", "SyncError_DuplicateCode": "duplicate-code",
    "SyncError_NotFound": "not-found", "SyncError_WrongClass": "wrong-class",
    "SyncError_HostFailure": "host-failure",
}


# Imported with the module: componentize-py keeps the modules the app imported while it was
# initialised at build time, so bindings imported later would be missing from the component.
# Outside a component build (unit tests) they do not exist, and only the pure parts work.
try:
    from componentize_py_types import Err as _Err
    from wit_world.imports import host as _host
    from wit_world.imports import synchronizer as _synchronizer
    from wit_world.imports import types as _types
except ImportError:
    _Err = _host = _synchronizer = _types = None


def _wit():
    if _synchronizer is None:
        raise ConnectorError("the itwin:connector bindings are only there in a component (componentize-py)")
    return _synchronizer, _host, _types


def _sync_error(value) -> SyncError:
    return SyncError(_SYNC_ERRORS.get(type(value).__name__, "host-failure"), str(value.value))


def _call(function, *args):
    try:
        return function(*args)
    except _Err as error:
        raise _sync_error(error.value) from None


def _json(props) -> str:
    return json.dumps(props.to_json() if hasattr(props, "to_json") else props, separators=(",", ":"))


def item(id, kind=None, version=None, checksum=None, scope=None):
    """A source item to track: its id in the source, kind, version and checksum."""
    _, _, types = _wit()
    return types.SourceItem(id, kind, scope, version, checksum)


def document(docid, description=None, last_modified=None, checksum=None, url=None):
    """A source document to record."""
    _, _, types = _wit()
    return types.SourceDocument(docid, description, last_modified, checksum, url)


def job_subject() -> str:
    return _wit()[0].job_subject()


def record_document(doc):
    return _call(_wit()[0].record_document, doc)


def detect(source_item):
    return _call(_wit()[0].detect_changes, source_item)


def _item_bytes(source_item) -> int:
    return sum(len(s) for s in (source_item.id, source_item.kind, source_item.scope, source_item.version,
                                source_item.checksum) if s)


def batches(items, size, max_items=BATCH_ITEMS, max_bytes=BATCH_BYTES):
    """Cuts `items` into lists of at most `max_items` and, unless one item alone is larger,
    `max_bytes` by `size(item)`."""
    batch, bytes_ = [], 0
    for entry in items:
        n = size(entry)
        if batch and (len(batch) == max_items or bytes_ + n > max_bytes):
            yield batch
            batch, bytes_ = [], 0
        batch.append(entry)
        bytes_ += n
    if batch:
        yield batch


def detect_all(items):
    """Change detection for any number of items; one result per item, in order."""
    synchronizer = _wit()[0]
    results = []
    for batch in batches(items, _item_bytes):
        results.extend(_call(synchronizer.detect_changes_batch, batch))
    return results


def update(source_item, element) -> str:
    """Writes the element for `source_item` (inserted, or updated in place); returns its id."""
    return _call(_wit()[0].update_imodel, source_item, _json(element))


def update_all(pairs):
    """`update` for many (item, element) pairs; the ids in order. Each batch is sent whole; the
    first refusal is raised naming its item (and how many others were refused)."""
    synchronizer = _wit()[0]
    texts = [(source_item, _json(element)) for source_item, element in pairs]
    ids = []
    for batch in batches(texts, lambda pair: _item_bytes(pair[0]) + len(pair[1])):
        refused = []
        for (source_item, _), result in zip(batch, synchronizer.update_imodel_batch(batch)):
            if isinstance(result, _Err):
                refused.append((source_item.id, _sync_error(result.value)))
            else:
                ids.append(result.value)
        if refused:
            first_id, error = refused[0]
            more = f" (and {len(refused) - 1} more items refused)" if len(refused) > 1 else ""
            raise ConnectorError(f"item {first_id}: {error}{more}")
    return ids


def seen(element_id: str):
    _wit()[0].on_element_seen(element_id)


def seen_all(ids):
    synchronizer = _wit()[0]
    ids = list(ids)
    for start in range(0, len(ids), SEEN_IDS):
        synchronizer.on_elements_seen(ids[start:start + SEEN_IDS])


def insert_element(props) -> str:
    return _call(_wit()[0].insert_element, _json(props))


def update_element(props):
    _call(_wit()[0].update_element, _json(props))


def delete_element(element_id: str):
    _call(_wit()[0].delete_element, element_id)


def insert_model(props) -> str:
    return _call(_wit()[0].insert_model, _json(props))


def insert_relationship(props) -> str:
    return _call(_wit()[0].insert_relationship, _json(props))


def find_relationships(class_full_name: str, source: str):
    return _call(_wit()[0].find_relationships, class_full_name, source)


def delete_relationship(class_full_name: str, relationship_id: str):
    _call(_wit()[0].delete_relationship, class_full_name, relationship_id)


def find_element(code: Code):
    return _call(_wit()[0].find_element_by_code, code.spec, code.scope, code.value)


def element_props(element_id: str):
    text = _call(_wit()[0].element_props, element_id)
    return None if text is None else json.loads(text)


def ensure_code_spec(name: str, scope: str = "model") -> str:
    """`scope`: "repository", "model", "parent-element" or "related-element"."""
    _, _, types = _wit()
    member = {"repository": types.CodeScope.REPOSITORY, "model": types.CodeScope.MODEL,
              "parent-element": types.CodeScope.PARENT_ELEMENT,
              "related-element": types.CodeScope.RELATED_ELEMENT}[scope]
    return _call(_wit()[0].ensure_code_spec, name, member)


def set_source_units(metres_per_unit: float):
    _call(_wit()[0].set_source_units, float(metres_per_unit))


def insert_partition(kind: str, name: str) -> str:
    """A partition of `kind` ("physical", "definition", "group"...) named `name` under the job
    subject, and its model; returns the model's id (the partition's)."""
    job = job_subject()
    with context(f"partition {name}"):
        partition = insert_element(Partition(kind, job, name))
        return insert_model(Model(kind, partition))


def find_model(name: str) -> str:
    """The model of the job's partition `name`, as initialize_job created it."""
    job = job_subject()
    with context(f"partition {name}"):
        found = find_element(Code(PARTITION_SPEC, job, name))
    if found is None:
        raise ConnectorError(f"partition {name} is missing under job subject {job}")
    return found


def next_id(element_id: str) -> str:
    """`0x1a` -> `0x1b`."""
    return hex(int(element_id, 16) + 1)


def set_sub_category_appearance(category: str, appearance):
    """Sets what `appearance` gives on a category's default SubCategory (id + 1), keeping the rest."""
    sub_category = next_id(category)
    props = element_props(sub_category)
    if props is None:
        raise ConnectorError(f"default SubCategory {sub_category} is missing")
    merged = dict(props.get("appearance") or {})
    merged.update(appearance.to_json())
    update_element({"id": sub_category, "classFullName": props.get("classFullName", "BisCore:SubCategory"),
                    "appearance": merged})


def connector_args() -> dict:
    """The job's connectorArgs ({} when none were given)."""
    try:
        return json.loads(_wit()[1].connector_args())
    except ValueError:
        return {}


def progress(done: int, total=None):
    _wit()[1].progress(done, total)


def log(level: str, message: str):
    """`level`: "trace", "debug", "info", "warn" or "error"."""
    _, host, types = _wit()
    host.log(types.LogLevel[level.upper()], message)
