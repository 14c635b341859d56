"""Nested runs (``start_run(nested=True)``, autologged searches, sweeps): a parent's children as a
filter for the one query engine, and a listing ordered as a tree with each child under its parent."""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable, NamedTuple

from gx.records import FINISHED, LEGACY_PARENT_TAG, PARENT_TAG, RunSummary

#: Deeper nesting is shown at this depth (a hostile chain of parent tags stays a bounded indent).
MAX_DEPTH = 8


def children_filter(parent_run_id: str, filter_string: str = "") -> str:
    """``filter_string`` narrowed to the children of ``parent_run_id`` (either parent tag)."""
    quoted = parent_run_id.replace("'", "")
    clause = f"(tags.`{PARENT_TAG}` = '{quoted}' or tags.`{LEGACY_PARENT_TAG}` = '{quoted}')"
    return f"{clause} and ({filter_string})" if filter_string.strip() else clause


def resolve_run_id(spec: str) -> str:
    """A run spec (id, prefix, name, ``EXP~N``) as a full run id; a spec matching nothing is an error."""
    from gx.query.runs import open_store
    from gx.query.runspec import resolve_spec

    with open_store() as store:
        return resolve_spec(store, spec).run_id


def as_tree(runs: list[RunSummary]) -> list[tuple[RunSummary, int]]:
    """Each run with its depth: children right under their parent, in the listing's own order.
    A run whose parent is not listed stays where it is; parent tags that form a circle do not hide
    any run (each run appears exactly once)."""
    listed = {r.run_id for r in runs}
    children: dict[str, list[RunSummary]] = {}
    roots = []
    for run in runs:
        parent = run.parent_run_id
        if parent is not None and parent in listed and parent != run.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)
    out: list[tuple[RunSummary, int]] = []
    placed: set[str] = set()

    def place(run: RunSummary, depth: int) -> None:
        stack = [(run, depth)]
        while stack:
            current, level = stack.pop()
            if current.run_id in placed:
                continue
            placed.add(current.run_id)
            out.append((current, min(level, MAX_DEPTH)))
            stack.extend((child, level + 1) for child in reversed(children.get(current.run_id, [])))

    for run in roots:
        place(run, 0)
    for run in runs:  # only runs in a circle of parent tags are left
        place(run, 0)
    return out


class ChildrenSummary(NamedTuple):
    count: int
    statuses: dict[str, int]
    #: metric -> (goal, the FINISHED child with the best last value); the goal follows the name.
    best: dict[str, tuple[str, RunSummary]]


def summarize_children(children: list[RunSummary], goal_of: Callable[[str], str]) -> ChildrenSummary:
    """Counts by status and, per metric any FINISHED child has, the best child (NaN ignored)."""
    best: dict[str, tuple[str, RunSummary]] = {}
    for run in children:
        if run.status != FINISHED:
            continue
        for metric, value in run.metrics.items():
            if not isinstance(value, (int, float)) or math.isnan(value):
                continue
            goal, current = best.get(metric, (goal_of(metric), None))
            if current is None or (value < current.metrics[metric] if goal == "min" else value > current.metrics[metric]):
                best[metric] = (goal, run)
    return ChildrenSummary(len(children), dict(Counter(r.status for r in children)), best)
