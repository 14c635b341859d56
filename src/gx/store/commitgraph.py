"""Counting the runs of a whole history through one ``git log`` when git is on PATH.

A new experiment, pushed or pulled, is reported with its number of runs; walking 10,000 commits
one dulwich lookup at a time costs longer than git's transfer of them. ``git log`` lists every
reachable commit with its parents and message in one pass; the walk over history parents (never
into a run's source) and the ``Gx-*`` trailers stay gx's own, as in ``merge.relate``.

A pull has already read every commit it received (to check it): ``remember`` keeps them for the
store, and a history made of those alone is counted from them, without running ``git log``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable
from weakref import WeakKeyDictionary

from gx.store import gitwire
from gx.store import objects as gobj
from gx.store.history import history_parents
from gx.store.repo import Store

_SHA = re.compile(rb"^[0-9a-f]{40}$")


@dataclass
class _Parents:
    parents: list[bytes]


#: Raw commits a fetch received and stored, by store: ``{id: raw commit}`` (content-addressed, so
#: never stale). They live as long as the store object.
_RECEIVED: WeakKeyDictionary[Store, dict[bytes, bytes]] = WeakKeyDictionary()


def remember(store: Store, commits: Mapping[bytes, bytes]) -> None:
    """Keep raw commits just received into ``store`` for ``history_runs``."""
    if commits:
        _RECEIVED.setdefault(store, {}).update(commits)


def history_runs(store: Store, tip: bytes) -> int | None:
    """Runs reachable from ``tip`` over history parents, or None: no git, or its answer unusable."""
    received = _runs_in_received(_RECEIVED.get(store, {}), tip)
    if received is not None:
        return received
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
    return _count_runs(tip, graph.get, missing_ends_it=False)  # a commit not listed: a shallow boundary


def _count_runs(tip: bytes, node: Callable[[bytes], tuple[list[bytes], dict[str, str]] | None],
                missing_ends_it: bool) -> int | None:
    """Runs reachable from ``tip`` over history parents, ``node(id)`` giving a commit's parents and
    trailers; a commit it does not know is skipped, or (``missing_ends_it``) makes the answer None."""
    count, seen, stack = 0, {tip}, [tip]
    while stack:
        found = node(stack.pop())
        if found is None:
            if missing_ends_it:
                return None
            continue
        parents, trailers = found
        count += trailers.get("Gx-Kind") == gobj.KIND_RUN and "Gx-Run" in trailers
        for parent in history_parents(_Parents(parents), trailers):  # type: ignore[arg-type]
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return count


def _runs_in_received(commits: Mapping[bytes, bytes], tip: bytes) -> int | None:
    """The count from raw commits a fetch received, or None when the history leaves them (it goes
    on in commits stored before: ``git log`` answers)."""

    def node(sha: bytes) -> tuple[list[bytes], dict[str, str]] | None:
        raw = commits.get(sha)
        if raw is None:
            return None
        header, _, message = raw.partition(b"\n\n")
        parents = []
        for line in header.split(b"\n")[1:]:  # after the tree, as git reads them
            if not line.startswith(b"parent "):
                break
            parents.append(line[7:].lower())
        return parents, gobj.trailers_in(message)

    return _count_runs(tip, node, missing_ends_it=True)
