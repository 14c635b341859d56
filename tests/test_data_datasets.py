"""Issue 15: ``gx.data.from_pandas``/``from_numpy`` and ``gx.log_input``, in MLflow's names and shapes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import gx
import gx.query.runs
from gx.errors import BadValue


def frame(n: int = 5, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n, dtype="int64"), "y": np.linspace(0, 1, n) + shift,
                         "city": [f"c{i % 3}" for i in range(n)]})


def only_record():
    [run] = gx.query.runs.list_runs()
    return gx.query.runs.get_record(run.run_id)


def test_from_pandas_has_mlflows_shape_and_digest():
    df = frame()
    ds = gx.data.from_pandas(df, source="data/train.csv", name="train", targets="y")
    assert (ds.name, ds.targets, ds.source.source_type) == ("train", "y", "local")
    fields = ds.to_dict()
    assert set(fields) == {"name", "digest", "source", "source_type", "schema", "profile"}
    assert json.loads(fields["source"]) == {"uri": "data/train.csv"}
    assert json.loads(fields["schema"]) == {"mlflow_colspec": [
        {"type": "long", "name": "x", "required": True}, {"type": "double", "name": "y", "required": True},
        {"type": "string", "name": "city", "required": True}]}
    assert json.loads(fields["profile"]) == {"num_rows": 5, "num_elements": 15}
    mlflow_digest = pytest.importorskip("mlflow.data.digest_utils").compute_pandas_digest
    assert ds.digest == mlflow_digest(df)
    assert gx.data.from_pandas(frame(), source="elsewhere.csv").digest == ds.digest  # same data, same digest
    assert gx.data.from_pandas(frame(shift=1e-9)).digest != ds.digest
    assert gx.data.from_pandas(df).name == "dataset"  # MLflow's default name
    assert gx.data.from_pandas(df, source="https://example.com/d.csv").to_dict()["source_type"] == "http"


def test_frame_digest_reads_a_bounded_sample_plus_the_shape():
    big = frame(30_000)
    base = gx.data.from_pandas(big).digest
    edited = big.copy()
    edited.loc[5, "y"] = 42.0
    assert gx.data.from_pandas(edited).digest != base  # inside the first 10,000 rows
    assert gx.data.from_pandas(big.iloc[:-1]).digest != base  # the row count is part of it
    late = big.copy()
    late.loc[20_000, "y"] = 42.0
    assert gx.data.from_pandas(late).digest == base  # MLflow's documented blind spot, kept for equal digests


def test_from_numpy_features_and_targets():
    x, y = np.arange(12.0).reshape(4, 3), np.array([0, 1, 0, 1])
    ds = gx.data.from_numpy(x, targets=y, source="s3://bucket/x.npy", name="arrays")
    assert ds.source.source_type == "s3"
    assert ds.profile == {"features_shape": [4, 3], "features_size": 12, "features_nbytes": 96,
                          "targets_shape": [4], "targets_size": 4, "targets_nbytes": 32}
    assert ds.schema["mlflow_tensorspec"]["features"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]
    assert ds.digest == gx.data.from_numpy(x.copy(), targets=y.copy()).digest
    assert ds.digest != gx.data.from_numpy(x + 1, targets=y).digest
    named = gx.data.from_numpy({"b": x, "a": x[:, :1]})
    assert set(named.profile["features_shape"]) == {"a", "b"}


@pytest.mark.parametrize("call, message", [
    (lambda: gx.data.from_pandas([[1, 2]]), "from_pandas takes a pandas DataFrame, not a list"),
    (lambda: gx.data.from_pandas(np.zeros(3)), "not a numpy.ndarray"),
    (lambda: gx.data.from_pandas(frame(), targets="nope"), "no targets column 'nope'"),
    (lambda: gx.data.from_numpy([1, 2, 3]), "from_numpy takes numpy arrays"),
    (lambda: gx.data.from_pandas(frame(), source=""), "source must be a path or URI"),
    (lambda: gx.log_input(frame()), "log_input takes a dataset"),
    (lambda: gx.log_input(gx.data.from_pandas(frame()), context=3), "context must be a string"),
])
def test_bad_arguments_fail_at_the_call(repo, call, message):
    with pytest.raises(BadValue, match=message):
        call()
    assert not (repo.path / ".git" / "gx" / "runs").exists() or not any((repo.path / ".git/gx/runs").iterdir())


def test_log_input_is_recorded_in_the_run_commit(repo):
    train, valid = frame(8), frame(4, shift=2.0)
    with gx.start_run() as run:
        gx.log_input(gx.data.from_pandas(train, source="data/train.csv", name="train"), context="training")
        gx.log_input(gx.data.from_pandas(valid, name="valid"), context="validation", tags={"split": "v1"})
        gx.log_input(gx.data.from_pandas(train, source="data/train.csv", name="train"), context="training")
        gx.log_metric("loss", 0.5)
    rec = only_record()
    assert [(i.name, i.context) for i in rec.inputs] == [("train", "training"), ("valid", "validation")]
    assert rec.inputs[1].tags == {"mlflow.data.context": "validation", "split": "v1"}
    assert rec.inputs[1].source_type == "code"  # no source given: the script, as MLflow
    stored = repo.git("show", "refs/experiments/default:inputs.yaml")
    assert "name: train" in stored and "mlflow.data.context: training" in stored
    repo.fsck()

    dataset_inputs = gx.MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
    assert [d.dataset.name for d in dataset_inputs] == ["train", "valid"]
    first = dataset_inputs[0]
    assert first.dataset.digest == gx.data.from_pandas(train).digest
    assert json.loads(first.dataset.source) == {"uri": "data/train.csv"}
    assert json.loads(first.dataset.profile) == {"num_rows": 8, "num_elements": 24}
    assert [(t.key, t.value) for t in first.tags] == [("mlflow.data.context", "training")]
    assert gx.get_run(run.info.run_id).inputs.dataset_inputs[1].dataset.name == "valid"


def test_a_dataset_made_by_mlflow_itself_is_accepted(repo):
    mlflow_data = pytest.importorskip("mlflow.data")
    df = frame()
    with gx.start_run():
        gx.log_input(mlflow_data.from_pandas(df, source="data/train.csv", name="mlflow-made"), context="training")
    [inp] = only_record().inputs
    assert (inp.name, inp.digest, inp.source, inp.context) == (
        "mlflow-made", gx.data.from_pandas(df).digest, "data/train.csv", "training")


def test_training_process_stays_light(repo):
    """gx.data and gx.log_input load neither pandas nor numpy for a process that has none."""
    code = ("import sys, gx, gx.data, gx.tracking.inputs, gx.tracking.runner; gx.log_input; "
            "print(sorted(m for m in ('pandas', 'numpy', 'dulwich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_password_in_a_dataset_source_never_reaches_git(repo):
    from conftest import all_object_contents

    with gx.start_run():
        gx.log_input(gx.data.from_pandas(frame(), source="https://ada:hunter2@example.com/train.csv"),
                     tags={"api_token": "tok-123456", "split": "v1"})
    [inp] = only_record().inputs
    assert inp.source == "https://ada:***@example.com/train.csv"
    assert inp.tags == {"api_token": "***", "split": "v1"}
    assert b"hunter2" not in all_object_contents(repo) and b"tok-123456" not in all_object_contents(repo)
