"""Sharing the registry: gx push/pull through a bare remote, concurrent registrations, plain git."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gx
from conftest import run_git
from gx.errors import GxWarning
from gx.share.sync import pull, push
from models_helpers import table


def _tags(path) -> list[str]:
    return run_git("tag", "-l", cwd=path).split()


def _register(model, name: str = "churn", path: str = "model", flavor=None) -> tuple[str, str]:
    with gx.start_run() as run:
        (flavor or gx.sklearn).log_model(model, name=path)
    mv = gx.register_model(f"runs:/{run.info.run_id}/{path}", name)
    return run.info.run_id, mv.version


def test_real_models_travel_and_predict_the_same_in_a_second_clone(clones):
    import lightgbm
    import xgboost
    from sklearn.ensemble import RandomForestClassifier

    a, b, remote, at = clones
    X, y = table(rows=60)
    models = {"sk": RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
              "xgb": xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y),
              "lgb": lightgbm.LGBMClassifier(n_estimators=3, min_child_samples=5, verbose=-1).fit(X, y)}
    flavors = {"sk": gx.sklearn, "xgb": gx.xgboost, "lgb": gx.lightgbm}
    at(a)
    expected = {}
    for name, model in models.items():
        _register(model, name, flavor=flavors[name])
        gx.MlflowClient().set_registered_model_alias(name, "champion", 1)
        expected[name] = gx.pyfunc.load_model(f"models:/{name}@champion").predict(X)
    push()
    a.fsck()
    at(b)
    pull()
    b.fsck()
    for name in models:
        got = gx.pyfunc.load_model(f"models:/{name}@champion").predict(X)
        assert np.array_equal(np.asarray(got), np.asarray(expected[name])), name
    assert _tags(b.path) == _tags(remote) == _tags(a.path)


def test_concurrent_registrations_both_survive_under_distinct_numbers(clones):
    from sklearn.linear_model import LinearRegression

    a, b, remote, at = clones
    X = np.arange(8.0).reshape(-1, 1)
    at(a)
    run_a, _ = _register(LinearRegression().fit(X, X.ravel()))
    push()
    at(b)
    pull()
    at(a)
    run_a2, va = _register(LinearRegression().fit(X, X.ravel() * 2))
    gx.MlflowClient().set_registered_model_alias("churn", "champion", va)
    at(b)
    run_b2, vb = _register(LinearRegression().fit(X, X.ravel() * 3))
    gx.MlflowClient().set_registered_model_alias("churn", "champion", vb)
    assert va == vb == "2"
    at(a)
    push()
    at(b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        push()
    told = [str(w.message) for w in caught if issubclass(w.category, GxWarning)]
    assert any("version 2 of model 'churn' is now version 3" in m for m in told), told
    at(a)
    pull()
    for repo in (a, b):
        at(repo)
        versions = {v.run_id: v.version for v in gx.MlflowClient().search_model_versions("name='churn'")}
        assert versions == {run_a: "1", run_a2: "2", run_b2: "3"}
        # the assignment that reached the remote last wins; the history keeps both
        assert gx.MlflowClient().get_model_version_by_alias("churn", "champion").run_id == run_b2
        assert gx.pyfunc.load_model("models:/churn@champion").predict([[1.0]])[0] == pytest.approx(3.0)
        repo.fsck()
    assert _tags(a.path) == _tags(b.path) == _tags(remote)
    from gx.models.history import history
    from gx.models.registry import load_model_state
    from gx.store.repo import Store

    with Store.open(a.path) as store:
        assigned = [r.version for r in history(load_model_state(store, "churn")) if r.event == "assigned"]
    assert assigned == [2, 3]


def test_description_edits_travel_and_the_later_edit_wins(clones):
    from sklearn.linear_model import LinearRegression

    a, b, remote, at = clones
    X = np.arange(8.0).reshape(-1, 1)
    at(a)
    _register(LinearRegression().fit(X, X.ravel()))
    push()
    at(b)
    pull()
    gx.MlflowClient().update_model_version("churn", 1, description="validated on March data")
    push()
    at(a)
    pull()
    assert gx.MlflowClient().get_model_version("churn", 1).description == "validated on March data"
    a.fsck()


def test_plain_git_push_and_fetch_carry_the_registry_after_remote_setup(clones, cli):
    from sklearn.linear_model import LinearRegression

    a, b, remote, at = clones
    X = np.arange(8.0).reshape(-1, 1)
    at(a)
    assert "push.followTags = true" in cli("remote", "setup").stdout
    _register(LinearRegression().fit(X, X.ravel() * 5))
    gx.MlflowClient().set_registered_model_alias("churn", "prod", 1)
    a.git("push", "-q")
    assert _tags(remote) == ["churn#prod#1", "churn@v1.0.0"]
    at(b)
    cli("remote", "setup")
    b.git("fetch", "-q")
    assert gx.pyfunc.load_model("models:/churn@prod").predict([[2.0]])[0] == pytest.approx(10.0)
    at(a)
    assert "push.followTags" in cli("remote", "setup", "--undo").stdout
    assert "followTags" not in (a.path / ".git" / "config").read_text()
