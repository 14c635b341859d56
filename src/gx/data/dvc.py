"""The md5 DVC recorded for a file it tracks, so gx need not read the file again.

DVC records a tracked file's md5 and size in ``<file>.dvc`` beside it (``dvc add``) or in a
``dvc.lock`` of the stage that wrote it (``dvc repro``); both are YAML, read here with gx's limits.
A record is used only while it still describes the file: the same size, and the file not modified
after the record was written (``dvc add``/``repro`` write the record after hashing). Otherwise the
file is hashed as any other.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from gx import limits, yamlio
from gx.errors import GxError

_MD5 = re.compile(r"[0-9a-f]{32}\Z")


class DvcRecord(NamedTuple):
    md5: str
    record_file: Path  # the .dvc file or dvc.lock


def _load(path: Path) -> Any:
    try:
        return yamlio.load(limits.read_regular_file(path, limits.MAX_DOCUMENT_BYTES, "DVC file"))
    except (GxError, ValueError, yamlio.YAMLError):
        return None  # an unreadable record is no record: the file is hashed instead


def _matching_out(outs: Any, relative: str) -> str | None:
    """The md5 of the ``outs`` entry whose path is ``relative``, when it is a file's md5."""
    if not isinstance(outs, list):
        return None
    for out in outs:
        if isinstance(out, dict) and out.get("path") == relative:
            md5 = out.get("md5")
            return md5 if isinstance(md5, str) and _MD5.match(md5) else None  # "<md5>.dir" is a directory
    return None


def _lock_outs(lock: Any) -> list[Any]:
    stages = lock.get("stages") if isinstance(lock, dict) else None
    if not isinstance(stages, dict):
        return []
    return [out for stage in stages.values() if isinstance(stage, dict)
            for out in (stage.get("outs") or []) if isinstance(stage.get("outs"), list)]


def _candidates(file: Path, root: Path) -> list[tuple[Path, str, Any]]:
    """(record file, the tracked path as written there, its outs) for the file's .dvc and each dvc.lock
    from its folder up to the repository root."""
    found: list[tuple[Path, str, Any]] = []
    beside = file.with_name(file.name + ".dvc")
    if beside.is_file():
        doc = _load(beside)
        found.append((beside, file.name, doc.get("outs") if isinstance(doc, dict) else None))
    folder = file.parent
    while True:
        lock = folder / "dvc.lock"
        if lock.is_file():
            found.append((lock, file.relative_to(folder).as_posix(), _lock_outs(_load(lock))))
        if folder == root or folder.parent == folder:
            return found
        folder = folder.parent


def dvc_record(file: Path, root: Path, stat: os.stat_result) -> DvcRecord | None:
    """What DVC recorded for ``file`` (inside the repository at ``root``), if it still describes it."""
    try:
        file.relative_to(root)
    except ValueError:
        return None
    for record_file, relative, outs in _candidates(file, root):
        md5 = _matching_out(outs, relative)
        if md5 is None:
            continue
        entry = next(o for o in outs if isinstance(o, dict) and o.get("path") == relative)
        size = entry.get("size")
        if size is not None and size != stat.st_size:
            return None
        try:
            if stat.st_mtime_ns > record_file.stat().st_mtime_ns:
                return None
        except OSError:
            return None
        return DvcRecord(md5, record_file)
    return None
