"""XGBoost and LightGBM autolog: train() and the scikit-learn wrappers log params, per-iteration
evaluation histories, the best iteration, feature importance (JSON + PNG) and the model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gx


def data(rows: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    return X, (X[:, 0] - X[:, 2] > 0).astype(int)


def tip_files(repo) -> set[str]:
    return set(repo.git("ls-tree", "-r", "--name-only", "refs/experiments/default").split())


def chart_image(repo, name: str):
    import io
    import subprocess

    from PIL import Image

    blob = subprocess.run(["git", "cat-file", "blob", f"refs/experiments/default:artifacts/{name}"], cwd=repo.path,
                          capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(blob))


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in gx.get_metric_history(run_id, key)]


def test_xgboost_train_logs_histories_best_iteration_importance_and_model(repo):
    xgb = pytest.importorskip("xgboost")
    X, y = data()
    dtrain, dvalid = xgb.DMatrix(X[:60], y[:60]), xgb.DMatrix(X[60:], y[60:])
    gx.xgboost.autolog()
    try:
        given = {}
        booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, dtrain, num_boost_round=8,
                            evals=[(dtrain, "train"), (dvalid, "valid")], early_stopping_rounds=3,
                            evals_result=given, verbose_eval=False)
    finally:
        gx.xgboost.autolog(disable=True)
    run = gx.get_run(gx.list_runs()[0].run_id)
    assert run.data.params["max_depth"] == 2 and run.data.params["num_boost_round"] == 8
    steps = history(run.info.run_id, "valid-logloss")
    assert [s for s, _ in steps] == list(range(len(given["valid"]["logloss"])))
    assert [v for _, v in steps] == pytest.approx(given["valid"]["logloss"])
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    files = tip_files(repo)
    assert {"artifacts/feature_importance_weight.json", "artifacts/feature_importance_weight.png",
            "artifacts/model/model.ubj"} <= files
    scores = json.loads(repo.git("show", "refs/experiments/default:artifacts/feature_importance_weight.json"))
    assert scores == pytest.approx(booster.get_score(importance_type="weight"))
    chart = chart_image(repo, "feature_importance_weight.png")
    assert chart.format == "PNG" and chart.width >= 400 and len(chart.getcolors(4096) or ()) > 3  # bars and text
    loaded = gx.xgboost.load_model(f"runs:/{run.info.run_id}/model")
    assert np.allclose(loaded.predict(dvalid), booster.predict(dvalid))
    repo.fsck()


def test_xgboost_sklearn_wrapper_is_one_run(repo):
    xgb = pytest.importorskip("xgboost")
    X, y = data()
    gx.autolog()
    try:
        model = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y, eval_set=[(X, y)], verbose=False)
    finally:
        gx.autolog(disable=True)
    runs = gx.list_runs()
    assert len(runs) == 1, "the wrapper's inner train() is not a second run"
    run = gx.get_run(runs[0].run_id)
    assert run.data.params["n_estimators"] == 5
    assert len(history(run.info.run_id, "validation_0-logloss")) == 5
    assert np.allclose(gx.xgboost.load_model(f"runs:/{run.info.run_id}/model").predict_proba(X), model.predict_proba(X))


def test_lightgbm_train_and_wrapper(repo):
    lgb = pytest.importorskip("lightgbm")
    X, y = data()
    callbacks: list = []
    gx.lightgbm.autolog()
    try:
        booster = lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1}, lgb.Dataset(X, y),
                            num_boost_round=6, valid_sets=[lgb.Dataset(X, y)], valid_names=["train"],
                            callbacks=callbacks)
        lgb.LGBMRegressor(n_estimators=4, num_leaves=4, verbose=-1).fit(X, X[:, 1], eval_X=X, eval_y=X[:, 1])
    finally:
        gx.lightgbm.autolog(disable=True)
    assert callbacks == [], "the user's callback list is never changed"
    runs = sorted(gx.list_runs(), key=lambda r: r.start_time)
    assert len(runs) == 2
    first = gx.get_run(runs[0].run_id)
    assert first.data.params["num_leaves"] == 4 and first.data.params["num_boost_round"] == 6
    assert len(history(first.info.run_id, "train-binary_logloss")) == 6
    second = gx.get_run(runs[1].run_id)
    assert second.data.params["n_estimators"] == 4
    assert len(history(second.info.run_id, "valid_0-l2")) == 4
    files = tip_files(repo)
    assert {"artifacts/feature_importance_split.png", "artifacts/feature_importance_gain.json",
            "artifacts/model/model.pkl"} <= files, "the wrapper run is the tip: its model is pickled"
    model = gx.lightgbm.load_model(f"runs:/{first.info.run_id}/model")
    assert np.allclose(model.predict(X), booster.predict(X))
    repo.fsck()


@pytest.mark.parametrize("font", ["truetype", "bitmap"])
def test_importance_chart_labels_are_drawn_with_either_font(monkeypatch, font):
    """Pillow places a TrueType font's text by its anchors; a bitmap font (Pillow built without
    FreeType) is placed by the text's box: labels are drawn left of the bars either way."""
    import io

    from PIL import Image, ImageFont

    from gx.autolog import importance_chart

    if font == "bitmap":
        monkeypatch.setattr(importance_chart, "_font", ImageFont.load_default_imagefont)
    png = importance_chart.importance_png("gain", {f"feature_{i}": float(i + 1) for i in range(6)})
    opened = Image.open(io.BytesIO(png))
    assert opened.format == "PNG"
    image = opened.convert("RGB")
    label_column = image.crop((0, importance_chart.TOP, 60, image.height - importance_chart.BOTTOM))
    dark = sum(1 for r, g, b in label_column.getdata() if r + g + b < 300)
    assert image.width == importance_chart.WIDTH and dark > 50
