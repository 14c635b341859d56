"""Counting the runs of a whole history through one ``git log`` when git is on PATH.

A new experiment, pushed or pulled, is reported with its number of runs; walking 10,000 commits
one dulwich lookup at a time costs longer than git's transfer of them. ``git log`` lists every
reachable commit with its parents and message in one pass; the walk over history parents (never
into a run's source) and the ``Gx-*`` trailers stay gx's own, as in ``merge.relate``.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from gx.store import gitwire
from gx.store import objects as gobj
from gx.store.history import history_parents
from gx.store.repo import Store

_SHA = re.compile(rb"^[0-9a-f]{40}$")


@dataclass
class _Parents:
    parents: list[bytes]


def history_runs(store: Store, tip: bytes) -> int | None:
    """Runs reachable from ``tip`` over history parents, or None: no git, or its answer unusable."""
    git = gitwire.git_binary()
    if git is None:
        return None
    env = gitwire.clean_env(GIT_DIR=str(store.paths.git_dir))
    proc = subprocess.run([git, "--no-replace-objects", "log", "-z", "--no-color", "--no-show-signature",
                           "--format=%H %P%n%B", tip.decode(), "--"], env=env, capture_output=True)
    if proc.returncode:
        return None
    graph: dict[bytes, tuple[list[bytes], dict[str, str]]] = {}
    for record in proc.stdout.split(b"\0"):
        if not record:
            continue
        head, _, message = record.partition(b"\n")
        sha, *parents = head.split()
        if not _SHA.match(sha) or not all(_SHA.match(p) for p in parents):
            return None  # a message with a NUL: let the walk in Python answer
        graph[sha] = (parents, gobj.trailers_in(message))
    count, seen, stack = 0, {tip}, [tip]
    while stack:
        found = graph.get(stack.pop())
        if found is None:
            continue  # beyond a shallow boundary
        parents, trailers = found
        count += trailers.get("Gx-Kind") == gobj.KIND_RUN and "Gx-Run" in trailers
        for parent in history_parents(_Parents(parents), trailers):  # type: ignore[arg-type]
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return count
