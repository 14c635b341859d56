"""gx.search_runs / gx.runs (MLflow-shaped DataFrame) and gx.get_metric_history."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import gx
from gx.errors import BadValue, FilterSyntaxError, UnknownExperiment, UnknownRun
from gx.query.frame import BASE_COLUMNS, Metric


@pytest.fixture
def runs(repo) -> list[str]:
    """Four runs, oldest first: three lasso (mixed param types, a tag), one ridge."""
    specs = [
        ("lasso", "a", {"alpha": 0.1, "epochs": 10, "solver": "saga", "scale": True, "mix": 1}, 3.0),
        ("lasso", "b", {"alpha": 0.5, "epochs": 20, "solver": "lbfgs", "scale": False, "mix": "x"}, 1.0),
        ("lasso", "c", {"alpha": 1, "epochs": 30, "solver": "saga", "scale": True, "mix": 2.5}, 2.0),
        ("ridge", "d", {"alpha": 2.0, "solver": "cholesky"}, 4.0),
    ]
    ids = []
    for exp, name, params, rmse in specs:
        with gx.start_run(experiment=exp, run_name=name, tags={"team": "ml"} if name == "b" else None) as run:
            gx.log_params(params)
            for step, value in enumerate([rmse + 1, rmse]):
                gx.log_metric("rmse", value, step=step)
            if exp == "ridge":
                gx.log_metric("r2", 0.5)
        ids.append(run.info.run_id)
    return ids


def test_columns_order_and_shape(runs):
    df = gx.search_runs()
    assert df.shape == (4, 7 + 5 + 2 + 1)
    assert list(df.columns) == [
        *BASE_COLUMNS, "params.alpha", "params.epochs", "params.mix", "params.scale", "params.solver",
        "metrics.r2", "metrics.rmse", "tags.team",
    ]
    assert list(df["run_id"]) == list(reversed(runs))  # newest first by default
    assert list(df["run_name"]) == ["d", "c", "b", "a"]
    assert list(df["experiment"]) == ["ridge", "lasso", "lasso", "lasso"]
    assert set(df["status"]) == {"FINISHED"}


def test_dtypes(runs):
    df = gx.search_runs()
    assert str(df["start_time"].dtype).startswith("datetime64") and str(df["start_time"].dt.tz) == "UTC"
    assert str(df["end_time"].dt.tz) == "UTC"
    assert (df["end_time"] >= df["start_time"]).all()
    assert df["duration"].dtype == "float64" and (df["duration"] >= 0).all()
    assert df["params.alpha"].dtype == "float64"  # ints and floats together are floats
    assert df["params.epochs"].dtype == "Int64" and df["params.epochs"].isna().sum() == 1  # ridge lacks it
    assert df["params.mix"].dtype == object
    assert df["params.scale"].dtype == "boolean"
    assert pd.api.types.is_string_dtype(df["params.solver"])
    assert df["metrics.rmse"].dtype == "float64" and df["metrics.r2"].dtype == "float64"
    assert df["metrics.r2"].isna().sum() == 3
    lasso = gx.search_runs(["lasso"])
    assert lasso["params.epochs"].dtype == "int64" and list(lasso["params.epochs"]) == [30, 20, 10]
    assert lasso["params.scale"].dtype == "bool"
    assert list(lasso["params.mix"]) == [2.5, "x", 1]
    assert lasso["tags.team"].tolist()[1] == "ml" and lasso["tags.team"].isna().sum() == 2


def test_order_by_filter_and_max_results(runs):
    df = gx.search_runs(order_by=["metrics.rmse DESC"])
    assert list(df["metrics.rmse"]) == [4.0, 3.0, 2.0, 1.0]
    df = gx.search_runs("lasso", filter_string="params.solver = 'saga'", order_by="metrics.rmse")
    assert list(df["run_name"]) == ["c", "a"]
    df = gx.runs(order_by=["-params.alpha"], max_results=2)
    assert list(df["run_name"]) == ["d", "c"] and len(df) == 2
    df = gx.search_runs(experiment_ids=["ridge"])
    assert list(df["run_name"]) == ["d"] and "params.epochs" not in df.columns
    assert gx.runs is gx.search_runs


def test_empty_result_keeps_the_base_columns(runs):
    df = gx.search_runs(filter_string="metrics.rmse > 100")
    assert df.shape == (0, len(BASE_COLUMNS)) and list(df.columns) == list(BASE_COLUMNS)
    assert len(gx.search_runs(max_results=0)) == 0


def test_deleted_runs(runs):
    gx.delete_run(runs[1])
    assert len(gx.search_runs()) == 3
    df = gx.search_runs(include_deleted=True)
    assert list(df.columns[:8]) == [*BASE_COLUMNS, "deleted"]
    assert df.set_index("run_name")["deleted"].to_dict() == {"d": False, "c": False, "b": True, "a": False}


def test_errors_come_before_any_read(repo, runs):
    with pytest.raises(FilterSyntaxError) as err:
        gx.search_runs(filter_string="metrics.rmse <")
    assert str(err.value).splitlines()[1:] == ["  metrics.rmse <", "                ^"]
    with pytest.raises(FilterSyntaxError):
        gx.search_runs(order_by=["metrics.rmse SIDEWAYS"])
    with pytest.raises(BadValue, match="max_results"):
        gx.search_runs(max_results=-1)
    with pytest.raises(UnknownExperiment):
        gx.search_runs(["nope"])


def test_get_metric_history(runs):
    history = gx.get_metric_history(runs[0], "rmse")
    assert [(m.key, m.value, m.step) for m in history] == [("rmse", 4.0, 0), ("rmse", 3.0, 1)]
    assert all(isinstance(m, Metric) and isinstance(m.timestamp, int) for m in history)
    start = gx.search_runs().set_index("run_id").loc[runs[0], "start_time"].timestamp() * 1000
    assert all(abs(m.timestamp - start) < 60_000 for m in history)  # milliseconds, like MLflow
    assert [m.value for m in gx.get_metric_history("lasso~1", "rmse")] == [2.0, 1.0]
    assert gx.get_metric_history("ridge", "nope") == []
    with pytest.raises(UnknownRun):
        gx.get_metric_history("nope", "rmse")


def test_import_gx_and_frame_module_do_not_load_pandas():
    code = "import gx, gx.query.frame, sys; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
