"""scikit-learn autologging (MLflow's names): ``fit``, ``fit_predict`` and ``fit_transform`` of every
estimator log ``get_params(deep=True)``, ``training_*`` metrics that suit the estimator, the
``estimator_name``/``estimator_class`` tags and the model; searches (``GridSearchCV`` and friends) add
the best candidate, child runs for the top ``max_tuning_runs`` and ``cv_results.csv``.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from gx.autolog import patch
from gx.autolog.patch import Settings
from gx.errors import BadValue

NAME = "sklearn"
FIT_METHODS = ("fit", "fit_predict", "fit_transform")


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = False, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False, max_tuning_runs: int | None = 5,
            log_post_training_metrics: bool = True, serialization_format: str = "pickle",
            registered_model_name: str | None = None, pos_label: Any = None,
            extra_tags: dict[str, Any] | None = None) -> None:
    """Log every scikit-learn fit (``disable=True`` puts the library back as it was). Every scikit-learn
    version is supported, so ``disable_for_unsupported_versions`` changes nothing."""
    patch.refuse_log_datasets(NAME, log_datasets)
    if serialization_format != "pickle":
        raise BadValue(f"gx.sklearn.autolog: serialization_format={serialization_format!r} is not supported: gx "
                       "saves scikit-learn models with pickle (serialization_format='pickle')")
    options = Settings(log_models=log_models, log_input_examples=log_input_examples,
                       log_model_signatures=log_model_signatures, exclusive=exclusive, silent=silent,
                       max_tuning_runs=max_tuning_runs, log_post_training_metrics=log_post_training_metrics,
                       registered_model_name=registered_model_name, extra_tags=extra_tags or {},
                       extra={"pos_label": pos_label})
    if patch.configure(NAME, disable, options):
        patch.when_imported(NAME, "sklearn", _patch_module, under=True)


def _patch_module(module: Any) -> None:
    """Patch the estimators ``module`` defines, as each scikit-learn module is imported: importing every
    estimator up front (``sklearn.utils.all_estimators``) would cost a second or more."""
    from gx.autolog import sklearn_post

    post = patch.settings[NAME].log_post_training_metrics
    if post and module.__name__ == "sklearn.metrics":
        sklearn_post.patch_metrics(module)
    for estimator_class in estimators_defined_in(module):
        for method in FIT_METHODS:
            patch.patch(NAME, estimator_class, method, _around_fit)
        if post:
            sklearn_post.patch_estimator(estimator_class)


def estimators_defined_in(module: Any) -> list[type]:
    """The public, concrete estimator classes ``module`` defines (``all_estimators``'s rule, per module)."""
    import inspect

    # None while sklearn.base is itself still importing: no module it imports can subclass it
    base_estimator = getattr(sys.modules.get("sklearn.base"), "BaseEstimator", None)
    if base_estimator is None or ".tests" in module.__name__ or "externals" in module.__name__:
        return []
    return [value for name, value in list(vars(module).items())
            if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_")
            and issubclass(value, base_estimator) and not inspect.isabstract(value)]


def _around_fit(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    estimator, X, y = (*args, None, None, None)[:3]
    X = kwargs.get("X", X)
    y = kwargs.get("y", y)
    weight = kwargs.get("sample_weight")
    return patch.call_in_run(NAME, original, args, kwargs, lambda: log_params_and_tags(estimator),
                             lambda _: log_fitted(estimator, X, y, weight))


def log_params_and_tags(estimator: Any) -> None:
    from gx.tracking import fluent

    patch.log_params(NAME, {key: _param(value) for key, value in estimator.get_params(deep=True).items()})
    kind = type(estimator)
    fluent.set_tags({"estimator_name": kind.__name__, "estimator_class": f"{kind.__module__}.{kind.__qualname__}"})


def _param(value: Any) -> Any:
    """Estimators inside a meta-estimator's params are logged as their repr, bounded."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    text = repr(value)
    return text if len(text) <= 250 else text[:247] + "..."


def log_fitted(estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    from gx.tracking import fluent

    options = patch.settings[NAME]
    if y is not None and X is not None:
        metrics = training_metrics(estimator, X, y, sample_weight, options.extra.get("pos_label"))
        patch.safely(NAME, "log the training metrics", fluent.log_metrics,
                     {k: v for k, v in metrics.items() if v is not None})
    if hasattr(estimator, "cv_results_"):
        from gx.autolog.sklearn_search import log_search

        patch.safely(NAME, "log the search's candidates", log_search, estimator, options)
    if options.log_models:
        log_model(estimator, "model", X, options)
        if hasattr(estimator, "best_estimator_"):
            log_model(estimator.best_estimator_, "best_estimator", X, options)


def log_model(estimator: Any, name: str, X: Any, options: Settings) -> None:
    from gx.autolog import model_log
    from gx.models import sklearn as flavor

    rows = model_log.head(X) if X is not None and model_log.wanted(NAME) else None
    model_log.log_model(NAME, flavor.log_model, estimator, name, rows, getattr(estimator, "predict", None))


def training_metrics(estimator: Any, X: Any, y: Any, sample_weight: Any = None, pos_label: Any = None) -> dict[str, Any]:
    """MLflow's ``training_*`` metrics: classification ones for a classifier, regression ones for a
    regressor, ``training_score`` for anything with ``score``; a metric that fails is left out."""
    from sklearn import base, metrics

    out: dict[str, Any] = {}
    kind = "classifier" if base.is_classifier(estimator) else "regressor" if base.is_regressor(estimator) else None
    mixin_score = kind is not None and type(estimator).score in (base.ClassifierMixin.score, base.RegressorMixin.score)
    if hasattr(estimator, "score") and not mixin_score:  # the mixins' score is accuracy or R²: no second predict
        out["training_score"] = _try(estimator.score, X, y, sample_weight=sample_weight)
    if not hasattr(estimator, "predict") or kind is None:
        return out
    y_pred = _try(estimator.predict, X)
    if y_pred is None:
        return out
    weighted = {"sample_weight": sample_weight}
    if kind == "classifier":
        labels = getattr(estimator, "classes_", ())
        average = "binary" if len(labels) == 2 and pos_label is not None else "weighted"
        averaged = dict(weighted, average=average, **({"pos_label": pos_label} if average == "binary" else {}))
        out["training_accuracy_score"] = _try(metrics.accuracy_score, y, y_pred, **weighted)
        scores = _try(metrics.precision_recall_fscore_support, y, y_pred, zero_division=0, **averaged)
        if scores is not None:  # one confusion matrix for the three
            for name, value in zip(("precision_score", "recall_score", "f1_score"), scores):
                out[f"training_{name}"] = _number(value)
        proba = _try(estimator.predict_proba, X) if hasattr(estimator, "predict_proba") else None
        if proba is not None:
            out["training_log_loss"] = _try(metrics.log_loss, y, proba, labels=labels, **weighted)
            scores = proba[:, 1] if len(labels) == 2 else proba
            extra = {} if len(labels) == 2 else {"multi_class": "ovr", "labels": labels}
            out["training_roc_auc"] = _try(metrics.roc_auc_score, y, scores, average="weighted", **extra, **weighted)
        if mixin_score:
            out["training_score"] = out["training_accuracy_score"]
    else:
        mse = _try(metrics.mean_squared_error, y, y_pred, **weighted)
        out["training_mean_squared_error"] = mse
        out["training_root_mean_squared_error"] = math.sqrt(mse) if mse is not None else None
        out["training_mean_absolute_error"] = _try(metrics.mean_absolute_error, y, y_pred, **weighted)
        out["training_r2_score"] = _try(metrics.r2_score, y, y_pred, **weighted)
        if mixin_score:
            out["training_score"] = out["training_r2_score"]
    return out


def _try(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A metric, or None where it is not defined for this data (one class, non-finite values...)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fn(*args, **kwargs)
    except Exception:
        return None
    return value if isinstance(value, tuple) else _number(value)


def _number(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    return value if isinstance(value, (int, float)) or hasattr(value, "shape") else None
