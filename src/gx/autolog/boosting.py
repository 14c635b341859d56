"""What the gradient-boosting integrations share: evaluation histories as step metrics, the best
iteration, and feature importance as JSON plus a bar chart (``importance_chart``)."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from gx.autolog import importance_chart, patch


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


class ImportanceCharts:
    """``feature_importance_{type}.json`` and ``.png`` (MLflow's file names) for each importance type:
    the charts are drawn in threads (Pillow and zlib release the GIL) while the caller logs the model,
    and :meth:`log` joins them (deflating the model for its pack meanwhile), so the run never commits
    without them."""

    def __init__(self, integration: str, scores_by_type: dict[str, dict[str, Any]]) -> None:
        self.integration = integration
        self.scores = {kind: _finite(scores) for kind, scores in scores_by_type.items()}
        self.scores = {kind: scores for kind, scores in self.scores.items() if scores}
        self.charts: dict[str, bytes | BaseException] = {}
        self.threads = [threading.Thread(target=self._draw, args=(kind, scores), name="gx-autolog-chart", daemon=True)
                        for kind, scores in self.scores.items()]  # one a chart: LightGBM's two at once
        for thread in self.threads:
            thread.start()

    def _draw(self, kind: str, scores: dict[str, float]) -> None:
        try:
            self.charts[kind] = importance_chart.importance_png(kind, scores)
        except Exception as exc:  # reported by log(), in the caller's thread
            self.charts[kind] = exc

    def log(self) -> None:
        from gx.store.deflate import help_while
        from gx.tracking import fluent

        help_while(lambda: any(thread.is_alive() for thread in self.threads))  # deflate while the charts are drawn
        for thread in self.threads:
            thread.join()
        for kind, scores in self.scores.items():
            patch.safely(self.integration, "log feature importance", fluent.log_text,
                         json.dumps(scores, indent=2, sort_keys=True) + "\n", f"feature_importance_{kind}.json")
            chart = self.charts.get(kind)
            if isinstance(chart, BaseException):
                patch.warn(self.integration, "draw the feature importance chart", chart)
            elif chart is not None:
                patch.safely(self.integration, "log the feature importance chart", fluent.log_figure,
                             importance_chart.PngFigure(chart), f"feature_importance_{kind}.png")


def _finite(scores: dict[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in (scores or {}).items()
            if isinstance(v, (int, float)) and math.isfinite(float(v))}


def split_params(params: dict[str, Any]) -> dict[str, Any]:
    """Library params as gx params: lists and odd objects as text, nothing dropped."""
    from gx.autolog.sklearn import _param

    return {str(k): _param(v) for k, v in (params or {}).items()}
