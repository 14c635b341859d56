"""Search libraries as the course uses them: hyperopt's fmin with nested runs inside the objective
(import changed only), XGBoost autolog inside it, and gx.optuna.Callback like MLflowCallback."""

from __future__ import annotations

import numpy as np
import pytest

import gx as mlflow  # the course's code with only the import changed


def regression(rows: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=rows)


def test_hyperopt_fmin_with_nested_runs_and_xgboost(repo):
    hyperopt = pytest.importorskip("hyperopt")
    xgb = pytest.importorskip("xgboost")
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
    from hyperopt.pyll import scope
    from sklearn.metrics import mean_squared_error

    X, y = regression()
    train, valid = xgb.DMatrix(X[:60], label=y[:60]), xgb.DMatrix(X[60:], label=y[60:])
    y_val = y[60:]

    def objective(params):
        with mlflow.start_run(nested=True):
            mlflow.set_tag("model", "xgboost")
            mlflow.log_params(params)
            booster = xgb.train(params=params, dtrain=train, num_boost_round=20, evals=[(valid, "validation")],
                                early_stopping_rounds=5, verbose_eval=False)
            y_pred = booster.predict(valid)
            rmse = float(np.sqrt(mean_squared_error(y_val, y_pred)))
            mlflow.log_metric("rmse", rmse)
        return {"loss": rmse, "status": STATUS_OK}

    search_space = {
        "max_depth": scope.int(hp.quniform("max_depth", 2, 6, 1)),
        "learning_rate": hp.loguniform("learning_rate", -3, 0),
        "objective": "reg:squarederror",
        "seed": 42,
    }
    mlflow.xgboost.autolog(log_models=False)
    try:
        with mlflow.start_run(run_name="hyperopt") as parent:
            fmin(fn=objective, space=search_space, algo=tpe.suggest, max_evals=4, trials=Trials(),
                 rstate=np.random.default_rng(0), show_progressbar=False)
    finally:
        mlflow.xgboost.autolog(disable=True)
    assert hyperopt is not None
    runs = mlflow.list_runs()
    children = [r for r in runs if r.parent_run_id == parent.info.run_id]
    assert len(runs) == 5 and len(children) == 4
    child = mlflow.get_run(children[0].run_id)
    assert {"rmse", "validation-rmse"} <= set(child.data.metrics)
    assert child.data.tags["model"] == "xgboost" and "learning_rate" in child.data.params
    repo.fsck()


def test_optuna_callback_records_each_trial_like_mlflowcallback(repo):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        x = trial.suggest_float("x", -4, 4)
        for step in range(3):
            trial.report((x - 1) ** 2 + 1 / (step + 1), step)
        if trial.number == 2:
            raise optuna.TrialPruned()
        return (x - 1) ** 2

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with mlflow.start_run(run_name="study") as parent:
        study.optimize(objective, n_trials=4, callbacks=[mlflow.optuna.Callback(metric_name="loss")])
    children = [r for r in mlflow.list_runs() if r.parent_run_id == parent.info.run_id]
    assert sorted(r.name for r in children) == ["0", "1", "2", "3"]
    by_name = {r.name: mlflow.get_run(r.run_id) for r in children}
    first = by_name["0"]
    assert first.data.params["x"] == pytest.approx(study.trials[0].params["x"])
    assert first.data.metrics["loss"] == pytest.approx(study.trials[0].value)
    assert first.data.tags["state"] == "COMPLETE" and first.data.tags["direction"] == "MINIMIZE"
    assert by_name["2"].data.tags["state"] == "PRUNED"
    steps = [(m.step, m.value) for m in mlflow.get_metric_history(first.info.run_id, "loss")]
    assert [s for s, _ in steps[:3]] == [0, 1, 2]
    repo.fsck()
