"""Logging and loading real models: scikit-learn, XGBoost, LightGBM, pyfunc; signatures; limits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import gx
from gx.errors import ArtifactTooLarge, GxError, GxWarning
from models_helpers import logged_sklearn_run, table


def test_sklearn_round_trip_by_run_uri(repo):
    run_id, model, X = logged_sklearn_run(gx)
    repo.fsck()
    files = repo.git("ls-tree", "-r", "--name-only", "refs/experiments/default").split()
    assert {f"artifacts/model/{f}" for f in ("model.pkl", "model.yaml", "input_example.json",
                                             "requirements.txt")} <= set(files)
    loaded = gx.sklearn.load_model(f"runs:/{run_id}/model")
    assert np.array_equal(loaded.predict(X), model.predict(X))
    by_prefix = gx.pyfunc.load_model(f"runs:/{run_id[:8]}/model")
    assert np.array_equal(by_prefix.predict(X), model.predict(X))
    descriptor = repo.git("show", "refs/experiments/default:artifacts/model/model.yaml")
    assert "flavor: sklearn" in descriptor and "name: tenure" in descriptor and "scikit-learn==" in descriptor


def test_run_name_and_artifact_path_spelling(repo):
    from sklearn.linear_model import LinearRegression

    X, y = table()
    with gx.start_run(run_name="baseline"):
        info = gx.sklearn.log_model(LinearRegression().fit(X, y), artifact_path="lr")
    assert info.model_uri.endswith("/lr")
    assert gx.pyfunc.load_model("runs:/baseline/lr").predict(X.to_numpy()).shape == (len(X),)


@pytest.mark.parametrize("model_format", [None, "json"])
def test_xgboost_models_load_back_and_predict_the_same(repo, model_format):
    xgboost = pytest.importorskip("xgboost")
    X, y = table()
    clf = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=y), num_boost_round=3)
    chosen = {} if model_format is None else {"model_format": model_format}
    with gx.start_run() as run:
        gx.xgboost.log_model(clf, name="clf", input_example=X.head(2), **chosen)
        gx.xgboost.log_model(booster, name="booster", **chosen)
    repo.fsck()
    suffix, first = (".ubj", "{L") if model_format is None else (".json", '{"')  # UBJSON by default, as MLflow
    for name in ("clf", "booster"):
        assert repo.git("show", f"refs/experiments/default:artifacts/{name}/model{suffix}").startswith(first)
        descriptor = repo.git("show", f"refs/experiments/default:artifacts/{name}/model.yaml")
        assert f"serialization: xgboost-{suffix[1:]}" in descriptor and f"model_file: model{suffix}" in descriptor
    loaded = gx.xgboost.load_model(f"runs:/{run.info.run_id}/clf")
    assert type(loaded).__name__ == "XGBClassifier"
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    pf = gx.pyfunc.load_model(f"runs:/{run.info.run_id}/booster")
    assert np.allclose(pf.predict(X), booster.predict(xgboost.DMatrix(X)))
    assert b"pickle" not in repo.git("show", "refs/experiments/default:artifacts/clf/model.yaml").encode()


def test_xgboost_model_format_gx_cannot_write_is_refused_before_a_run(repo):
    xgboost = pytest.importorskip("xgboost")
    X, y = table()
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=y), num_boost_round=2)
    with pytest.raises(GxError, match=r"model_format='xgb' \(XGBoost's deprecated binary format\) is not "
                       "supported; use 'ubj'") as caught:
        gx.xgboost.log_model(booster, name="m", model_format="xgb")
    assert "\n" not in str(caught.value) and gx.list_runs() == []


def test_lightgbm_models_load_back_and_predict_the_same(repo):
    lightgbm = pytest.importorskip("lightgbm")
    X, y = table(rows=60)
    reg = lightgbm.LGBMRegressor(n_estimators=3, min_child_samples=5, verbose=-1).fit(X, y)
    booster = lightgbm.train({"verbose": -1, "min_data_in_leaf": 5}, lightgbm.Dataset(X, label=y), num_boost_round=3)
    with gx.start_run() as run:
        gx.lightgbm.log_model(reg, name="reg", input_example=X.head(2))
        gx.lightgbm.log_model(booster, name="booster")
    repo.fsck()
    assert np.allclose(gx.lightgbm.load_model(f"runs:/{run.info.run_id}/reg").predict(X), reg.predict(X))
    assert np.allclose(gx.pyfunc.load_model(f"runs:/{run.info.run_id}/booster").predict(X), booster.predict(X))


def test_a_lightgbm_booster_is_saved_as_its_text_model_exactly(repo):
    """The text is written in one pass by save_model: byte for byte model_to_string's, past the 1 MiB
    at which model_to_string serialises twice, with the best iteration's trees only, as it keeps."""
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 8))
    y = X[:, 0] + rng.normal(size=1000)
    data = lightgbm.Dataset(X, label=y, free_raw_data=False)
    params = {"verbose": -1, "num_leaves": 63, "min_data_in_leaf": 2, "num_threads": 1}
    big = lightgbm.train(params, data, num_boost_round=180)
    stopped = lightgbm.train(params, data, num_boost_round=60, valid_sets=[lightgbm.Dataset(X[:50], label=rng.normal(size=50))],
                             callbacks=[lightgbm.early_stopping(3, verbose=False)], keep_training_booster=True)
    assert len(big.model_to_string()) > 1 << 20 and 0 < stopped.best_iteration < stopped.current_iteration()
    with gx.start_run() as run:
        gx.lightgbm.log_model(big, name="big")
        gx.lightgbm.log_model(stopped, name="stopped")
    repo.fsck()
    for name, booster in (("big", big), ("stopped", stopped)):
        stored = repo.git("show", f"refs/experiments/default:artifacts/{name}/model.txt")
        assert stored == booster.model_to_string()
        loaded = gx.lightgbm.load_model(f"runs:/{run.info.run_id}/{name}")
        assert np.array_equal(loaded.predict(X), booster.predict(X))


class AddOne(gx.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return np.asarray(model_input, dtype=float) + 1


class Doubler:
    def predict(self, data):
        return np.asarray(data) * 2


def test_pyfunc_python_models(repo):
    with gx.start_run() as run:
        gx.pyfunc.log_model("custom", python_model=AddOne(), input_example=np.zeros((2, 3)))
        gx.pyfunc.log_model(name="plain", python_model=Doubler())
    run_id = run.info.run_id
    assert gx.pyfunc.load_model(f"runs:/{run_id}/custom").predict([[1, 2, 3]]).tolist() == [[2.0, 3.0, 4.0]]
    assert gx.pyfunc.load_model(f"runs:/{run_id}/plain").predict(np.array([1, 2])).tolist() == [2, 4]
    with pytest.raises(GxError, match=r"shape \(1, 2\).*\(-1, 3\)"):
        gx.pyfunc.load_model(f"runs:/{run_id}/custom").predict([[1, 2]])
    with pytest.raises(TypeError, match="predict"):
        gx.pyfunc.log_model(python_model=object())


def test_signature_checks_columns_and_accepts_lists_and_dicts(repo):
    run_id, model, X = logged_sklearn_run(gx)
    pf = gx.pyfunc.load_model(f"runs:/{run_id}/model")
    expected = model.predict(X.head(2))
    assert np.array_equal(pf.predict(X.head(2)[["calls", "spend", "tenure"]]), expected)  # reordered
    assert np.array_equal(pf.predict(X.head(2).to_dict(orient="records")), expected)
    assert np.array_equal(pf.predict(X.head(2).to_numpy().tolist()), expected)
    with pytest.raises(GxError, match="no column 'spend'.*tenure, spend, calls"):
        pf.predict(X.drop(columns="spend"))


def test_model_over_the_large_file_cap_names_the_cap(repo, monkeypatch):
    monkeypatch.setenv("GX_LFS_MAX_BYTES", "1000")
    with gx.start_run(), pytest.raises(ArtifactTooLarge, match=r"artifact 'big/.*cap.*GX_LFS_MAX_BYTES"):
        gx.pyfunc.log_model(name="big", python_model=Doubler(), input_example={"x": ["y" * 2000]})


def test_library_version_mismatch_warns_once(repo, monkeypatch):
    from gx.models import flavor

    run_id, _, X = logged_sklearn_run(gx)
    monkeypatch.setattr(flavor, "installed_version", lambda dist: "0.0.1" if dist == "scikit-learn" else None)
    flavor._warned.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gx.sklearn.load_model(f"runs:/{run_id}/model")
        gx.sklearn.load_model(f"runs:/{run_id}/model")
    messages = [str(w.message) for w in caught if issubclass(w.category, GxWarning)]
    assert len(messages) == 1 and "0.0.1 is installed" in messages[0]


def test_wrong_flavor_and_missing_model_are_one_line_errors(repo):
    run_id, _, _ = logged_sklearn_run(gx)
    with pytest.raises(GxError, match="is a sklearn model"):
        gx.xgboost.load_model(f"runs:/{run_id}/model")
    with pytest.raises(GxError, match="holds no model"):
        gx.pyfunc.load_model(f"runs:/{run_id}/nothing")
    with pytest.raises(GxError, match="no run matches"):
        gx.pyfunc.load_model("runs:/feedbeef/model")


class Tripwire:
    """Unpickling this writes a file: proves which commands unpickle."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (_trip, (self.path,))

    def predict(self, data):
        return data


def _trip(path: str) -> Tripwire:
    with open(path, "w") as fh:
        fh.write("unpickled")
    return Tripwire.__new__(Tripwire)


def test_listing_and_showing_never_unpickle(repo, cli, tmp_path):
    wire = tmp_path / "tripped"
    with gx.start_run() as run:
        gx.pyfunc.log_model(name="model", python_model=Tripwire(str(wire)))
    gx.register_model(f"runs:/{run.info.run_id}/model", "wired")
    for args in (["models", "ls"], ["models", "show", "wired"], ["models", "history", "wired"], ["show", run.info.run_id],
                 ["ls"]):
        assert cli(*args).exit_code == 0
    assert not wire.exists()
    gx.pyfunc.load_model("models:/wired/1")
    assert wire.read_text() == "unpickled"


class Heavy:
    """A model just under the artifact limit (random bytes: nothing compresses it away)."""

    def __init__(self, size: int) -> None:
        self.weights = np.random.default_rng(0).bytes(size)

    def predict(self, data):
        return np.full(len(data), len(self.weights))


def test_a_model_just_under_the_limit_hits_no_other_limit(repo):
    from gx import limits

    size = limits.MAX_ARTIFACT_BYTES - 4096
    wide = pd.DataFrame(np.zeros((2, 3000)), columns=[f"f{i}" for i in range(3000)])
    with gx.start_run() as run:
        gx.pyfunc.log_model(name="heavy", python_model=Heavy(size), input_example=wide)
    repo.fsck()
    gx.register_model(f"runs:/{run.info.run_id}/heavy", "heavy")
    assert gx.pyfunc.load_model("models:/heavy/latest").predict(wide).tolist() == [size, size]
    assert gx.get_run(run.info.run_id).info.run_id == run.info.run_id
