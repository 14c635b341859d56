"""Search: MLflow's filter grammar and sort keys over listed runs, and the best run for a metric."""

from __future__ import annotations

from collections.abc import Iterable

from gx.query.runs import experiments_named, list_runs, open_store
from gx.records import RunSummary
from gx.store.repo import Store


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


def best(metric: str, goal: str, experiments: Iterable[str] | None = None,
         filter_string: str = "") -> tuple[RunSummary | None, int, int]:
    """The best non-deleted run by the last value of ``metric`` (NaN and missing ignored).

    Returns (winner or None, runs with a value, runs considered). Without a filter the index
    answers with one query; otherwise it is a search and a scan.
    """
    import math

    from gx.query.index import open_index

    with open_store() as store:
        names = experiments_named(store, experiments) if experiments else None
        index = open_index(store) if not filter_string.strip() else None
        if index is not None:
            try:
                winner, with_value = index.best(metric, goal, names)
                total = with_value if winner is not None else len(index.summaries(names))
                return winner, with_value, total
            finally:
                index.close()
        runs = search(names, filter_string, store=store)
    scored = [(v, r) for r in runs if (v := r.metrics.get(metric)) is not None and not math.isnan(v)]
    if not scored:
        return None, 0, len(runs)
    pick = max if goal == "max" else min
    return pick(scored, key=lambda pair: pair[0])[1], len(scored), len(runs)
