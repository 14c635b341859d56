"""gx: git-native experiment tracking. Every run is a commit on ``refs/experiments/<name>``.

The fluent API follows MLflow's names, so ``import gx as mlflow`` runs most tutorial code.
Importing gx loads neither dulwich, pandas nor matplotlib; they load when first needed.
"""

from __future__ import annotations

from typing import Any

from gx._version import __version__
from gx.errors import GxError
from gx.fluent import (
    active_run,
    end_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    params,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from gx.run_object import Run, RunData, RunInfo

_LAZY = {
    "get_run": "gx.api",
    "list_runs": "gx.api",
    "delete_run": "gx.api",
    "restore_run": "gx.api",
    "list_experiments": "gx.api",
    "search_runs": "gx.frame",
    "runs": "gx.frame",
    "get_metric_history": "gx.frame",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gx' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "GxError", "Run", "RunData", "RunInfo", "__version__", "active_run", "end_run", "log_artifact",
    "log_artifacts", "log_dict", "log_figure", "log_metric", "log_metrics", "log_param", "log_params",
    "log_text", "params", "set_experiment", "set_tag", "set_tags", "start_run", *_LAZY,
]
