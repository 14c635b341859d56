"""MLflow's autolog switches do what they say, or are refused in one line: input examples and
signatures for every library, ``registered_model_name``, ``extra_tags``, ``exclude_flavors``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import gx
from gx.errors import BadValue


def data(rows: int = 60):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(rows, 3))
    return X, (X[:, 0] > 0).astype(int)


def model_file(repo, run_id: str, name: str) -> str:
    commit = next(r for r in gx.list_runs() if r.run_id == run_id).commit
    return repo.git("show", f"{commit}:artifacts/model/{name}")


@pytest.fixture
def autologged():
    yield
    gx.autolog(disable=True)


def test_xgboost_train_logs_the_first_training_rows_with_missing_values_kept(repo, autologged):
    xgb = pytest.importorskip("xgboost")
    X, y = data()
    X[1, 2] = np.nan
    gx.xgboost.autolog(log_input_examples=True)
    xgb.train({"max_depth": 2}, xgb.DMatrix(X, y), 3)
    run_id = gx.list_runs()[0].run_id
    example = json.loads(model_file(repo, run_id, "input_example.json"))["inputs"]
    assert len(example) == 5 and example[0] == pytest.approx(X[0].tolist())
    assert math.isnan(example[1][2]) and example[1][:2] == pytest.approx(X[1, :2].tolist())
    descriptor = model_file(repo, run_id, "model.yaml")
    assert "inputs:" in descriptor and "outputs:" in descriptor
    repo.fsck()


@pytest.mark.parametrize("params", [{"objective": "multi:softprob", "num_class": 3}, {"objective": "reg:squarederror"},
                                    {"objective": "binary:logistic", "booster": "gblinear"}])
def test_xgboost_signature_outputs_are_what_the_booster_predicts(repo, autologged, params):
    """Read from an in-place prediction (or the DMatrix route where that is refused): the same dtype
    and shape as ``booster.predict(DMatrix)``, the route the model is served by."""
    from gx.models.descriptor import parse_descriptor
    from gx.models.signature import output_signature

    xgb = pytest.importorskip("xgboost")
    X, y = data()
    y = y + (X[:, 1] > 0) if params["objective"].startswith("multi") else y
    gx.xgboost.autolog()
    booster = xgb.train({**params, "max_depth": 2}, xgb.DMatrix(X, y), 3)
    descriptor = parse_descriptor(model_file(repo, gx.list_runs()[0].run_id, "model.yaml").encode())
    assert descriptor.signature["outputs"] == output_signature(booster.predict(xgb.DMatrix(X[:5])))["outputs"]
    assert descriptor.signature["inputs"] == {"tensor": {"dtype": "float64", "shape": [-1, 3]}}


def test_lightgbm_example_without_signature_and_wrapper_signature_without_example(repo, autologged):
    lgb = pytest.importorskip("lightgbm")
    X, y = data()
    gx.lightgbm.autolog(log_input_examples=True, log_model_signatures=False)
    lgb.train({"verbose": -1}, lgb.Dataset(X, y), 3)  # the Dataset frees its raw data during train()
    first = gx.list_runs()[0].run_id
    assert json.loads(model_file(repo, first, "input_example.json"))["inputs"][4] == pytest.approx(X[4].tolist())
    assert "inputs:" not in model_file(repo, first, "model.yaml")
    gx.lightgbm.autolog(disable=True)
    gx.lightgbm.autolog()  # MLflow's defaults: a signature, no example
    lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    second = next(r.run_id for r in gx.list_runs() if r.run_id != first)
    assert "inputs:" in model_file(repo, second, "model.yaml")
    with pytest.raises(Exception):  # noqa: B017 - git show fails: no such file
        model_file(repo, second, "input_example.json")


def test_registered_model_name_registers_the_autologged_model(repo, autologged, capsys):
    from sklearn.linear_model import LogisticRegression

    X, y = data()
    gx.sklearn.autolog(registered_model_name="churn")
    LogisticRegression().fit(X, y)
    run_id = gx.list_runs()[0].run_id
    (version,) = gx.MlflowClient().get_latest_versions("churn")
    assert version.run_id == run_id and str(version.version) == "1"
    assert "as version 1 of model 'churn'" in capsys.readouterr().err


def test_extra_tags_go_on_the_runs_autolog_starts_only(repo, autologged):
    from sklearn.linear_model import LinearRegression

    X, y = data()
    gx.autolog(extra_tags={"team": "churn"})
    LinearRegression().fit(X, y)
    with gx.start_run(run_name="mine"):
        LinearRegression().fit(X, y)
    tags = {r.name: r.tags.get("team") for r in gx.list_runs()}
    assert tags.pop("mine") is None and list(tags.values()) == ["churn"]


def test_exclude_flavors_leaves_that_library_alone(repo, autologged):
    from sklearn.linear_model import LinearRegression

    gx.autolog(exclude_flavors=["sklearn"])
    LinearRegression().fit(*data())
    assert gx.list_runs() == []


@pytest.mark.parametrize("call, message", [
    (lambda: gx.autolog(log_datasets=True), "log_datasets=True is not supported"),
    (lambda: gx.sklearn.autolog(serialization_format="cloudpickle"), "saves scikit-learn models with pickle"),
    (lambda: gx.xgboost.autolog(model_format="xgb"), "deprecated binary format.*use 'ubj'"),
    (lambda: gx.autolog(log_traces=True), "records no traces"),
    (lambda: gx.autolog(exclude_flavors=["keras"]), "names no integration: keras"),
    (lambda: gx.lightgbm.autolog(extra_tags=["a"]), "extra_tags must be a dict"),
])
def test_switches_gx_cannot_honour_are_refused_in_one_line(repo, autologged, call, message):
    with pytest.raises(BadValue, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)
