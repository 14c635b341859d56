"""Walking an experiment's history: runs, tombstones and merges, never into source code."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from dulwich.objects import Commit

from gx.store import objects as gobj
from gx.store.bulk import CommitPrefetch
from gx.store.repo import Store


@dataclass
class Entry:
    """One commit gx wrote on an experiment ref."""

    sha: bytes
    kind: str
    run_id: str | None
    time: int
    trailers: dict[str, str]
    commit: Commit

    @property
    def event_time(self) -> float:
        try:
            return float(self.trailers.get("Gx-Time", self.time))
        except ValueError:
            return float(self.time)


def history_parents(commit: Commit, trailers: dict[str, str]) -> list[bytes]:
    """The parents that continue the experiment's history (the source-code parent is skipped)."""
    kind = trailers.get("Gx-Kind")
    if kind == gobj.KIND_INIT:
        return []
    if kind == gobj.KIND_MERGE:
        return list(commit.parents)
    if kind is None:  # a commit gx did not write: stay on the first-parent line
        return list(commit.parents[:1])
    source = trailers.get("Gx-Source", "").encode()
    return [p for p in commit.parents if p != source][:1] if kind == gobj.KIND_RUN else list(commit.parents[:1])


def walk(store: Store, tips: bytes | Iterable[bytes], stop: AbstractSet[bytes] = frozenset()) -> Iterator[Entry]:
    """Every gx commit reachable from ``tips``, newest first, each once; ``stop`` commits are not entered.
    A long walk reads its commits in batches through git when it can (``gx.store.bulk``)."""
    commits = CommitPrefetch(store, stop)
    heap: list[tuple[int, int, bytes, Commit]] = []
    counter = 0
    seen: set[bytes] = set()
    for tip in [tips] if isinstance(tips, bytes) else tips:
        if tip in seen:
            continue
        seen.add(tip)
        first: Commit = commits.get(tip)  # type: ignore[assignment]
        counter += 1
        heapq.heappush(heap, (-first.commit_time, counter, tip, first))
    while heap:
        _, _, sha, commit = heapq.heappop(heap)
        if sha in stop:
            continue
        trailers = gobj.trailers_of(commit)
        kind = trailers.get("Gx-Kind", "")
        yield Entry(sha, kind, trailers.get("Gx-Run"), commit.commit_time, trailers, commit)
        for parent in history_parents(commit, trailers):
            if parent not in seen:
                seen.add(parent)
                try:
                    parent_commit: Commit = commits.get(parent, [item[2] for item in heap])  # type: ignore[assignment]
                except KeyError:  # shallow or partial clone: history ends here
                    continue
                if parent_commit.type_name != b"commit":  # a hostile object: history ends here too
                    continue
                counter += 1
                heapq.heappush(heap, (-parent_commit.commit_time, counter, parent, parent_commit))


@dataclass
class ExperimentHistory:
    experiment: str
    runs: list[Entry]  # newest first
    deleted: set[str]


def generations(entries: Iterable[Entry], known: Callable[[bytes], int | None] = lambda sha: None) -> dict[bytes, int]:
    """Each entry's generation: one more than its highest history parent's (a root is 1; a parent
    neither walked nor ``known`` counts as 0). A descendant always has a higher generation than its
    ancestors, whatever dates its commits claim, so ordering by generation is history order."""
    parents = {e.sha: history_parents(e.commit, e.trailers) for e in entries}
    out: dict[bytes, int] = {}
    for start in parents:
        stack = [start]
        while stack:
            sha = stack[-1]
            if sha in out:
                stack.pop()
                continue
            pending = [p for p in parents[sha] if p in parents and p not in out]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            out[sha] = 1 + max((out[p] if p in parents else known(p) or 0 for p in parents[sha]), default=0)
    return out


def deleted_runs(entries: list[Entry]) -> set[str]:
    """Apply delete/restore events in history order: the latest event per run wins. Order is by
    generation (a restore written on top of a delete always wins, whatever date the delete claims),
    then, for events on diverged lines, by time."""
    gen = generations(entries)
    events = sorted(
        (e for e in entries if e.kind in (gobj.KIND_DELETE, gobj.KIND_RESTORE) and e.run_id),
        key=lambda e: (gen[e.sha], e.event_time, e.time),
    )
    state: dict[str, bool] = {}
    for e in events:
        state[e.run_id] = e.kind == gobj.KIND_DELETE  # type: ignore[index]
    return {run for run, gone in state.items() if gone}


def experiment_tips(store: Store, experiment: str) -> list[bytes]:
    """The local tip and any remote-tracking tips of one experiment."""
    return [sha for name, sha in store.experiment_refs().values() if name == experiment]


def read_history(store: Store, experiment: str, tips: Iterable[bytes] | None = None) -> ExperimentHistory:
    tips = list(tips) if tips is not None else experiment_tips(store, experiment)
    if not tips:
        return ExperimentHistory(experiment, [], set())
    entries = list(walk(store, tips))
    runs = [e for e in entries if e.kind == gobj.KIND_RUN and e.run_id]
    return ExperimentHistory(experiment, runs, deleted_runs(entries))
