"""Errors: the host's refusals (SyncError) and the one line a failed lifecycle call returns."""

from contextlib import contextmanager

__all__ = ["SyncError", "ConnectorError", "context", "describe"]


class SyncError(Exception):
    """The host refused a synchronizer request. `kind` is the WIT case (`duplicate-code`...),
    `message` the host's one line naming the element and the cause."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class ConnectorError(Exception):
    """A failure the connector describes itself; shown as its message alone."""


def describe(error: BaseException) -> str:
    """One line: a SyncError or ConnectorError as its text, anything else as `Type: message`
    (`KeyError: 'pumps'`)."""
    if isinstance(error, (SyncError, ConnectorError)):
        text = str(error)
    else:
        message = str(error)
        text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return " ".join(text.splitlines())


@contextmanager
def context(what: str):
    """`with context("asset P-101"):` puts `asset P-101: ` in front of what fails inside."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - every failure gets the context
        raise ConnectorError(f"{what}: {describe(error)}") from error
