"""Typed errors. The CLI turns a GxError into one line on stderr and exit status 1."""

from __future__ import annotations


class GxError(Exception):
    """A user-facing error: the message says what is wrong and what to do."""

    exit_code = 1


class NotARepository(GxError):
    pass


class BadName(GxError):
    pass


class BadValue(GxError):
    pass


class ParamConflict(BadValue):
    pass


class UnknownRun(GxError):
    pass


class AmbiguousRun(GxError):
    pass


class UnknownExperiment(GxError):
    pass


class NoActiveRun(GxError):
    pass


class BadFile(GxError):
    """A missing, unreadable or unparseable input file (params, metrics, config)."""


class BadRecord(GxError):
    """A run's files, read back from git, are malformed or over a limit. Raised by the store's
    decoders with the file and the rule in the message; readers turn it into a ``BadRun``."""


class ArtifactTooLarge(GxError):
    pass


class StoreConflict(GxError):
    """A ref could not be moved after all retries."""


class FilterSyntaxError(GxError):
    """A malformed search filter; the message shows the filter with a caret."""

    def __init__(self, message: str, filter_string: str = "", position: int = 0) -> None:
        self.reason = message
        self.filter_string = filter_string
        self.position = position
        if filter_string:
            message = f"{message}\n  {filter_string}\n  {' ' * position}^"
        super().__init__(message)


class RemoteError(GxError):
    """A remote could not be reached or refused."""


class GxWarning(UserWarning):
    """Something was skipped but everything else worked (a malformed run from a teammate's clone,
    a ref pointing at a non-commit). The CLI prints the message as one line on stderr."""
