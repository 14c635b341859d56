"""What the gradient-boosting integrations share: evaluation histories as step metrics, the best
iteration, and feature importance as JSON plus a bar chart (matplotlib loads only here)."""

from __future__ import annotations

import json
import math
from typing import Any

from gx.autolog import patch

#: Bars drawn in the importance plot (the JSON keeps every feature).
MAX_BARS = 30


def patch_library(name: str, modules: tuple[Any, ...], sklearn_module: Any, wrappers: tuple[str, ...],
                  around_train: Any, around_fit: Any) -> None:
    """Wrap ``train`` wherever the library exposes it, and ``fit`` of each of its sklearn wrappers."""
    for module in modules:
        patch.patch(name, module, "train", around_train)
    for wrapper in wrappers:
        if hasattr(sklearn_module, wrapper):
            patch.patch(name, getattr(sklearn_module, wrapper), "fit", around_fit)


def log_histories(results: dict[str, dict[str, Any]]) -> None:
    """``{dataset: {metric: [value per iteration]}}`` -> ``{dataset}-{metric}`` at step = iteration."""
    from gx.tracking import fluent

    for dataset, metrics in (results or {}).items():
        for metric, values in (metrics or {}).items():
            key = f"{dataset}-{metric}"
            for step, value in enumerate(values):
                fluent.log_metric(key, float(value), step=step)


def log_best_iteration(best: Any, stopped: Any = None) -> None:
    from gx.tracking import fluent

    if isinstance(best, int) and best >= 0:
        fluent.log_metric("best_iteration", best)
    if isinstance(stopped, int) and stopped >= 0:
        fluent.log_metric("stopped_iteration", stopped)


def log_importance(importance_type: str, scores: dict[str, Any]) -> None:
    """``feature_importance_{type}.json`` and ``.png`` (MLflow's file names)."""
    from gx.tracking import fluent

    clean = {str(k): float(v) for k, v in scores.items() if isinstance(v, (int, float)) and math.isfinite(float(v))}
    if not clean:
        return
    fluent.log_text(json.dumps(clean, indent=2, sort_keys=True) + "\n", f"feature_importance_{importance_type}.json")
    fluent.log_figure(importance_figure(importance_type, clean), f"feature_importance_{importance_type}.png")


def importance_figure(importance_type: str, scores: dict[str, float]) -> Any:
    from matplotlib.figure import Figure

    top = sorted(scores.items(), key=lambda kv: kv[1])[-MAX_BARS:]
    fig = Figure(figsize=(6, max(2.0, 0.25 * len(top) + 1)), dpi=80)
    ax = fig.add_axes((0.3, 0.12, 0.65, 0.78))  # fixed margins: tight_layout costs a second render
    ax.barh([k for k, _ in top], [v for _, v in top], color="#4c72b0")
    ax.set_xlabel(importance_type)
    ax.set_title(f"Feature importance ({importance_type})")
    return fig


def split_params(params: dict[str, Any]) -> dict[str, Any]:
    """Library params as gx params: lists and odd objects as text, nothing dropped."""
    from gx.autolog.sklearn import _param

    return {str(k): _param(v) for k, v in (params or {}).items()}
