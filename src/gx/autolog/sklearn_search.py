"""Hyperparameter searches (``GridSearchCV``, ``RandomizedSearchCV``, any ``BaseSearchCV``): the best
candidate on the search's run, one child run per top candidate, and ``cv_results_`` as a CSV file."""

from __future__ import annotations

import csv
import io
import numbers
from typing import Any

from gx.autolog.patch import Settings

CV_RESULTS_FILE = "cv_results.csv"


def log_search(search: Any, options: Settings) -> None:
    from gx.tracking import fluent

    results = search.cv_results_
    if hasattr(search, "best_params_"):
        fluent.log_params({f"best_{k}": _plain(v) for k, v in search.best_params_.items()})
    if isinstance(getattr(search, "best_score_", None), numbers.Real):
        fluent.log_metric("best_cv_score", float(search.best_score_))
    fluent.log_text(cv_results_csv(results), CV_RESULTS_FILE)
    log_candidates(search, results, options.max_tuning_runs)


def log_candidates(search: Any, results: dict[str, Any], max_runs: int | None) -> None:
    """One child run per candidate, best ranked first (``max_runs=None``: every candidate)."""
    from gx.tracking import fluent

    candidates = list(range(len(results.get("params", []))))
    ranks = results.get("rank_test_score")
    if ranks is not None:
        candidates.sort(key=lambda i: (int(ranks[i]), i))
    if max_runs is not None:
        candidates = candidates[:max(0, max_runs)]
    base = getattr(search, "estimator", None)
    tags = {"estimator_name": type(base).__name__,
            "estimator_class": f"{type(base).__module__}.{type(base).__qualname__}"} if base is not None else {}
    for i in candidates:
        with fluent.start_run(nested=True, run_name=f"candidate-{i}", tags=tags):
            fluent.log_params({k: _plain(v) for k, v in results["params"][i].items()})
            fluent.log_metrics(candidate_metrics(results, i))


def candidate_metrics(results: dict[str, Any], i: int) -> dict[str, float]:
    """Every numeric column of ``cv_results_`` for candidate ``i`` (times, split and mean scores, rank)."""
    out = {}
    for key, column in results.items():
        if key == "params" or key.startswith("param_"):
            continue
        value = column[i]
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def cv_results_csv(results: dict[str, Any]) -> str:
    keys = list(results)
    rows = len(results[keys[0]]) if keys else 0
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(keys)
    for i in range(rows):
        writer.writerow([_plain(results[k][i]) for k in keys])
    return buf.getvalue()


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)[:250]
