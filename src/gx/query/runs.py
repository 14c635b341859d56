"""Reading runs: open the store, name experiments, list runs and experiments, resolve and load one run.

The verbs the CLI and the Python API share; ``search`` filters and sorts what ``list_runs`` returns."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from gx.errors import AmbiguousRun, BadRecord, UnknownExperiment, UnknownRun
from gx.paths import find_repo
from gx.records import BadRun, ExperimentInfo, RunRecord, RunSummary
from gx.store.decode import decode_files, decode_summary
from gx.store.history import Entry, read_history
from gx.store.refs import validate_experiment
from gx.store.repo import Store
from gx.tracking.entities import Run

if TYPE_CHECKING:
    from gx.query.index import Index

T = TypeVar("T")


def open_store(start: str | os.PathLike[str] | None = None, recover: bool = True) -> Store:
    """Open the enclosing repository's store, first recording any run whose process died."""
    paths = find_repo(start)
    if recover and paths.has_run_journals():  # else nothing to recover
        from gx.tracking.finalize import recover_dead_runs

        recover_dead_runs(paths)
    return Store(paths)


@dataclass
class RunRef:
    """Where a run lives: its experiment and its commit."""

    experiment: str
    run_id: str
    commit: bytes
    deleted: bool


def experiment_names(store: Store) -> list[str]:
    """Every experiment with history here, local or fetched from a remote (not yet merged)."""
    return sorted({name for name, _ in store.experiment_refs().values()})


def experiments_named(store: Store, names: Iterable[str] | None) -> list[str]:
    known = experiment_names(store)
    if not names:
        return list(known)
    out = []
    for name in names:
        validate_experiment(name)
        if name not in known:
            hint = f"; known: {', '.join(known)}" if known else "; no experiment has runs yet"
            raise UnknownExperiment(f"no experiment named {name!r}{hint}")
        out.append(name)
    return out


def iter_run_refs(store: Store, experiments: Iterable[str] | None = None) -> list[RunRef]:
    """Every run (deleted ones flagged) of the given experiments, newest first per experiment."""
    refs = []
    for exp in experiments_named(store, experiments):
        history = read_history(store, exp)
        seen: set[str] = set()
        for entry in history.runs:
            if entry.run_id in seen:  # the same run reached through two refs
                continue
            seen.add(entry.run_id or "")
            refs.append(RunRef(exp, entry.run_id or "", entry.sha, entry.run_id in history.deleted))
    return refs


def with_index(store: Store, read: Callable[[Index], T]) -> T | None:
    """``read(index)``, or None when there is no usable index (the caller then reads the refs).
    A damaged index is removed on the way, so the next command rebuilds it."""
    from gx.query.index import open_index
    from gx.query.index_rows import IndexDamaged

    index = open_index(store)
    if index is None:
        return None
    try:
        return read(index)
    except IndexDamaged:
        index.discard()
        return None
    finally:
        index.close()


def history_runs(store: Store, experiment: str, include_deleted: bool = False) -> list[RunSummary]:
    """One experiment's runs in history order, newest first: the order ``EXP~N`` counts in."""
    runs = with_index(store, lambda index: index.summaries([experiment], include_deleted, history_order=True))
    if runs is not None:
        return runs
    return readable_summaries(store, [r for r in iter_run_refs(store, [experiment]) if include_deleted or not r.deleted])


def readable_summaries(store: Store, refs: Iterable[RunRef]) -> list[RunSummary]:
    """The summaries of ``refs`` that can be read; each one that cannot is one warning."""
    out = []
    for ref in refs:
        try:
            out.append(_summary(store, ref))
        except BadRecord as exc:
            BadRun(ref.experiment, ref.run_id, ref.commit.decode(), str(exc)).warn()
    return out


def _summary(store: Store, ref: RunRef) -> RunSummary:
    tree = store.commit(ref.commit).tree
    rec = decode_summary(lambda path: store.read_blob(tree, path), ref.experiment, ref.run_id)
    rec.commit, rec.deleted = ref.commit.decode(), ref.deleted
    return RunSummary.from_record(rec)


def load_summary(store: Store, ref: RunRef) -> RunSummary:
    """One run's summary; an unreadable run is a ``BadRecord`` saying which run and why."""
    try:
        return _summary(store, ref)
    except BadRecord as exc:
        raise _unreadable(ref, exc) from None


def load_record(store: Store, ref: RunRef) -> RunRecord:
    """One run's full record; an unreadable run is a ``BadRecord`` saying which run and why."""
    try:
        rec = decode_files(store.read_tree_files(store.commit(ref.commit).tree), ref.experiment, ref.run_id)
    except BadRecord as exc:
        raise _unreadable(ref, exc) from None
    rec.commit, rec.deleted = ref.commit.decode(), ref.deleted
    return rec


def _unreadable(ref: RunRef, exc: BadRecord) -> BadRecord:
    return BadRecord(f"run {ref.run_id[:8]} in {ref.experiment!r} cannot be read: {exc}")


def list_runs(experiments: Iterable[str] | None = None, include_deleted: bool = False,
              deleted_only: bool = False, store: Store | None = None, shared: bool = False) -> list[RunSummary]:
    """Summaries of runs, newest first across experiments; each unreadable run is one warning.
    ``shared``: a long-lived reader (gx ui) that never modifies the summaries gets the same objects
    back for unchanged runs, with what it already decoded of them."""
    own = store is None
    store = store or open_store()
    try:
        names = experiments_named(store, experiments) if experiments else None
        indexed = with_index(store, lambda index: index.summaries(names, include_deleted, deleted_only, shared=shared))
        if indexed is not None:
            return indexed
        runs = readable_summaries(store, [r for r in iter_run_refs(store, names)
                                          if (r.deleted if deleted_only else include_deleted or not r.deleted)])
    finally:
        if own:
            store.close()
    runs.sort(key=lambda r: r.start_time or 0.0, reverse=True)
    return runs


def list_experiments(store: Store | None = None) -> list[ExperimentInfo]:
    own = store is None
    store = store or open_store()
    try:
        indexed = with_index(store, lambda index: index.experiments(experiments_named(store, None)))
        if indexed is not None:
            return indexed
        out = []
        for exp in experiments_named(store, None):
            history = read_history(store, exp)
            ids = {e.run_id for e in history.runs}
            newest = next((e for e in history.runs if e.run_id not in history.deleted), None)
            newest_run = readable_summaries(store, [RunRef(exp, newest.run_id or "", newest.sha, False)]) if newest else []
            last = newest_run[0].start_time if newest_run else None
            out.append(ExperimentInfo(exp, len(ids - history.deleted), len(ids & history.deleted), last))
        return out
    finally:
        if own:
            store.close()


def resolve_run(store: Store, spec: str, experiments: Iterable[str] | None = None) -> RunRef:
    """A run by id, unique id prefix, or unique run name; ambiguity lists the candidates."""
    spec = spec.strip()
    if not spec:
        raise UnknownRun("empty run id; give a run id or a unique prefix of one (see 'gx ls')")
    refs = _candidate_refs(store, spec, experiments)
    by_id: dict[str, RunRef] = {}
    for ref in refs:
        by_id.setdefault(ref.run_id, ref)
    if spec in by_id:
        return by_id[spec]
    matches = [r for rid, r in by_id.items() if rid.startswith(spec.lower())]
    if not matches:
        named = [by_id[s.run_id] for s in readable_summaries(store, by_id.values()) if s.name == spec]
        if len(named) == 1:
            return named[0]
        matches = named
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownRun(f"no run matches {spec!r}; see 'gx ls' (add --deleted for deleted runs)")
    listed = ", ".join(f"{r.run_id[:12]} ({r.experiment})" for r in matches[:10])
    more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
    raise AmbiguousRun(f"{spec!r} matches {len(matches)} runs: {listed}{more}; give more of the id")


def _candidate_refs(store: Store, spec: str, experiments: Iterable[str] | None) -> list[RunRef]:
    """Runs that could match ``spec``: from the index when there is one, else every run."""
    wanted = set(experiments) if experiments else None

    def from_index(index: Index) -> list[RunRef]:
        rows = index.find(spec.lower()) or index.find_by_name(spec)
        deleted = index.deleted(None)
        return [RunRef(exp, run_id, sha.encode(), (exp, run_id) in deleted) for exp, run_id, sha in rows
                if wanted is None or exp in wanted]

    found = with_index(store, from_index)
    return found if found is not None else iter_run_refs(store, experiments)


def get_run(run_id: str) -> Run:
    """The full run (params, metrics with history, tags, artifacts) by id or unique prefix."""
    with open_store() as store:
        return Run.from_record(load_record(store, resolve_run(store, run_id)))


def get_record(run_id: str) -> RunRecord:
    with open_store() as store:
        return load_record(store, resolve_run(store, run_id))


__all__ = [
    "Entry", "ExperimentInfo", "RunRef", "experiment_names", "experiments_named", "get_record", "get_run",
    "history_runs", "iter_run_refs", "list_experiments", "list_runs", "load_record", "load_summary",
    "open_store", "readable_summaries", "resolve_run", "with_index",
]
