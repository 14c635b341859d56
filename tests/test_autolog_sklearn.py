"""scikit-learn autolog on small synthetic data: what a fit records, searches as parent and children,
post-training metrics, and the patching contract (restore on disable, never change results or errors)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gx

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402


@pytest.fixture
def autologged():
    gx.sklearn.autolog()
    yield
    gx.sklearn.autolog(disable=True)


def data(rows: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    return X, (X[:, 0] + 0.3 * rng.normal(size=rows) > 0).astype(int)


def only_run():
    runs = gx.list_runs()
    assert len(runs) == 1, runs
    return gx.get_run(runs[0].run_id)


def test_a_classifier_fit_is_one_run_with_params_metrics_tags_and_model(repo, autologged):
    X, y = data()
    model = LogisticRegression(C=0.5).fit(X, y)
    run = only_run()
    assert run.info.status == "FINISHED"
    assert run.data.params["C"] == 0.5 and run.data.params["max_iter"] == 100
    assert run.data.tags["estimator_name"] == "LogisticRegression"
    assert run.data.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    metrics = run.data.metrics
    assert {"training_accuracy_score", "training_precision_score", "training_recall_score", "training_f1_score",
            "training_log_loss", "training_roc_auc", "training_score"} <= set(metrics)
    assert metrics["training_accuracy_score"] == pytest.approx(model.score(X, y))
    loaded = gx.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert (loaded.predict(X) == model.predict(X)).all()
    repo.fsck()


def test_a_regressor_gets_regression_metrics_in_the_users_run(repo, autologged):
    X, _ = data()
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.1
    with gx.start_run() as run:
        gx.log_param("mine", 1)
        LinearRegression().fit(X, y)
    metrics = gx.get_run(run.info.run_id).data.metrics
    assert set(metrics) >= {"training_mean_squared_error", "training_root_mean_squared_error",
                            "training_mean_absolute_error", "training_r2_score", "training_score"}
    assert metrics["training_root_mean_squared_error"] == pytest.approx(metrics["training_mean_squared_error"] ** 0.5)
    assert metrics["training_r2_score"] == pytest.approx(1.0)
    assert len(gx.list_runs()) == 1


def test_grid_search_is_a_parent_with_the_top_candidates_as_children(repo, autologged):
    X, y = data()
    gx.sklearn.autolog(max_tuning_runs=2)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 0.1, 1.0]}, cv=3).fit(X, y)
    runs = {r.run_id: r for r in gx.list_runs()}
    parents = [r for r in runs.values() if r.parent_run_id is None]
    assert len(parents) == 1 and len(runs) == 3, "one search run, two candidates; no run per inner fit"
    parent = gx.get_run(parents[0].run_id)
    assert parent.data.params["best_C"] == search.best_params_["C"]
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.tags["estimator_name"] == "GridSearchCV"

    children = [gx.get_run(i) for i in runs if i != parent.info.run_id]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    best_two = sorted(search.cv_results_["rank_test_score"])[:2]
    assert sorted(c.data.metrics["rank_test_score"] for c in children) == best_two
    assert repo.git("log", "-1", "--format=%s", "refs/experiments/default").startswith(parent.info.run_name + ":")
    files = set(repo.git("ls-tree", "-r", "--name-only", "refs/experiments/default").split())
    assert {"artifacts/cv_results.csv", "artifacts/model/model.pkl", "artifacts/best_estimator/model.pkl"} <= files
    csv_text = repo.git("show", "refs/experiments/default:artifacts/cv_results.csv").splitlines()
    assert csv_text[0].startswith("mean_fit_time,") and "param_C" in csv_text[0] and len(csv_text) == 4
    repo.fsck()


def test_post_training_metrics_are_named_after_the_function_and_the_dataset(repo, autologged):
    import sklearn.metrics

    X, y = data()
    X_test, y_test = X[:20], y[:20]
    with gx.start_run() as run:
        model = LogisticRegression().fit(X, y)
        predicted = model.predict(X_test)
        first = sklearn.metrics.accuracy_score(y_test, predicted)
        sklearn.metrics.accuracy_score(y_test, predicted)
        score = model.score(X_test, y_test)
    metrics = gx.get_run(run.info.run_id).data.metrics
    assert metrics["accuracy_score_X_test"] == pytest.approx(first)
    assert "accuracy_score-2_X_test" in metrics
    assert metrics["LogisticRegression_score_X_test"] == pytest.approx(score)


def test_disable_restores_every_method_and_results_are_unchanged(repo):
    originals = {m: LogisticRegression.__dict__[m] for m in ("fit",)}
    inherited = "predict" not in LogisticRegression.__dict__
    X, y = data()
    expected = LogisticRegression().fit(X, y).predict_proba(X)
    gx.autolog()
    assert LogisticRegression.fit is not originals["fit"]
    assert (LogisticRegression().fit(X, y).predict_proba(X) == expected).all()
    gx.autolog(disable=True)
    assert LogisticRegression.__dict__["fit"] is originals["fit"]
    assert ("predict" not in LogisticRegression.__dict__) == inherited
    count = len(gx.list_runs())
    LogisticRegression().fit(X, y)
    assert len(gx.list_runs()) == count


def test_the_librarys_error_is_raised_unchanged_and_the_run_failed(repo, autologged):
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LogisticRegression().fit(np.array([[np.nan], [1.0]]), [0, 1])
    assert only_run().info.status == "FAILED"


def test_a_logging_failure_is_a_warning_not_an_error_in_the_fit(repo, autologged, monkeypatch):
    from gx.models import sklearn as flavor

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(flavor, "log_model", broken)
    X, y = data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegression().fit(X, y)
    assert model.coef_.shape == (1, 3)
    assert any("could not log the model" in str(w.message) and "disk full" in str(w.message) for w in caught)
    run = only_run()
    assert run.info.status == "FINISHED" and "training_accuracy_score" in run.data.metrics


def test_exclusive_leaves_the_users_run_alone(repo):
    gx.sklearn.autolog(exclusive=True)
    try:
        X, y = data()
        with gx.start_run() as run:
            LogisticRegression().fit(X, y)
    finally:
        gx.sklearn.autolog(disable=True)
    assert gx.get_run(run.info.run_id).data.params == {}


def test_flavor_module_does_not_import_autolog_and_import_gx_stays_light():
    import subprocess
    import sys

    code = ("import sys, gx.models.sklearn\nassert 'gx.autolog' not in sys.modules\nimport gx\n"
            "assert callable(gx.sklearn.autolog) and callable(gx.autolog)\n"
            "assert 'sklearn' not in sys.modules, 'autolog machinery must not import the library'\nprint('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_search_on_joblibs_threading_backend_logs_no_inner_fit(repo, autologged):
    from joblib import parallel_backend

    X, y = data()
    with warnings.catch_warnings(record=True) as caught, parallel_backend("threading", n_jobs=2):
        warnings.simplefilter("always")
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, n_jobs=2).fit(X, y)
    assert len(gx.list_runs()) == 3, "the search and its two candidates; worker threads' fits log nothing"
    assert not [w for w in caught if "gx:" in str(w.message)], [str(w.message) for w in caught]
