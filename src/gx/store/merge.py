"""Two histories of one experiment: ancestry, fast-forward or a merge commit, and what a transfer sends.

Runs are never rewritten: a diverged experiment gets a ``merge`` commit whose parents are the local
and the remote tip, and the ref moves with compare-and-swap, so a run recorded meanwhile is kept.
"""

from __future__ import annotations

import heapq
import time
import zlib
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Callable, TypeVar

from dulwich.errors import ApplyDeltaError, ChecksumMismatch, FileFormatException
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, Tag, Tree
from dulwich.pack import UnpackedObject, full_unpacked_object

from gx.store import objects as gobj
from gx.store.commitgraph import history_runs
from gx.store.history import history_parents
from gx.store.refs import experiment_ref
from gx.store.repo import Store

_LOCAL, _REMOTE, _BOTH = 1, 2, 3
#: What reading another repository's broken or hostile object raises (besides KeyError: missing).
UNREADABLE = (FileFormatException, ChecksumMismatch, ApplyDeltaError, zlib.error, ValueError)
T = TypeVar("T")

#: What integrate() did to the local ref.
UP_TO_DATE, AHEAD, NEW, FAST_FORWARD, MERGED = "up to date", "ahead", "new", "fast-forward", "merged"


@dataclass
class Relation:
    """How two tips of one experiment relate, and how many runs each has that the other lacks."""

    local_has_remote: bool  # the remote tip is the local tip or one of its ancestors
    remote_has_local: bool
    local_only_runs: int
    remote_only_runs: int


@dataclass
class _Node:
    time: int
    parents: list[bytes]  # history parents only, or every parent when walking code too
    is_run: bool
    tree: bytes | None
    source: bytes | None  # a run's code parent
    present: bool = True  # False: not in this object store


def _node(objects: BaseObjectStore, sha: bytes, code: bool) -> _Node:
    """What a walk needs of a commit; a missing one (shallow clone) has no parents, and so has
    anything else (another repository's blob where a commit should be: the checks refuse it)."""
    try:
        commit = objects[sha]
        if not isinstance(commit, Commit):
            return _Node(0, [], False, None, None)
        commit.parents  # noqa: B018 - parse now: a malformed commit is a leaf, not a crash
    except KeyError:
        return _Node(0, [], False, None, None, present=False)
    except UNREADABLE:
        return _Node(0, [], False, None, None)
    trailers = gobj.trailers_of(commit)  # type: ignore[arg-type]
    is_run = trailers.get("Gx-Kind") == gobj.KIND_RUN and "Gx-Run" in trailers
    parents = list(commit.parents) if code else history_parents(commit, trailers)  # type: ignore[attr-defined, arg-type]
    source = trailers.get("Gx-Source", "").encode() or None if is_run else None
    return _Node(commit.commit_time, parents, is_run, commit.tree, source)  # type: ignore[attr-defined]


def _paint(objects: BaseObjectStore, ours: list[bytes], theirs: list[bytes], code: bool = False,
           cut: AbstractSet[bytes] = frozenset()) -> tuple[dict[bytes, int], dict[bytes, _Node]]:
    """Mark what is reachable from ``ours`` and/or ``theirs`` until only shared commits remain queued.

    Like git's merge-base walk, but it stops on staleness rather than on dates, so clock skew
    between machines costs time, never a wrong answer about ancestry. ``theirs`` reach no further
    than the ``cut`` commits (their shallow boundary).
    """
    flags: dict[bytes, int] = {}
    nodes: dict[bytes, _Node] = {}
    heap: list[tuple[int, int, bytes]] = []
    queued: set[bytes] = set()
    counter = 0
    live = 0  # queued commits not yet reached from both sides

    def paint(sha: bytes, bits: int) -> None:
        nonlocal counter, live
        old = flags.get(sha, 0)
        new = old | bits
        if new == old:
            return
        flags[sha] = new
        if sha in queued:
            live -= old != _BOTH and new == _BOTH
            return
        queued.add(sha)
        if sha not in nodes:
            nodes[sha] = _node(objects, sha, code)
        counter += 1
        heapq.heappush(heap, (-nodes[sha].time, counter, sha))
        live += new != _BOTH

    for sha in ours:
        paint(sha, _LOCAL)
    for sha in theirs:
        paint(sha, _REMOTE)
    while heap and live > 0:
        _, _, sha = heapq.heappop(heap)
        queued.discard(sha)
        bits = flags[sha]
        live -= bits != _BOTH
        if sha in cut and bits & _REMOTE:
            continue
        for parent in nodes[sha].parents:
            paint(parent, bits)
    return flags, nodes


def relate(store: Store, local: bytes | None, remote: bytes | None) -> Relation:
    """Compare two tips of one experiment over history parents (never into source code)."""
    flags, nodes = _paint(store.repo.object_store, [local] if local else [], [remote] if remote else [])
    return Relation(
        local_has_remote=remote is None or bool(flags.get(remote, 0) & _LOCAL),
        remote_has_local=local is None or bool(flags.get(local, 0) & _REMOTE),
        local_only_runs=sum(1 for sha, f in flags.items() if f == _LOCAL and nodes[sha].is_run),
        remote_only_runs=sum(1 for sha, f in flags.items() if f == _REMOTE and nodes[sha].is_run),
    )


def _peeled_commits(objects: BaseObjectStore, shas: list[bytes]) -> list[bytes]:
    """The commits among ``shas`` that this side has, annotated tags peeled (a remote advertises tags too)."""
    out = []
    for sha in shas:
        try:
            obj = objects[sha]
        except KeyError:
            continue
        while isinstance(obj, Tag) and obj.object[1] in objects:
            obj = objects[obj.object[1]]
        if isinstance(obj, Commit):
            out.append(obj.id)
    return out


def objects_to_send(objects: BaseObjectStore, wants: list[bytes], haves: list[bytes],
                    shallow: AbstractSet[bytes] = frozenset()) -> list[bytes]:
    """Every object reachable from ``wants`` (code included) that a side holding ``haves`` lacks.

    dulwich's own planner walks the whole history behind every have and scans whole packs for
    reusable deltas; this walks only the new commits and the trees of their known parents.
    """
    flags, nodes = _paint(objects, wants, _peeled_commits(objects, haves), code=True, cut=shallow)
    commits = [sha for sha, bits in flags.items() if bits == _LOCAL and nodes[sha].present]
    known: set[bytes] = set()
    for sha in commits:  # the receiver has everything below the trees of the commits it has
        for parent in nodes[sha].parents:
            if flags.get(parent, 0) & _REMOTE and parent != nodes[sha].source and nodes[parent].tree:
                _walk_tree(objects, nodes[parent].tree, known, known)  # type: ignore[arg-type]
    out: list[bytes] = list(commits)
    seen = set(known)
    for sha in commits:
        if nodes[sha].tree is not None:
            _walk_tree(objects, nodes[sha].tree, seen, out)
    return out


def _walk_tree(objects: BaseObjectStore, root: bytes, seen: set[bytes], out: list[bytes] | set[bytes]) -> None:
    """Add ``root`` and everything below it that is not in ``seen`` to ``out`` (and to ``seen``)."""
    add = out.add if isinstance(out, set) else out.append
    stack = [root]
    while stack:
        tree = stack.pop()
        if tree in seen:
            continue
        seen.add(tree)
        add(tree)
        try:
            node = objects[tree]
        except (KeyError, *UNREADABLE):  # another repository's broken tree: the
            continue  # receiving side's checks report it (a tree must be whole to be sent)
        if not isinstance(node, Tree):
            continue
        for entry in node.items():
            if entry.mode & 0o170000 == 0o040000:
                if entry.sha not in seen:
                    stack.append(entry.sha)
            elif entry.mode & 0o170000 != 0o160000 and entry.sha not in seen:  # not a submodule
                seen.add(entry.sha)
                add(entry.sha)


def counted(items: list[T], progress: Callable[[str], None] | None, verb: str) -> Iterator[T]:
    """``items``, reporting ``<verb> objects: n% (i/total)`` at most 4 times a second as they go."""
    last, total = 0.0, len(items)
    for i, item in enumerate(items, 1):
        if progress is not None and time.monotonic() - last > 0.25:
            last = time.monotonic()
            progress(f"{verb} objects: {100 * i // max(total, 1)}% ({i}/{total})\r")
        yield item
    if progress is not None and total:
        progress(f"{verb} objects: 100% ({total}/{total}), done.\n")


def pack_records(objects: BaseObjectStore, ids: list[bytes], progress: Callable[[str], None] | None = None,
                 verb: str = "Writing") -> Iterator[UnpackedObject]:
    """Pack records for ``ids``, with progress."""
    for sha in counted(ids, progress, verb):
        yield full_unpacked_object(objects[sha])


def count_runs(store: Store, tip: bytes) -> int:
    """Runs reachable from ``tip`` (what a push of a new experiment sends): git's log when it is there."""
    runs = history_runs(store, tip)
    return relate(store, tip, None).local_only_runs if runs is None else runs


def merge_commit(store: Store, experiment: str, local: bytes, remote: bytes, label: str) -> gobj.Commit:
    """A ``merge`` commit joining two tips; its tree is the experiment's init tree (no new blobs)."""
    tree = store.init_commit(experiment).tree
    from gx.store.encode import FORMAT_VERSION  # encode loads yaml: only a merge needs it

    trailers = {"Gx-Kind": gobj.KIND_MERGE, "Gx-Experiment": experiment, "Gx-Format": str(FORMAT_VERSION)}
    commit = gobj.make_commit(tree, [local, remote], f"merge {experiment} from {label}", trailers,
                              store.identity(), time.time())
    store.repo.object_store.add_object(commit)
    return commit


@dataclass
class Integration:
    """What integrate() did: the action, the new local tip, and the runs it brought in."""

    action: str
    tip: bytes
    received: int


def integrate(store: Store, experiment: str, remote_tip: bytes, label: str) -> Integration:
    """Make the local experiment contain ``remote_tip``: create, fast-forward, or merge, with CAS.

    The merge commit's parents depend on the local tip, so it is rebuilt after every lost race.
    """

    def decide(tip: bytes | None) -> tuple[bytes | None, Integration]:
        if tip is None:
            store.check_new_experiment(experiment)
            return remote_tip, Integration(NEW, remote_tip, count_runs(store, remote_tip))
        if tip == remote_tip:
            return None, Integration(UP_TO_DATE, tip, 0)
        rel = relate(store, tip, remote_tip)
        if rel.local_has_remote:
            return None, Integration(AHEAD, tip, 0)
        if rel.remote_has_local:
            return remote_tip, Integration(FAST_FORWARD, remote_tip, rel.remote_only_runs)
        merged = merge_commit(store, experiment, tip, remote_tip, label).id
        return merged, Integration(MERGED, merged, rel.remote_only_runs)

    return store.update_ref(experiment_ref(experiment), decide, message=f"gx: merge from {label}".encode())
