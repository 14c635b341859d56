"""Which problems refuse a received object: git's fsck levels and the user's fsck settings.

``git fsck --strict`` fails on errors and (being strict) on warnings; ``fsck.<id>`` changes a
level for fsck itself, and ``fetch.fsck.<id>`` / ``receive.fsck.<id>`` for what git checks on
fetch or receive when ``fetch.fsckObjects`` / ``receive.fsckObjects`` (or ``transfer.fsckObjects``)
is on. gx refuses what would make this repository fail ``git fsck --strict`` whatever the settings,
and, when fetch checking is on, what git's fetch would refuse too.
"""

from __future__ import annotations

from typing import Any

from gx.store.verify import BROKEN, Problem

FATAL, ERROR, WARN, INFO, IGNORE = "fatal", "error", "warn", "info", "ignore"

#: git's levels (fsck.h) for every message id checked here; --strict turns "warn" into "error".
LEVELS = {
    "nulInHeader": FATAL, "unterminatedHeader": FATAL,
    "badDate": ERROR, "badDateOverflow": ERROR, "badEmail": ERROR, "badName": ERROR, "badParentSha1": ERROR,
    "badTimezone": ERROR, "badTree": ERROR, "badTreeSha1": ERROR, "duplicateEntries": ERROR,
    "gitattributesBlob": ERROR, "gitattributesLarge": ERROR, "gitattributesLineLength": ERROR,
    "gitmodulesBlob": ERROR, "gitmodulesName": ERROR, "gitmodulesPath": ERROR, "gitmodulesSymlink": ERROR,
    "gitmodulesUpdate": ERROR, "gitmodulesUrl": ERROR, "missingAuthor": ERROR, "missingCommitter": ERROR,
    "missingEmail": ERROR, "missingNameBeforeEmail": ERROR, "missingSpaceBeforeDate": ERROR,
    "missingSpaceBeforeEmail": ERROR, "missingTree": ERROR, "multipleAuthors": ERROR, "treeNotSorted": ERROR,
    "zeroPaddedDate": ERROR,
    "emptyName": WARN, "fullPathname": WARN, "hasDot": WARN, "hasDotdot": WARN, "hasDotgit": WARN,
    "largePathname": WARN, "nullSha1": WARN, "nulInCommit": WARN, "zeroPaddedFilemode": WARN,
    "badFilemode": INFO, "gitattributesSymlink": INFO, "gitignoreSymlink": INFO, "gitmodulesParse": INFO,
    "mailmapSymlink": INFO,
}
_REFUSING_LEVELS = (FATAL, ERROR)


def _levels(config: Any, section: tuple[bytes, ...]) -> dict[str, str]:
    """``{message id (lower case): level}`` from every config file, the repository's winning."""
    out: dict[str, str] = {}
    for backend in reversed(getattr(config, "backends", [config])):
        try:
            items = list(backend.items(section))
        except KeyError:
            continue
        for key, value in items:
            level = value.decode("utf-8", "replace").strip().lower()
            if level in (ERROR, WARN, IGNORE):
                out[key.decode("utf-8", "replace").lower()] = level
    return out


class FsckPolicy:
    """Which problems refuse an object: git fsck --strict's levels (warnings count as errors) with
    the user's ``fsck.<id>``; when fetch-side checking is on, ``<side>.fsck.<id>`` is applied too.

    Problems that no setting can downgrade: git's fatal ones and broken links."""

    def __init__(self, config: Any, side: bytes | None) -> None:
        self._local = _levels(config, (b"fsck",))
        self._side = _levels(config, (side, b"fsck")) if side is not None else None

    @classmethod
    def for_fetch(cls, config: Any) -> FsckPolicy:
        """``fetch.fsckObjects`` (else ``transfer.fsckObjects``) adds ``fetch.fsck.<id>``."""
        return cls(config, b"fetch" if _checks_on(config, b"fetch") else None)

    @classmethod
    def for_receive(cls, config: Any) -> FsckPolicy | None:
        """What a repository's receive-pack checks: nothing unless ``receive.fsckObjects`` is on."""
        return cls(config, b"receive") if _checks_on(config, b"receive") else None

    def refuses(self, problem: Problem) -> bool:
        default = LEVELS.get(problem.msg_id, ERROR)
        if problem.msg_id == BROKEN or default == FATAL:
            return True
        strict = ERROR if default == WARN else default
        key = problem.msg_id.lower()
        if self._local.get(key, strict) in _REFUSING_LEVELS:
            return True
        return self._side is not None and self._side.get(key, strict) in _REFUSING_LEVELS


def _checks_on(config: Any, side: bytes) -> bool:
    """``<side>.fsckObjects``, else ``transfer.fsckObjects``, else off (as git reads them)."""
    for section in ((side,), (b"transfer",)):
        try:
            value = config.get_boolean(section, b"fsckObjects")
        except (KeyError, ValueError):
            value = None
        if value is not None:
            return bool(value)
    return False
