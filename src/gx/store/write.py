"""Writing runs and tombstones onto experiment refs."""

from __future__ import annotations

import functools
import time

from dulwich.objects import ShaFile

from gx.records import RunRecord
from gx.store import objects as gobj
from gx.store.encode import FORMAT_VERSION, TOMBSTONE_FILE, encode_files
from gx.store.history import walk
from gx.store.loose import has_object
from gx.store.packs import merge_small_packs
from gx.store.repo import Store
from gx.store.summary import SUMMARY_HEADER, encode_summary
from gx.yamlwrite import dump


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 20 else text[:19] + "…"


def run_subject(rec: RunRecord) -> str:
    """``<name>: alpha=0.1 → rmse=5.21 [FINISHED]``: git log --oneline reads as a leaderboard."""
    params = " ".join(f"{k}={_short(v)}" for k, v in list(rec.params.items())[:6])
    metrics = " ".join(f"{k}={_short(v)}" for k, v in list(rec.latest_metrics().items())[:4])
    middle = " → ".join(p for p in (params, metrics) if p)
    name = rec.name or rec.run_id[:8]
    return gobj.subject_line([f"{name}:" if middle else name, middle], width=92) + f" [{rec.status}]"


def summary_headers(rec: RunRecord) -> list[tuple[bytes, bytes]]:
    """The run commit's ``gx-summary`` header (none when the summary is too long: readers use the tree)."""
    summary = encode_summary(rec)
    return [(SUMMARY_HEADER, summary)] if summary is not None else []


def write_run(store: Store, rec: RunRecord) -> bytes:
    """Encode the record into objects and append its commit; returns the commit id.

    The source snapshot commit (``rec.source['snapshot']`` or ``['commit']``) becomes the
    second parent, so pushing the experiment carries the code the run ran.
    """
    new: list[ShaFile] = []
    tree = gobj.build_tree(encode_files(rec), new)
    source = rec.source.get("snapshot") or rec.source.get("commit")
    source_sha = source.encode("ascii") if source and has_object(store, source.encode("ascii")) else None
    identity = store.identity()
    when = rec.end_time or time.time()
    trailers = {
        "Gx-Kind": gobj.KIND_RUN,
        "Gx-Run": rec.run_id,
        "Gx-Experiment": rec.experiment,
        "Gx-Source": source_sha.decode() if source_sha else None,
        "Gx-Format": str(FORMAT_VERSION),
    }
    subject = run_subject(rec)
    headers = summary_headers(rec)

    def make(parent: bytes) -> gobj.Commit:
        parents = [parent] + ([source_sha] if source_sha else [])
        return gobj.make_commit(tree, parents, subject, trailers, identity, when, headers=headers)

    commit = store.append(rec.experiment, make, objects=new)
    merge_small_packs(store.repo.object_store, store.fsynced_parts())
    return commit.id


def write_tombstone(store: Store, experiment: str, run_id: str, kind: str, name: str = "") -> bytes:
    """Append a delete/restore event for a run; history is never rewritten."""
    now = time.time()
    new: list[ShaFile] = []
    content = dump({"run": run_id, "action": kind, "time": now}).encode()
    tree = gobj.build_tree({TOMBSTONE_FILE: content}, new)
    store.add_objects(new)
    label = name or run_id[:8]
    trailers = {"Gx-Kind": kind, "Gx-Run": run_id, "Gx-Experiment": experiment, "Gx-Time": repr(now)}
    identity = store.identity()

    def make(parent: bytes) -> gobj.Commit:
        return gobj.make_commit(tree, [parent], f"{kind} {label} ({run_id[:8]})", trailers, identity, now)

    return store.append(experiment, make).id


def run_is_recorded(store: Store, experiment: str, run_id: str, since: float | None) -> bool:
    """Whether ``run_id`` is already on the experiment (history newer than ``since`` is searched)."""
    tip = store.tip(experiment)
    if tip is None:
        return False
    horizon = (since or 0) - 86400  # commit times are whole seconds and clocks drift
    for entry in walk(store, tip):
        if entry.run_id == run_id and entry.kind == gobj.KIND_RUN:
            return True
        if entry.time < horizon:
            return False
    return False


def _chain(store: Store, prepared: list[tuple[RunRecord, gobj.Tree]], parent: bytes, identity: bytes,
           commits: list[gobj.Commit]) -> gobj.Commit:
    """Commits for ``prepared`` runs on top of ``parent``, all but the last written in one pack."""
    commits.clear()
    for rec, tree in prepared:
        trailers = {"Gx-Kind": gobj.KIND_RUN, "Gx-Run": rec.run_id, "Gx-Experiment": rec.experiment,
                    "Gx-Format": str(FORMAT_VERSION)}
        commit = gobj.make_commit(tree, [parent], run_subject(rec), trailers, identity, rec.end_time or time.time(), tz=0,
                                  headers=summary_headers(rec))
        commits.append(commit)
        parent = commit.id
    store.repo.object_store.add_objects([(c, None) for c in commits[:-1]])
    return commits[-1]


def write_runs_bulk(store: Store, records: list[RunRecord], batch: int = 5000) -> list[bytes]:
    """Append many runs to one experiment fast: one pack per batch, one ref update per batch.

    The same encoding and commit code as ``write_run``; used for imports and synthetic stores.
    """
    if not records:
        return []
    experiment = records[0].experiment
    if any(r.experiment != experiment for r in records):
        raise ValueError("write_runs_bulk takes runs of one experiment")
    identity = store.identity()
    ids: list[bytes] = []
    for start in range(0, len(records), batch):
        objects: list[ShaFile] = []
        prepared = [(rec, gobj.build_tree(encode_files(rec), objects)) for rec in records[start : start + batch]]
        unique = {o.id: o for o in objects}
        store.repo.object_store.add_objects([(o, None) for o in unique.values()])
        commits: list[gobj.Commit] = []
        store.append(experiment, functools.partial(_chain, store, prepared, identity=identity, commits=commits))
        ids.extend(c.id for c in commits)
    return ids
