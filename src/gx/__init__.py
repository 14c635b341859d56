"""gx: git-native experiment tracking. Every run is a commit on ``refs/experiments/<name>``.

The fluent API follows MLflow's names, so ``import gx as mlflow`` runs most tutorial code.
Importing gx loads nothing heavy: the API's modules load on first use (dulwich, pandas and
matplotlib only when a call needs them), which keeps git hooks and ``gx --help`` fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from gx._version import __version__

_LAZY = {
    **dict.fromkeys(
        ["active_run", "end_run", "log_artifact", "log_artifacts", "log_dict", "log_figure", "log_metric",
         "log_metrics", "log_param", "log_params", "log_text", "params", "set_experiment", "set_tag", "set_tags",
         "start_run"],
        "gx.tracking.fluent",
    ),
    **dict.fromkeys(["Run", "RunData", "RunInfo"], "gx.tracking.entities"),
    "GxError": "gx.errors",
    **dict.fromkeys(["get_run", "list_runs", "list_experiments"], "gx.query.runs"),
    **dict.fromkeys(["delete_run", "restore_run"], "gx.query.deletion"),
    **dict.fromkeys(["search_runs", "runs", "get_metric_history"], "gx.query.frame"),
    "register_model": "gx.models.client",
    "MlflowClient": "gx.tracking.client",
    **dict.fromkeys(["create_experiment", "get_experiment", "get_experiment_by_name", "search_experiments",
                     "set_experiment_tag", "set_experiment_tags"], "gx.query.experiments"),
    **dict.fromkeys(["get_tracking_uri", "set_tracking_uri"], "gx.tracking.session"),
    "last_active_run": "gx.tracking.client",
    "log_input": "gx.tracking.inputs",
}
#: Modules reached as ``gx.<name>`` that are not model flavors (``gx.optuna.Callback``, ``gx.data.from_pandas``).
_INTEGRATIONS = {"optuna": "gx.autolog.optuna", "data": "gx.data"}
#: Flavor modules, reached as attributes (``gx.sklearn.log_model``), imported on first use.
_SUBMODULES = {"sklearn", "xgboost", "lightgbm", "pyfunc"}
#: Flavors with an autolog integration: ``gx.sklearn.autolog`` is ``gx.autolog.sklearn.autolog``, attached
#: here so the flavor module itself never imports the autolog package.
_AUTOLOGGED = {"sklearn", "xgboost", "lightgbm"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES or name == "entities":
        value = importlib.import_module(f"gx.models.{name}" if name in _SUBMODULES else "gx.entities")
        if name in _AUTOLOGGED and not hasattr(value, "autolog"):
            value.autolog = importlib.import_module(f"gx.autolog.{name}").autolog
        globals()[name] = value
        return value
    if name in _INTEGRATIONS:
        value = importlib.import_module(_INTEGRATIONS[name])
        globals()[name] = value
        return value
    if name == "autolog":  # the package is callable: gx.autolog() as in MLflow
        return importlib.import_module("gx.autolog")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gx' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, *_SUBMODULES, *_INTEGRATIONS, "autolog", "entities"])


__all__ = ["__version__", "autolog", *_LAZY, *sorted(_SUBMODULES), *_INTEGRATIONS]
