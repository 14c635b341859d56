"""XGBoost autologging: ``xgboost.train`` and the scikit-learn wrappers' ``fit`` log the params,
per-iteration evaluation metrics (``{dataset}-{metric}`` at step = iteration), the best iteration,
feature importance (``feature_importance_weight.json``/``.png``) and the model (``gx.xgboost``)."""

from __future__ import annotations

import functools
from typing import Any

from gx.autolog import boosting, model_log, patch
from gx.autolog.patch import Settings

NAME = "xgboost"
WRAPPERS = ("XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


def autolog(importance_types: list[str] | None = None, log_input_examples: bool = False,
            log_model_signatures: bool = True, log_models: bool = True, log_datasets: bool = False,
            disable: bool = False, exclusive: bool = False, disable_for_unsupported_versions: bool = False,
            silent: bool = False, registered_model_name: str | None = None, model_format: str = "ubj",
            extra_tags: dict[str, Any] | None = None) -> None:
    """Log every XGBoost training (``disable=True`` puts the library back as it was)."""
    patch.refuse_log_datasets(NAME, log_datasets)
    from gx.models import xgboost as flavor

    flavor.check_format(model_format, "gx.xgboost.autolog")
    options = Settings(log_models=log_models, log_input_examples=log_input_examples,
                       log_model_signatures=log_model_signatures, exclusive=exclusive, silent=silent,
                       registered_model_name=registered_model_name, extra_tags=extra_tags or {},
                       extra={"importance_types": importance_types or ["weight"], "model_format": model_format})
    if patch.configure(NAME, disable, options):
        patch.when_imported(NAME, "xgboost", _patch_library)


def _patch_library(_: Any) -> None:
    import xgboost
    import xgboost.sklearn
    import xgboost.training

    boosting.patch_library(NAME, (xgboost, xgboost.training, xgboost.sklearn), xgboost.sklearn, WRAPPERS,
                           _around_train, _around_fit)


def _around_train(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    names = ("params", "dtrain", "num_boost_round")
    given = dict(zip(names, args))
    kwargs = dict(kwargs)
    results = kwargs.get("evals_result")
    if results is None:
        results = kwargs["evals_result"] = {}  # filled by train(); what train returns is unchanged

    def before() -> None:

        params = dict(given.get("params", kwargs.get("params")) or {})
        for key in ("num_boost_round", "early_stopping_rounds", "maximize", "verbose_eval"):
            if key in kwargs or key in given:
                params[key] = given.get(key, kwargs.get(key))
        patch.log_params(NAME, boosting.split_params(params))

    def after(booster: Any) -> None:
        dtrain = given.get("dtrain", kwargs.get("dtrain"))
        rows = patch.safely(NAME, "read the training rows", model_log.dmatrix_head, dtrain) if (
            dtrain is not None and model_log.wanted(NAME)) else None
        _log_results(results, booster, booster, rows)

    return patch.call_in_run(NAME, original, args, kwargs, before, after)


def _around_fit(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    model = args[0]

    def before() -> None:

        patch.log_params(NAME, boosting.split_params(model.get_params()))

    def after(_: Any) -> None:
        results = patch.safely(NAME, "read the evaluation results", model.evals_result) if hasattr(
            model, "evals_result_") else {}
        X = args[1] if len(args) > 1 else kwargs.get("X")
        rows = model_log.head(X) if X is not None and model_log.wanted(NAME) else None
        _log_results(results or {}, model.get_booster(), model, rows)

    return patch.call_in_run(NAME, original, args, kwargs, before, after)


def _log_results(results: dict[str, Any], booster: Any, model: Any, rows: Any) -> None:
    options = patch.settings[NAME]
    scores = {kind: patch.safely(NAME, "read feature importance", booster.get_score, importance_type=kind)
              for kind in options.extra["importance_types"]}
    charts = boosting.ImportanceCharts(NAME, {kind: found for kind, found in scores.items() if found})
    patch.safely(NAME, "log the evaluation history", boosting.log_histories, results)
    best = getattr(booster, "best_iteration", None) if "best_iteration" in booster.attributes() else None
    patch.safely(NAME, "log the best iteration", boosting.log_best_iteration, best)
    if options.log_models:
        from gx.models import xgboost as flavor

        log = functools.partial(flavor.log_model, model_format=options.extra["model_format"])
        model_log.log_model(NAME, log, model, "model", rows, _signature_predict(model))
    charts.log()


def _signature_predict(model: Any) -> Any:
    """What the signature's outputs are read from: a Booster predicts in place (no DMatrix built, and
    no thread pool started, for five rows), as its scikit-learn wrappers' ``predict`` does; the
    DMatrix route where in-place prediction is refused."""
    from gx.models import xgboost as flavor

    if type(model).__name__ != "Booster":
        return flavor.predictor(model)
    fallback = flavor.predictor(model)

    def predict(rows: Any) -> Any:
        try:
            return model.inplace_predict(rows)
        except Exception:  # a booster or input the in-place path does not take
            return fallback(rows)

    return predict
