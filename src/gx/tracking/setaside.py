"""Journals gx cannot record in full are set aside, never deleted: ``.git/gx/lost/<run_id>/``.

A run whose meta.json is unusable, or whose journal holds entries that fail their rules, is moved
there whole (after its valid part is recorded, when it has one), with ``REASONS.txt`` saying what
was wrong. docs/format.md ("Journals set aside") tells the user what to do with it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from gx.paths import RepoPaths
from gx.tracking.journal import describe, shown_path
from gx.tracking.replay import Problems

LOST_DIR = "lost"
REASONS_FILE = "REASONS.txt"


def lost_dir(paths: RepoPaths) -> Path:
    return paths.gx_dir / LOST_DIR


def set_aside(paths: RepoPaths, run_dir: Path, reasons: list[str], recorded: bool) -> Path:
    """Move ``run_dir`` under ``.git/gx/lost/`` (a new name if one is taken) with its reasons;
    returns where it is now. The caller holds the run's lock, so nobody else is writing it."""
    target_root = lost_dir(paths)
    target_root.mkdir(parents=True, exist_ok=True)
    target = target_root / run_dir.name
    suffix = 1
    while os.path.lexists(target):
        target = target_root / f"{run_dir.name}.{suffix}"
        suffix += 1
    os.rename(run_dir, target)
    state = ("Its valid part was recorded; what is below was left out." if recorded
             else "It was not recorded.")
    text = "\n".join([f"gx set this journal aside: {state}", "", *reasons, ""])
    with contextlib.suppress(OSError):  # the message on stderr says it all; the journal is what matters
        (target / REASONS_FILE).write_text(text, encoding="utf-8")
    return target


def summary(problems: Problems | list[str]) -> str:
    """The first reason, and how many more there are."""
    total = problems.total() if isinstance(problems, Problems) else len(problems)
    more = f" (and {total - 1} more)" if total > 1 else ""
    return f"{problems[0]}{more}"


def keep_unrecordable(paths: RepoPaths, run_dir: Path, reason: str) -> str:
    """Set aside a run that cannot be recorded at all; returns the message for the user."""
    run = run_dir.name[:8]
    try:
        where = set_aside(paths, run_dir, [reason], recorded=False)
    except OSError as exc:
        return (f"cannot record run {run}: {reason}; its journal stays in {shown_path(run_dir)} "
                f"(it could not be moved aside: {describe(exc)})")
    return (f"cannot record run {run}: {reason}; its journal is kept in {shown_path(where)} "
            f"(see {REASONS_FILE} there, and 'Journals set aside' in docs/format.md)")


def keep_rest(paths: RepoPaths, run_dir: Path, problems: Problems) -> str:
    """Set aside the journal of a run recorded without its invalid part; returns the message."""
    run = run_dir.name[:8]
    count = problems.total()
    try:
        where = shown_path(set_aside(paths, run_dir, [*problems, *_dropped(problems)], recorded=True))
    except OSError as exc:
        where = f"{shown_path(run_dir)} (it could not be moved aside: {describe(exc)})"
    return (f"recorded run {run}, but left out {count} part{'s' if count > 1 else ''} of its journal: "
            f"{summary(problems)}; the whole journal is kept in {where} ({REASONS_FILE} there lists "
            "what was left out)")


def _dropped(problems: Problems) -> list[str]:
    return [f"... and {problems.dropped} more"] if problems.dropped else []
