"""Runs as a pandas DataFrame shaped like MLflow's ``search_runs``, and metric histories.

pandas is imported inside the functions, so ``import gx`` stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from gx.errors import BadValue
from gx.records import RunSummary
from gx.tracking.entities import Metric

if TYPE_CHECKING:
    import pandas as pd

#: Leading columns, before ``params.*``, ``metrics.*`` and ``tags.*`` (each group sorted by key).
BASE_COLUMNS = ("run_id", "experiment", "run_name", "status", "start_time", "end_time", "duration")


def _names(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def search_runs(experiment_names: str | Sequence[str] | None = None, filter_string: str = "",
                order_by: str | Sequence[str] | None = None, max_results: int | None = None,
                include_deleted: bool = False, *,
                experiment_ids: str | Sequence[str] | None = None, run_view_type: int | None = None,
                search_all_experiments: bool = False, output_format: str = "pandas") -> Any:
    """Runs matching a search filter as a DataFrame (or, with ``output_format="list"``, a list of
    ``Run`` objects as MLflow's client gives them), newest first unless ``order_by`` says otherwise.

    ``experiment_ids`` takes stable ids or names; without either every experiment is searched
    (``search_all_experiments`` is accepted for MLflow's signature). ``run_view_type`` is a
    ``ViewType``; with deleted runs a boolean ``deleted`` column follows ``duration``.
    """
    from gx.query.client import run_from_summary
    from gx.query.experiments import resolve_experiments
    from gx.query.runs import open_store
    from gx.query.search import search
    from gx.tracking.entities import ViewType

    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int)
                                    or max_results < 0):
        raise BadValue(f"max_results must be a whole number >= 0, not {max_results!r}")
    if output_format not in ("pandas", "list"):
        raise BadValue(f"output_format must be 'pandas' or 'list', not {output_format!r}")
    view = run_view_type or (ViewType.ALL if include_deleted else ViewType.ACTIVE_ONLY)
    if view not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL):
        raise BadValue(f"run_view_type must be a ViewType (ACTIVE_ONLY, DELETED_ONLY or ALL), not {view!r}")
    with open_store() as store:
        names = _names(experiment_names) or resolve_experiments(store, _names(experiment_ids))
        # the one query engine of gx ls / gx best; bad filters and sort keys fail before any read
        runs = search(names, filter_string or "", _names(order_by) or [], max_results,
                      include_deleted=view == ViewType.ALL, deleted_only=view == ViewType.DELETED_ONLY, store=store)
    if output_format == "list":
        return [run_from_summary(r) for r in runs]
    return runs_frame(runs, deleted_column=view != ViewType.ACTIVE_ONLY)


runs = search_runs


def _typed_column(values: list[Any]) -> Any:
    """A Series whose dtype follows the values: int64 (Int64 with gaps), float64, bool (boolean
    with gaps), pandas' string dtype for strings, object for a mix."""
    import pandas as pd

    present = [v for v in values if v is not None]
    types = {type(v) for v in present}
    missing = len(present) < len(values)
    try:
        if types == {bool}:
            return pd.Series(values, dtype="boolean" if missing else "bool")
        if types == {int}:
            return pd.Series(values, dtype="Int64" if missing else "int64")
        if types and types <= {int, float}:
            return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
    except (OverflowError, TypeError, ValueError):  # ints beyond int64
        return pd.Series(values, dtype=object)
    if types == {str}:
        return pd.Series(values)  # pandas picks its string dtype (object before pandas 3)
    return pd.Series(values, dtype=object)


def runs_frame(runs: Sequence[RunSummary], deleted_column: bool = False) -> pd.DataFrame:
    """The DataFrame for already selected and ordered runs (see ``search_runs`` for the columns)."""
    import pandas as pd

    def times(attr: str) -> Any:
        values = [getattr(r, attr) for r in runs]
        return pd.to_datetime(pd.Series(values, dtype="float64"), unit="s", utc=True)

    data: dict[str, Any] = {
        "run_id": pd.Series([r.run_id for r in runs]),
        "experiment": pd.Series([r.experiment for r in runs]),
        "run_name": pd.Series([r.name for r in runs]),
        "status": pd.Series([r.status for r in runs]),
        "start_time": times("start_time"),
        "end_time": times("end_time"),
        "duration": pd.Series([r.duration for r in runs], dtype="float64"),
    }
    if deleted_column:
        data["deleted"] = pd.Series([r.deleted for r in runs], dtype="bool")
    for key in sorted({k for r in runs for k in r.params}):
        data[f"params.{key}"] = _typed_column([r.params.get(key) for r in runs])
    for key in sorted({k for r in runs for k in r.metrics}):
        data[f"metrics.{key}"] = pd.Series([r.metrics.get(key) for r in runs], dtype="float64")
    for key in sorted({k for r in runs for k in r.tags}):
        data[f"tags.{key}"] = pd.Series([r.tags.get(key) for r in runs])
    return pd.DataFrame(data)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Every logged value of metric ``key`` in the run, by step (``[]`` when it never logged it, as MLflow).

    ``run_id`` may be any run spec: an id, a unique prefix or name, an experiment, ``exp~N``.
    """
    from gx.query.runspec import get_spec_record

    points = get_spec_record(run_id).metrics.get(key, [])
    return [Metric(key, float(p.value), int(round(p.timestamp * 1000)), int(p.step)) for p in points]


__all__ = ["BASE_COLUMNS", "Metric", "get_metric_history", "runs", "runs_frame", "search_runs"]
