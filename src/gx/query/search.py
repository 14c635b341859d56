"""Search: MLflow's filter grammar and sort keys over listed runs, and the best run for a metric."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, NamedTuple

from gx.query.runs import experiments_named, list_runs, open_store, with_index
from gx.records import RunSummary
from gx.store.repo import Store

if TYPE_CHECKING:
    from gx.query.index import Index


def search(experiments: Iterable[str] | None = None, filter_string: str = "", order_by: Iterable[str] = (),
           max_results: int | None = None, include_deleted: bool = False, deleted_only: bool = False,
           store: Store | None = None) -> list[RunSummary]:
    """Runs matching an MLflow-style filter, sorted, at most ``max_results``: the one query engine
    behind ``gx ls``, ``gx best`` and ``gx.search_runs``. The filter is checked before any reading."""
    from gx.query.filter import parse_filter
    from gx.query.sort import parse_sort_key, sort_runs

    flt = parse_filter(filter_string) if filter_string and filter_string.strip() else None
    keys = [parse_sort_key(k) for k in order_by]
    runs = list_runs(experiments, include_deleted=include_deleted, deleted_only=deleted_only, store=store)
    if flt is not None:
        runs = [r for r in runs if flt.matches(r)]
    if keys:
        runs = sort_runs(runs, keys, limit=max_results)
    return runs[:max_results] if max_results is not None else runs


class Best(NamedTuple):
    """What ``best`` found: the winner (or None); how many runs competed; how many runs are in scope
    whatever their values and statuses (exact when there is no winner: the index skips counting
    otherwise); and, per status left out, how many runs with a value for the metric did not compete."""

    winner: RunSummary | None
    considered: int
    total: int
    left_out: dict[str, int]


#: The statuses ``gx best`` considers unless told otherwise: a FAILED or KILLED run's last value is
#: rarely a result.
DEFAULT_STATUSES = ("FINISHED",)


def best(metric: str, goal: str, experiments: Iterable[str] | None = None, filter_string: str = "",
         statuses: Collection[str] | None = DEFAULT_STATUSES) -> Best:
    """The best non-deleted run by the last value of ``metric`` (NaN and missing ignored), among
    runs whose status is in ``statuses`` (``None``: any status).

    Without a filter the index answers with two indexed queries; otherwise it is a search and a scan.
    """
    import math

    from gx.query import index_best

    with open_store() as store:
        names = experiments_named(store, experiments) if experiments else None

        def from_index(index: Index) -> Best:
            winner, with_value, left_out = index_best.best(index, metric, goal, names, statuses)
            total = with_value if winner is not None else len(index.summaries(names))
            return Best(winner, with_value, total, left_out)

        found = with_index(store, from_index) if not filter_string.strip() else None
        if found is not None:
            return found
        runs = search(names, filter_string, store=store)
    scored, left_out = [], {}
    for run in runs:
        v = run.metrics.get(metric)
        if v is None or math.isnan(v):
            continue
        if statuses is None or run.status in statuses:
            scored.append((v, run))
        else:
            left_out[run.status] = left_out.get(run.status, 0) + 1
    if not scored:
        return Best(None, 0, len(runs), left_out)
    pick = max if goal == "max" else min
    return Best(pick(scored, key=lambda pair: pair[0])[1], len(scored), len(runs), left_out)
