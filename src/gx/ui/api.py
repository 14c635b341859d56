"""The JSON behind the pages: experiments, the runs table (filtered, sorted and paged on the server),
compare, and a version stamp the page polls. Everything goes through gx.query's functions."""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from typing import Any

from gx.errors import FilterSyntaxError, GxError
from gx.query.access import normalize_attribute, normalize_entity, value_of
from gx.query.compare import change, compare
from gx.query.experiments import experiment_labels
from gx.query.inputs import data_line
from gx.query.nesting import as_tree
from gx.query.runs import list_experiments, list_runs
from gx.records import RunSummary
from gx.store.repo import Store
from gx.store.tags import list_tag_refs
from gx.ui import live

#: Tags that make a run a child of another: gx's own, and MLflow's (imported runs).
#: Rows a page may ask for at once.
MAX_PAGE = 1000
#: Keys offered in the column chooser, per section.
MAX_COLUMN_CHOICES = 500
ATTRIBUTES = ("run_name", "status", "experiment", "start_time", "duration", "run_id", "source_commit")


class ApiError(GxError):
    """A bad request: answered with status 400 and ``payload`` as JSON."""

    def __init__(self, message: str, **payload: Any) -> None:
        super().__init__(message)
        self.payload = {"error": message, **payload}


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: send them as strings the page shows as they are."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def refs_version(store: Store) -> str:
    """Changes whenever an experiment ref moves (a run recorded, a fetch, a merge, a delete)."""
    tips = sorted((ref, sha) for ref, (_, sha) in store.experiment_refs().items())
    return hashlib.sha1(repr(tips).encode()).hexdigest()[:16]


def version(store: Store) -> str:
    """Changes whenever an experiment ref moves, a journal grows or a tag moves (the registry lives in
    tags): what the page polls."""
    tags = sorted(list_tag_refs(store.paths).items())
    digest = hashlib.sha1(repr((refs_version(store), live.journal_stamp(store.paths), tags)).encode())
    return digest.hexdigest()[:16]


class RunCache:
    """Recent answers keyed by the repository's version: run lists per view (paging is then a slice),
    each experiment's runs (a new filter or sort reads no refs), loaded records (a run page asks twice)."""

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: tuple) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def all_runs(store: Store, cache: RunCache, experiment: str | None) -> list[RunSummary]:
    """Committed runs (read again only when a ref moved, not while a journal grows) and runs in
    progress (the journal's copy only until the commit lands)."""
    key = ("runs", refs_version(store), experiment)
    runs = cache.get(key) or cache.put(key, list_runs([experiment] if experiment else None, store=store, shared=True))
    committed = {r.run_id for r in runs}
    running = [r for r in live.live_summaries(store.paths)
               if r.run_id not in committed and (not experiment or r.experiment == experiment)]
    return running + runs


def matching_runs(store: Store, cache: RunCache, experiment: str | None, filter_string: str,
                  order_by: list[str]) -> list[RunSummary]:
    """The runs of the view, through gx's filter parser and sort (the ones ``gx ls`` uses)."""
    from gx.query.filter import parse_filter
    from gx.query.sort import parse_sort_key, sort_runs

    try:
        flt = parse_filter(filter_string) if filter_string.strip() else None
    except FilterSyntaxError as exc:
        raise ApiError(str(exc.reason), reason=exc.reason, position=exc.position,
                       filter=exc.filter_string or filter_string) from None
    try:
        keys = [parse_sort_key(k) for k in order_by if k.strip()]
    except FilterSyntaxError as exc:
        raise ApiError(exc.reason, reason=exc.reason, position=exc.position, order_by=exc.filter_string) from None
    except GxError as exc:
        raise ApiError(str(exc)) from None
    key = ("view", version(store), experiment, filter_string, tuple(order_by))
    found = cache.get(key)
    if found is None:
        runs = all_runs(store, cache, experiment)
        if flt is not None:
            runs = [r for r in runs if flt.matches(r)]
        found = sort_runs(runs, keys) if keys else runs
        cache.put(key, found)
    return found


def column_value(run: RunSummary, column: str) -> Any:
    entity, _, key = column.partition(".")
    canonical = normalize_entity(entity) if key else "attributes"
    if canonical is None:
        raise ApiError(f"unknown column {column!r}: use params.KEY, metrics.KEY, tags.KEY or an attribute")
    if canonical == "attributes":
        attribute = normalize_attribute(key or entity)
        if attribute is None:
            raise ApiError(f"unknown attribute {key or entity!r}; known: {', '.join(ATTRIBUTES)}")
        return finite(value_of(run, "attributes", attribute))
    return finite(value_of(run, canonical, key))


def default_columns(runs: list[RunSummary]) -> list[str]:
    """The first few metrics, then params, that the runs of the view have."""
    metrics, params = _keys(runs, "metrics"), _keys(runs, "params")
    return [f"metrics.{k}" for k in metrics[:4]] + [f"params.{k}" for k in params[:5]]


def _keys(runs: list[RunSummary], section: str) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs[:2000]:  # enough to offer every key a view really has
        for k in getattr(run, section):
            seen.setdefault(k, None)
            if len(seen) >= MAX_COLUMN_CHOICES:
                break
    return sorted(seen)


def run_row(run: RunSummary, columns: list[str]) -> dict[str, Any]:
    return {"run_id": run.run_id, "name": run.name, "experiment": run.experiment, "status": run.status,
            "start_time": run.start_time, "duration": run.duration, "parent": run.parent_run_id,
            "values": [column_value(run, c) for c in columns]}


def runs_page(store: Store, cache: RunCache, query: dict[str, str]) -> dict[str, Any]:
    """One page of the runs table with the keys the column chooser offers."""
    experiment = query.get("experiment") or None
    order_by = [k for k in query.get("order_by", "").split(",") if k.strip()]
    runs = matching_runs(store, cache, experiment, query.get("filter", ""), order_by)
    offset, limit = _int(query, "offset", 0), min(_int(query, "limit", 50), MAX_PAGE)
    columns = [c for c in query.get("columns", "").split(",") if c.strip()] or default_columns(runs)
    if query.get("nest") == "1":  # page over top-level runs, each with all its nested runs
        groups = nested_groups(runs)
        total = len(groups)
        rows = [dict(run_row(r, columns), depth=depth)
                for group in groups[offset:offset + limit] for r, depth in group[:MAX_PAGE]]
    else:
        total = len(runs)
        rows = [run_row(r, columns) for r in runs[offset:offset + limit]]
    return {"total": total, "runs": len(runs), "offset": offset, "limit": limit, "columns": columns, "rows": rows,
            "choices": {"attributes": list(ATTRIBUTES), "params": _keys(runs, "params"),
                        "metrics": _keys(runs, "metrics"), "tags": _keys(runs, "tags")}}


def nested_groups(runs: list[RunSummary]) -> list[list[tuple[RunSummary, int]]]:
    """The view as a tree cut into top-level groups (a run and everything nested under it), so a page
    of N groups keeps every child with its parent whatever page the parent falls on."""
    groups: list[list[tuple[RunSummary, int]]] = []
    for run, depth in as_tree(runs):
        if depth == 0 or not groups:
            groups.append([])
        groups[-1].append((run, depth))
    return groups


def _int(query: dict[str, str], name: str, default: int) -> int:
    text = query.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise ApiError(f"{name} must be a whole number, not {text!r}")
    return int(text)


def experiments(store: Store, cache: RunCache, query: dict[str, str]) -> dict[str, Any]:
    """Each experiment with its number, stable id, tags, run count, last activity and its best value of ``metric`` (if asked)."""
    metric, goal = query.get("metric", ""), query.get("goal", "min")
    if goal not in ("min", "max"):
        raise ApiError("goal must be min or max")
    best: dict[str, Any] = {}
    running: dict[str, int] = {}
    runs = matching_runs(store, cache, None, "", [])
    for run in runs:
        if run.status == "RUNNING":
            running[run.experiment] = running.get(run.experiment, 0) + 1
        value = run.metrics.get(metric) if metric else None
        if value is None or math.isnan(value):
            continue
        held = best.get(run.experiment)
        if held is None or (value < held[0] if goal == "min" else value > held[0]):
            best[run.experiment] = (value, run.run_id, run.name)
    rows = []
    infos = list_experiments(store)
    labels = experiment_labels(store, [info.name for info in infos])
    for info in infos:
        won = best.get(info.name)
        label = labels[info.name]
        rows.append({"name": info.name, "number": label.number, "id": label.id, "tags": label.tags, "runs": info.runs, "deleted": info.deleted, "last_activity": info.last_activity,
                     "running": running.get(info.name, 0),
                     "best": None if won is None else {"value": finite(won[0]), "run_id": won[1], "name": won[2]}})
    return {"experiments": rows, "metrics": _keys(runs, "metrics")}


def comparison(runs: list[RunSummary]) -> dict[str, Any]:
    """Only the keys that differ, with each run's change against the first run."""
    cmp = compare(runs)
    rows = []
    for row in cmp.rows:
        if not row.differs or row.key in ("duration",):
            continue
        deltas = [change(row.values[0], v)[0] if i else None for i, v in enumerate(row.values)]
        rows.append({"key": row.key, "values": [finite(v) for v in row.values], "deltas": [finite(d) for d in deltas]})
    same = sum(1 for row in cmp.rows if not row.differs)
    return {"runs": [{"run_id": r.run_id, "name": r.name, "experiment": r.experiment, "status": r.status,
                      "params": {k: finite(v) for k, v in r.params.items()},
                      "metrics": {k: finite(v) for k, v in r.metrics.items()}} for r in cmp.runs],
            "rows": rows, "same": same, "data": data_line(cmp.runs)}


def runs_csv(store: Store, cache: RunCache, query: dict[str, str]) -> bytes:
    """The current view (filter, order, columns), every page of it, as CSV."""
    from gx.formatting import csv_text

    view = dict(query, offset="0", limit="0")
    experiment = view.get("experiment") or None
    order_by = [k for k in view.get("order_by", "").split(",") if k.strip()]
    runs = matching_runs(store, cache, experiment, view.get("filter", ""), order_by)
    columns = [c for c in view.get("columns", "").split(",") if c.strip()] or default_columns(runs)
    header = ["run_id", "name", "experiment", "status", "start_time", "duration", *columns]
    rows = [[r.run_id, r.name, r.experiment, r.status, _cell(r.start_time), _cell(r.duration),
             *(_cell(column_value(r, c)) for c in columns)] for r in runs]
    return csv_text([header, *rows]).encode("utf-8")


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
