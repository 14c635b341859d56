"""Post-training metrics (MLflow's): ``sklearn.metrics`` functions called on a patched estimator's
predictions, and ``estimator.score``, log into the active run as ``{metric}[-{call}]_{dataset}``,
``dataset`` being the name of the variable passed to ``predict`` (``unknown_dataset`` when none).

Only calls made through ``sklearn.metrics.<name>`` after ``autolog()`` are seen (a name imported
earlier with ``from sklearn.metrics import ...`` is the unpatched function), as in MLflow. gx runs are
commits: a metric computed after the run ended has nowhere to go and is not logged.
"""

from __future__ import annotations

import inspect
import weakref
from collections import Counter
from typing import Any

from gx.autolog import patch

NAME = "sklearn"
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")
#: id(prediction) -> (its weak reference or the object, dataset name): predictions can be plain arrays.
_predictions: dict[int, tuple[Any, str]] = {}
_calls: Counter[tuple[str, str, str]] = Counter()
_MAX_TRACKED = 1000


def patch_estimator(estimator_class: type) -> None:
    """Remember what the estimator predicts (and log what ``score`` returns)."""
    for method in PREDICT_METHODS:
        patch.patch(NAME, estimator_class, method, _around_predict)
    patch.patch(NAME, estimator_class, "score", _around_score)


def patch_metrics(metrics_module: Any) -> None:
    """The ``sklearn.metrics`` functions, once that package has been imported."""
    for name in metric_names(metrics_module):
        patch.patch(NAME, metrics_module, name, _around_metric)


def metric_names(module: Any) -> list[str]:
    return sorted(n for n in getattr(module, "__all__", dir(module))
                  if n.endswith(("_score", "_error", "_loss")) and callable(getattr(module, n, None)))


def _dataset_name(value: Any) -> str:
    """The caller's variable holding ``value`` (the frame outside gx and scikit-learn)."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if not module.startswith(("gx.", "sklearn.", "functools")):
                for var, obj in frame.f_locals.items():
                    if obj is value and not var.startswith("_"):
                        return var
                return "unknown_dataset"
            frame = frame.f_back
        return "unknown_dataset"
    finally:
        del frame


def _around_predict(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = original(*args, **kwargs)
    X = args[1] if len(args) > 1 else kwargs.get("X")
    patch.safely(NAME, "remember a prediction", _remember, result, _dataset_name(X))
    return result


def _remember(result: Any, dataset: str) -> None:
    if len(_predictions) >= _MAX_TRACKED:
        _predictions.clear()
    try:
        ref: Any = weakref.ref(result)
    except TypeError:
        ref = result
    _predictions[id(result)] = (ref, dataset)


def _dataset_of(value: Any) -> str | None:
    entry = _predictions.get(id(value))
    if entry is None:
        return None
    ref, dataset = entry
    target = ref() if isinstance(ref, weakref.ref) else ref
    return dataset if target is value else None


def _log(metric: str, dataset: str, value: Any) -> None:
    from gx.tracking import fluent

    run = fluent.active_run()
    if run is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    key = (run.info.run_id, metric, dataset)
    _calls[key] += 1
    call = _calls[key]
    fluent.log_metric(f"{metric}{'' if call == 1 else f'-{call}'}_{dataset}", value)


def _around_metric(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    value = original(*args, **kwargs)
    dataset = next((d for a in (*args, *kwargs.values()) if (d := _dataset_of(a)) is not None), None)
    if dataset is not None:
        plain = value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
        patch.safely(NAME, "log a post-training metric", _log, original.__name__, dataset, plain)
    return value


def _around_score(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    value = original(*args, **kwargs)
    estimator = args[0]
    X = args[1] if len(args) > 1 else kwargs.get("X")
    plain = value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
    patch.safely(NAME, "log a post-training score", _log, f"{type(estimator).__name__}_score", _dataset_name(X), plain)
    return value
