"""LightGBM autologging: ``lightgbm.train`` and the scikit-learn wrappers' ``fit`` log the params,
per-iteration evaluation metrics (``{dataset}-{metric}`` at step = iteration), the best iteration,
feature importance (``feature_importance_split``/``_gain`` JSON and PNG) and the model (``gx.lightgbm``)."""

from __future__ import annotations

import functools
from typing import Any

from gx.autolog import boosting, model_log, patch
from gx.autolog.patch import Settings

NAME = "lightgbm"
WRAPPERS = ("LGBMModel", "LGBMClassifier", "LGBMRegressor", "LGBMRanker")
TRAIN_ARGS = ("params", "train_set", "num_boost_round", "valid_sets", "valid_names", "feval", "init_model",
              "keep_training_booster")


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = False, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            registered_model_name: str | None = None, extra_tags: dict[str, Any] | None = None) -> None:
    """Log every LightGBM training (``disable=True`` puts the library back as it was)."""
    patch.refuse_log_datasets(NAME, log_datasets)
    options = Settings(log_models=log_models, log_input_examples=log_input_examples,
                       log_model_signatures=log_model_signatures, exclusive=exclusive, silent=silent,
                       registered_model_name=registered_model_name, extra_tags=extra_tags or {})
    if patch.configure(NAME, disable, options):
        patch.when_imported(NAME, "lightgbm", _patch_library)


def _patch_library(_: Any) -> None:
    import lightgbm
    import lightgbm.engine
    import lightgbm.sklearn

    boosting.patch_library(NAME, (lightgbm, lightgbm.engine, lightgbm.sklearn), lightgbm.sklearn, WRAPPERS,
                           _around_train, _around_fit)


def _around_train(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    import lightgbm

    given = dict(zip(TRAIN_ARGS, args))
    results: dict[str, Any] = {}
    rows: list[Any] = [None]
    kwargs = dict(kwargs)  # the user's callback list is copied, never changed
    reloaded = ReloadedText()
    kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), lightgbm.record_evaluation(results), reloaded]

    def before() -> None:
        train_set = given.get("train_set", kwargs.get("train_set"))
        if model_log.wanted(NAME):  # read now: train() frees the Dataset's raw data
            rows[0] = model_log.head(getattr(train_set, "data", None))
        params = dict(given.get("params", kwargs.get("params")) or {})
        if "num_boost_round" in given or "num_boost_round" in kwargs:
            params["num_boost_round"] = given.get("num_boost_round", kwargs.get("num_boost_round"))
        patch.log_params(NAME, boosting.split_params(params))

    def train(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            reloaded.release()

    def after(booster: Any) -> None:
        keep = given.get("keep_training_booster", kwargs.get("keep_training_booster", False))
        _log_results(results, booster, booster, rows[0], None if keep else reloaded.text_of(booster))

    return patch.call_in_run(NAME, train, args, kwargs, before, after)


def _around_fit(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    model = args[0]
    X = args[1] if len(args) > 1 else kwargs.get("X")

    def before() -> None:

        patch.log_params(NAME, boosting.split_params(model.get_params()))

    def after(_: Any) -> None:
        rows = model_log.head(X) if X is not None and model_log.wanted(NAME) else None
        _log_results(getattr(model, "evals_result_", {}), model.booster_, model, rows)

    return patch.call_in_run(NAME, original, args, kwargs, before, after)


def _log_results(results: dict[str, Any], booster: Any, model: Any, rows: Any, text: bytes | None = None) -> None:
    scores = {}
    for kind in ("split", "gain"):
        importance = patch.safely(NAME, "read feature importance", booster.feature_importance, importance_type=kind)
        if importance is not None:
            scores[kind] = dict(zip(booster.feature_name(), importance.tolist()))
    charts = boosting.ImportanceCharts(NAME, scores)
    patch.safely(NAME, "log the evaluation history", boosting.log_histories, results)
    best = getattr(booster, "best_iteration", 0)
    patch.safely(NAME, "log the best iteration", boosting.log_best_iteration, best if best > 0 else None)
    if patch.settings[NAME].log_models:
        from gx.models import lightgbm as flavor

        log = functools.partial(flavor.log_model, model_text=text) if text is not None else flavor.log_model
        model_log.log_model(NAME, log, model, "model", rows, _signature_predict(model))
    charts.log()


def _signature_predict(model: Any) -> Any:
    """What the signature's outputs are read from: the model's ``predict`` on one thread (five rows in
    LightGBM's default pool of every core cost ~7 ms of CPU, and tens of ms of waiting on a busy machine;
    threads do not change a prediction)."""
    predict = getattr(model, "predict", None)
    return None if predict is None else lambda rows: predict(rows, num_threads=1)


class ReloadedText:
    """A training callback that lets gx store the text ``lightgbm.train`` already made: unless told to
    keep the training booster, train() ends with ``booster.model_from_string(booster.model_to_string())``,
    so the text it loads is exactly the model it returns, and serialising it again would cost as much
    (tens of ms for a model of a few MB). The booster's ``model_from_string`` is wrapped on that one
    instance for the call and restored (``release``) before train() returns."""

    order = 1000  # the last callback of an iteration
    before_iteration = False

    def __init__(self) -> None:
        self.booster: Any = None
        self.text: str | None = None
        self.iterations = -1

    def __call__(self, env: Any) -> None:
        if self.booster is not None or "model_from_string" in vars(env.model):
            return
        booster, load = env.model, env.model.model_from_string

        def remember(model_str: str) -> Any:
            self.text = None
            out = load(model_str)
            self.text, self.iterations = model_str, booster.current_iteration()
            return out

        booster.model_from_string = remember
        self.booster = booster

    def release(self) -> None:
        if self.booster is not None:
            vars(self.booster).pop("model_from_string", None)

    def text_of(self, booster: Any) -> bytes | None:
        """The text ``booster`` was last loaded from, if it is the trained one and nothing changed since."""
        if booster is not self.booster or not isinstance(self.text, str):
            return None
        try:
            return self.text.encode("utf-8") if booster.current_iteration() == self.iterations else None
        except Exception:
            return None
