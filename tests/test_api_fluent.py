"""The fluent API, end to end against a real repository."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import gx
from gx.errors import BadFile, BadName, BadValue, GxError, ParamConflict


def test_round_trip_of_every_logging_call(repo, tmp_path):
    (tmp_path / "model.bin").write_bytes(b"\x00\x01weights")
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.txt").write_text("A")
    (tmp_path / "plots" / "sub").mkdir()
    (tmp_path / "plots" / "sub" / "b.txt").write_text("B")
    gx.set_experiment("lasso")
    with gx.start_run(run_name="first", tags={"team": "ml"}) as run:
        gx.log_param("alpha", 0.1)
        gx.log_params({"model": {"kind": "lasso", "depth": 3}, "flag": True, "note": None})
        gx.log_metric("rmse", 5.0)
        gx.log_metric("rmse", 4.5)
        gx.log_metric("rmse", 4.0, step=10, timestamp=1_700_000_000_000)
        gx.log_metrics({"mae": 1.5, "r2": 0.5}, step=3)
        gx.set_tag("stage", "dev")
        gx.set_tags({"n": 3})
        gx.log_artifact(str(tmp_path / "model.bin"))
        gx.log_artifact(str(tmp_path / "model.bin"), artifact_path="models/v1")
        gx.log_artifacts(str(tmp_path / "plots"), artifact_path="figs")
        gx.log_text("hello ✓", "notes/readme.txt")
        gx.log_dict({"a": [1, 2]}, "cfg.json")
        gx.log_dict({"b": 2}, "cfg.yaml")
        assert gx.active_run().info.run_id == run.info.run_id
        assert gx.params()["model.kind"] == "lasso"
        assert run.data.metrics["rmse"] == 4.0
    assert gx.active_run() is None
    got = gx.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.info.experiment == "lasso"
    assert got.info.run_name == "first"
    assert got.data.params == {"alpha": 0.1, "model.kind": "lasso", "model.depth": 3, "flag": True, "note": None}
    assert got.data.metrics == {"rmse": 4.0, "mae": 1.5, "r2": 0.5}
    assert got.data.tags == {"team": "ml", "stage": "dev", "n": "3"}
    history = got.record.metrics["rmse"]
    assert [(p.step, p.value) for p in history] == [(0, 5.0), (1, 4.5), (10, 4.0)]
    assert history[2].timestamp == 1_700_000_000.0
    arts = got.record.artifacts
    assert arts["model.bin"] == b"\x00\x01weights"
    assert arts["models/v1/model.bin"] == b"\x00\x01weights"
    assert arts["figs/a.txt"] == b"A" and arts["figs/sub/b.txt"] == b"B"
    assert arts["notes/readme.txt"].decode() == "hello ✓"
    assert json.loads(arts["cfg.json"]) == {"a": [1, 2]}
    assert arts["cfg.yaml"] == b"b: 2\n"
    assert got.record.source["commit"] == repo.git("rev-parse", "HEAD").strip()
    assert got.record.source["dirty"] is False
    assert got.record.author == "Ada Tester <ada@example.com>"
    repo.fsck()


def test_exception_marks_failed_and_keeps_data(repo):
    with pytest.raises(ZeroDivisionError), gx.start_run() as run:
        gx.log_metric("loss", 1.0)
        1 / 0  # noqa: B018
    got = gx.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.data.metrics == {"loss": 1.0}
    assert "ZeroDivisionError" in got.record.error


def test_keyboard_interrupt_marks_killed(repo):
    with pytest.raises(KeyboardInterrupt), gx.start_run() as run:
        gx.log_metric("loss", 2.0)
        raise KeyboardInterrupt
    got = gx.get_run(run.info.run_id)
    assert got.info.status == "KILLED"
    assert got.data.metrics == {"loss": 2.0}


def test_end_run_status_and_implicit_start(repo):
    gx.log_metric("x", 1)  # starts a run, as MLflow does
    run_id = gx.active_run().info.run_id
    gx.end_run("FAILED")
    assert gx.get_run(run_id).info.status == "FAILED"


def test_param_immutable_and_errors_name_values(repo):
    with gx.start_run():
        gx.log_param("alpha", 0.1)
        gx.log_param("alpha", 0.1)  # same value is fine
        with pytest.raises(ParamConflict, match=r"'alpha' is already 0.1.*to 0.2"):
            gx.log_param("alpha", 0.2)
        with pytest.raises(BadValue, match="metric 'rmse' must be a number, got 'high'"):
            gx.log_metric("rmse", "high")
        with pytest.raises(BadValue, match="metric 'r'"):
            gx.log_metric("r", None)
        with pytest.raises(BadName):
            gx.log_metric("", 1.0)
        with pytest.raises(BadFile, match="no such file"):
            gx.log_artifact("missing.txt")
        with pytest.raises(BadName, match="artifact path"):
            gx.log_text("x", "../escape.txt")
        with pytest.raises(BadName, match="reserved by git"):
            gx.log_text("x", ".gitmodules")


def test_numpy_scalars_nan_inf_unicode(repo):
    np = pytest.importorskip("numpy")
    with gx.start_run(run_name="ünïcode ✓") as run:
        gx.log_metric("np", np.float32(1.5))
        gx.log_metric("npi", np.int64(7))
        gx.log_metric("nan", float("nan"))
        gx.log_metric("inf", float("inf"))
        gx.log_metric("ninf", -math.inf)
        gx.log_param("größe", "groß ✓")
        gx.log_param("np_param", np.float64(0.25))
    got = gx.get_run(run.info.run_id)
    m = got.data.metrics
    assert m["np"] == 1.5 and m["npi"] == 7.0
    assert math.isnan(m["nan"]) and m["inf"] == math.inf and m["ninf"] == -math.inf
    assert got.data.params == {"größe": "groß ✓", "np_param": 0.25}
    assert got.info.run_name == "ünïcode ✓"
    repo.fsck()


def test_artifact_size_limit(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "5")  # over it, content goes to Git LFS: the cap is the limit
    monkeypatch.setenv("GX_LFS_MAX_BYTES", "10")
    with gx.start_run(), pytest.raises(GxError, match="over the 10-byte cap"):
        gx.log_text("x" * 11, "big.txt")


def test_nested_runs_and_double_start(repo):
    with gx.start_run(run_name="parent") as parent:
        with pytest.raises(GxError, match="already active"):
            gx.start_run()
        with gx.start_run(run_name="child", nested=True) as child:
            gx.log_metric("m", 1)
    assert gx.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_log_figure(repo):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with gx.start_run() as run:
        gx.log_figure(fig, "plot.png")
    assert gx.get_run(run.info.run_id).record.artifacts["plot.png"].startswith(b"\x89PNG")


def test_bad_experiment_names_never_write(repo):
    # any text MLflow takes is a name (stored encoded, tests/test_store_experiment_names.py); not these
    for bad in ["", "tab\there", "line\nbreak", "nul\x00", "x" * 101, None, 3]:
        with pytest.raises(BadName, match="experiment name"):
            gx.set_experiment(bad)
    assert repo.git("for-each-ref") .count("refs/experiments") == 0


def test_implicit_run_ends_at_interpreter_exit(repo):
    code = "import gx\ngx.log_param('p', 1)\ngx.log_metric('m', 3.0)\n"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo.path)
    [run] = gx.query.runs.list_runs()
    assert run.status == "FINISHED" and run.metrics == {"m": 3.0} and run.params == {"p": 1}


def test_uncaught_exception_in_script_marks_failed(repo):
    code = "import gx\ngx.log_metric('m', 1.0)\nraise RuntimeError('boom')\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True)
    assert proc.returncode == 1 and b"RuntimeError: boom" in proc.stderr
    [run] = gx.query.runs.list_runs()
    assert run.status == "FAILED"
    assert "boom" in gx.get_run(run.run_id).record.error


def test_dirty_tree_is_snapshotted(repo):
    repo.write("README.md", "changed\n")
    repo.write("train.py", "print('untracked')\n")
    with gx.start_run() as run:
        gx.log_metric("m", 1.0)
    rec = gx.get_run(run.info.run_id).record
    assert rec.source["dirty"] is True
    snapshot = rec.source["snapshot"]
    assert repo.git("show", f"{snapshot}:README.md") == "changed\n"
    assert "train.py" not in repo.git("ls-tree", "--name-only", snapshot)  # untracked: not snapshotted
    assert b"+changed" in rec.source_patch
    # the snapshot is reachable from the run commit, so pushing the experiment carries it
    assert repo.git("merge-base", "--is-ancestor", snapshot, rec.commit, check=False) == ""
    repo.fsck()


def test_default_experiment_from_gx_yaml_then_env(repo, monkeypatch):
    repo.write("gx.yaml", "experiment: from-config\n")
    with gx.start_run() as run:
        pass
    assert run.info.experiment == "from-config"
    monkeypatch.setenv("GX_EXPERIMENT", "from-env")
    with gx.start_run() as run:
        pass
    assert run.info.experiment == "from-env"
