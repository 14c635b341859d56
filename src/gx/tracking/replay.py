"""Reading a run's journal back into a RunRecord, checking everything in it (``checks``).

What passes is recorded; what does not becomes a problem, and the caller keeps the journal aside
(``gx.tracking.setaside``) and says so.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Callable

from gx import limits, values
from gx.datafiles import first_line
from gx.errors import BadValue, GxError
from gx.records import ArtifactLink, LfsArtifact, MetricPoint, RunRecord
from gx.runinputs import from_checked, merge_input
from gx.tracking import journal
from gx.tracking.checks import MAX_TIME, Problems, Unrecordable, check_entry, check_meta
from gx.values import check_artifact_path

__all__ = ["Problems", "Unrecordable", "build_record", "load_meta", "read_entries"]


def _segment_bytes(segment: Path) -> bytes:
    """A segment's bytes; refuses anything but a regular file (a FIFO would block the reader)."""
    if not stat.S_ISREG(os.lstat(segment).st_mode):
        raise BadValue(f"{segment.name} is not a regular file")
    return segment.read_bytes()


def read_entries(run_dir: Path, unwritten: bytes = b"") -> tuple[list[tuple[Any, ...]], Problems]:
    """Every valid entry of every segment (then of ``unwritten``, lines held only in memory), in
    order, and the problems with the rest. The last line of a segment cut short by a crash, and a
    line a failed write tore (ending in '#', rewritten after it), are skipped without a problem."""
    entries: list[tuple[Any, ...]] = []
    problems = Problems()
    metric_keys: set[str] = set()
    sources: list[tuple[str, Callable[[], bytes]]] = [
        (p.name, lambda p=p: _segment_bytes(p)) for p in sorted(run_dir.glob(journal.SEGMENT_GLOB))
    ]
    if unwritten:
        sources.append(("unwritten lines", lambda: unwritten))
    for name, read in sources:
        try:
            lines = read().split(b"\n")
        except (OSError, GxError) as exc:
            problems.add(f"{name} cannot be read ({journal.describe(exc)})")
            continue
        lines.pop()  # empty after the last newline, or a line a crash cut short
        for number, raw in enumerate(lines, 1):
            if not raw.strip() or raw.endswith(b"#"):
                continue
            try:
                batch = json.loads(raw)
            except (ValueError, RecursionError):
                problems.add(f"{name} line {number} is not valid JSON")
                continue
            for entry in batch if isinstance(batch, list) else [batch]:
                fast = _known_metric(entry, metric_keys)
                if fast is not None:
                    entries.append(fast)
                    continue
                try:
                    checked = check_entry(entry)
                except GxError as exc:
                    problems.add(f"{name} line {number}: {exc}")
                    continue
                entries.append(checked)
                if checked[0] == "m":
                    metric_keys.add(checked[1])
    return entries, problems


def _known_metric(entry: Any, keys: set[str]) -> tuple[Any, ...] | None:
    """The common entry, a float of an already checked metric key at an integer step and a float
    time, checked inline (a long run has millions); None sends anything else to ``check_entry``."""
    if type(entry) is not list or len(entry) != 5 or entry[0] != "m" or entry[1] not in keys:
        return None
    _, key, value, step, ts = entry
    if type(value) is not float or type(step) is not int or type(ts) is not float:
        return None
    if not (-(2**63) <= step < 2**63 and 0.0 <= ts < MAX_TIME):
        return None
    return ("m", key, value, step, ts)


def load_meta(run_dir: Path) -> dict[str, Any]:
    """meta.json as a mapping; Unrecordable says why it cannot be read."""
    path = run_dir / journal.META_FILE
    if not os.path.lexists(path):
        raise Unrecordable("its meta.json is missing")
    try:
        meta = json.loads(limits.read_regular_file(path, limits.MAX_DOCUMENT_BYTES, "meta.json"))
    except GxError as exc:
        raise Unrecordable(str(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise Unrecordable(f"its meta.json is not valid JSON ({first_line(exc)})") from None
    if not isinstance(meta, dict):
        raise Unrecordable(f"its meta.json holds a {type(meta).__name__}, not a JSON object")
    return meta


def build_record(run_dir: Path, meta: dict[str, Any], unwritten: bytes = b"") -> tuple[RunRecord, str | None, Problems]:
    """Fold meta and journal into a record; returns it, the status the run ended with (if it did),
    and the problems with whatever was left out."""
    problems = Problems()
    rec = check_meta(meta, problems)
    entries, entry_problems = read_entries(run_dir, unwritten)
    for reason in entry_problems:
        problems.add(reason)
    problems.dropped += entry_problems.dropped
    ended: str | None = None
    logged_artifacts = set()
    for entry in entries:
        kind = entry[0]
        if kind in "mpt" and entry[1] not in _KEYS_OF[kind](rec) and len(_KEYS_OF[kind](rec)) >= limits.MAX_KEYS_PER_RUN:
            problems.add(f"{_NAMES[kind]} {entry[1]!r} is past the {limits.MAX_KEYS_PER_RUN:,} a run may hold")
        elif kind == "m":
            _, key, value, step, ts = entry
            rec.metrics.setdefault(key, []).append(MetricPoint(step, ts, value))
        elif kind == "p":
            rec.params.setdefault(entry[1], entry[2])
        elif kind == "t":
            rec.tags[entry[1]] = entry[2]
        elif kind == "n":
            rec.name = entry[1]
        elif kind == "a":
            logged_artifacts.add(entry[1])
        elif kind == "i":
            try:
                merge_input(rec.inputs, from_checked(entry[1]))
            except GxError as exc:
                problems.add(str(exc))
        elif kind == "e":
            ended, rec.end_time = entry[1], entry[2]
            if entry[3]:
                rec.error = entry[3]
    for points in rec.metrics.values():
        points.sort(key=lambda p: (p.step, p.timestamp))
    _read_staged(run_dir, rec, problems)
    for path in sorted(logged_artifacts - set(rec.artifacts)):
        problems.add(f"artifact {path!r} was logged but its staged file is missing")
    room = limits.MAX_FILES_PER_RUN - values.FIXED_RUN_FILES - len(rec.metrics)
    for path in sorted(rec.artifacts)[max(room, 0):]:
        del rec.artifacts[path]
        problems.add(f"artifact {path!r} is past the {limits.MAX_FILES_PER_RUN:,} files a run may hold")
    _bound_lfs_attributes(rec, problems)
    return rec, ended, problems


def _bound_lfs_attributes(rec: RunRecord, problems: Problems) -> None:
    """Drop the large files whose ``.gitattributes`` lines would pass what readers read (a journal
    written by hand; ``log_artifact`` refuses them at the call)."""
    from gx.store.encode import add_lfs_attribute

    used = 0
    for path in sorted(p for p, content in rec.artifacts.items() if isinstance(content, LfsArtifact)):
        try:
            used = add_lfs_attribute(used, path)
        except BadValue as exc:
            del rec.artifacts[path]
            problems.add(str(exc))


_KEYS_OF: dict[str, Callable[[RunRecord], dict[str, Any]]] = {
    "m": lambda rec: rec.metrics, "p": lambda rec: rec.params, "t": lambda rec: rec.tags,
}
_NAMES = {"m": "metric", "p": "param", "t": "tag"}
#: A staged pointer file is smaller than this (git-lfs's bound for a pointer).
_MAX_POINTER_BYTES = 1023


def _read_staged(run_dir: Path, rec: RunRecord, problems: Problems) -> None:
    """Artifacts, source patch, packages and output tails staged beside the journal."""
    art_root = run_dir / journal.ARTIFACTS
    for path in sorted(art_root.rglob("*")):
        name = path.relative_to(art_root).as_posix()
        try:
            if path.is_symlink():  # staged by log_artifact_link: record the link, never what it points to
                rec.artifacts[check_artifact_path(name)] = ArtifactLink(os.fsencode(os.readlink(path)))
            elif path.is_file():
                rec.artifacts[check_artifact_path(name)] = limits.read_regular_file(
                    path, limits.MAX_ARTIFACT_BYTES, "staged artifact")
        except (GxError, OSError) as exc:
            problems.add(f"staged artifact {name!r}: {journal.describe(exc)}")
    lfs_root = run_dir / journal.LFS_POINTERS
    for path in sorted(lfs_root.rglob("*")):  # large artifacts: their content is in the LFS store already
        name = path.relative_to(lfs_root).as_posix()
        try:
            if path.is_file() and not path.is_symlink():
                rec.artifacts[check_artifact_path(name)] = LfsArtifact(limits.read_regular_file(
                    path, _MAX_POINTER_BYTES, "staged LFS pointer"))
        except (GxError, OSError) as exc:
            problems.add(f"staged artifact {name!r}: {journal.describe(exc)}")
    try:
        patch = run_dir / journal.PATCH
        if patch.exists():
            rec.source_patch = patch.read_bytes()
        packages = run_dir / journal.PACKAGES
        if packages.exists():
            rec.packages = packages.read_text(encoding="utf-8").splitlines()
        for stream in ("stdout", "stderr"):
            tail = run_dir / journal.OUTPUT / f"{stream}.txt"
            if tail.exists():
                setattr(rec, f"{stream}_tail", tail.read_bytes() or None)
    except (OSError, ValueError) as exc:
        problems.add(f"a staged file cannot be read ({journal.describe(exc)})")
