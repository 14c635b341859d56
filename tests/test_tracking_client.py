"""MlflowClient's tracking calls and the fluent API's MLflow gaps, as the course's code uses them
(only the import changed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gx as mlflow
from gx import MlflowClient
from gx.entities import ViewType
from gx.errors import GxError, UnknownExperiment


@pytest.fixture(autouse=True)
def reset_session():
    from gx.paths import tracking_root
    from gx.tracking import client, session

    yield
    tracking_root[0] = None
    session._last_run_id[0] = None
    session._noted[0] = False
    client._open_runs.clear()


def _train(alphas=(0.1, 0.5, 1.0)):
    ids = []
    for alpha in alphas:
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", alpha)
            for step in range(3):
                mlflow.log_metric("rmse", 10 * alpha + step, step=step)
        ids.append(run.info.run_id)
    return ids


def test_course_client_code(repo):
    exp = mlflow.set_experiment("nyc-taxi-experiment")
    assert (exp.name, len(exp.experiment_id)) == ("nyc-taxi-experiment", 16)
    ids = _train((0.1, 0.3, 1.0))
    client = MlflowClient()
    assert [e.name for e in client.search_experiments()] == ["nyc-taxi-experiment"]
    assert [e.experiment_id for e in client.list_experiments()] == [exp.experiment_id]  # MLflow 1.x
    runs = client.search_runs(
        experiment_ids=[exp.experiment_id],
        filter_string="metrics.rmse < 7",
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=5,
        order_by=["metrics.rmse ASC"],
    )
    assert [r.info.run_id for r in runs] == [ids[0], ids[1]]
    for run in runs:
        print(f"run id: {run.info.run_id}, rmse: {run.data.metrics['rmse']:.4f}")
    best = runs[0]
    assert best.data.params == {"alpha": "0.1"}  # strings, as MLflow's client
    assert best.info.status == "FINISHED" and best.info.lifecycle_stage == "active"
    assert isinstance(best.info.start_time, int) and best.info.start_time > 1_600_000_000_000  # ms
    assert best.info.end_time >= best.info.start_time
    assert best.info.artifact_uri == f"runs:/{ids[0]}"
    assert best.info.experiment_id == exp.experiment_id
    assert client.get_run(best.info.run_id).data.metrics == {"rmse": 3.0}
    history = client.get_metric_history(best.info.run_id, "rmse")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 2.0), (2, 3.0)]
    # the name works wherever an id does; so does a unique prefix of the id
    assert len(client.search_runs(experiment_ids=["nyc-taxi-experiment"])) == 3
    assert client.get_experiment(exp.experiment_id[:8]).name == "nyc-taxi-experiment"


def test_experiment_ids_are_stable_across_clones(repo, tmp_path):
    exp = mlflow.set_experiment("shared")
    _train([0.1])
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    subprocess.run(["git", "fetch", "-q", "origin", "refs/experiments/*:refs/experiments/*"], cwd=clone, check=True)
    code = ("import gx; print(gx.get_experiment_by_name('shared').experiment_id)")
    out = subprocess.run([sys.executable, "-c", code], cwd=clone, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == exp.experiment_id


def test_view_types_delete_and_restore(repo):
    mlflow.set_experiment("e")
    first, second = _train([0.1, 0.2])
    client = MlflowClient()
    client.delete_run(first)
    assert [r.info.run_id for r in client.search_runs(["e"])] == [second]
    deleted = client.search_runs(["e"], run_view_type=ViewType.DELETED_ONLY)
    assert [(r.info.run_id, r.info.lifecycle_stage) for r in deleted] == [(first, "deleted")]
    assert len(client.search_runs(["e"], run_view_type=ViewType.ALL)) == 2
    client.restore_run(first)
    assert len(client.search_runs(["e"])) == 2
    repo.fsck()


def test_paging(repo):
    mlflow.set_experiment("e")
    _train([0.1, 0.2, 0.3])
    client = MlflowClient()
    page = client.search_runs(["e"], max_results=2, order_by=["params.alpha"])
    assert len(page) == 2 and page.token
    rest = client.search_runs(["e"], max_results=2, order_by=["params.alpha"], page_token=page.token)
    assert [r.data.params["alpha"] for r in [*page, *rest]] == ["0.1", "0.2", "0.3"] and rest.token is None


def test_client_writes_a_run(repo):
    client = MlflowClient()
    exp_id = client.create_experiment("made-by-client")
    assert client.get_experiment(exp_id).name == "made-by-client"
    assert client.get_experiment_by_name("made-by-client").experiment_id == exp_id
    run = client.create_run(exp_id, tags={"team": "a"})
    assert run.info.run_name  # a generated memorable name
    run_id = run.info.run_id
    client.log_param(run_id, "lr", 0.01)
    for step in range(3):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step, timestamp=1_700_000_000_000 + step)
    client.set_tag(run_id, "stage", "dev")
    client.set_terminated(run_id)
    got = client.get_run(run_id)
    assert got.data.params == {"lr": "0.01"} and got.data.tags["stage"] == "dev" and got.info.status == "FINISHED"
    assert [m.timestamp for m in client.get_metric_history(run_id, "loss")] == [1_700_000_000_000 + s for s in range(3)]
    with pytest.raises(GxError, match="not open in this process"):
        client.log_metric(run_id, "late", 1.0)
    with pytest.raises(Exception, match="already exists"):
        client.create_experiment("made-by-client")
    repo.fsck()


def test_artifacts(repo, tmp_path):
    with mlflow.start_run() as run:
        mlflow.log_text("a", "notes/a.txt")
        mlflow.log_text("b", "top.txt")
    client = MlflowClient()
    listed = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("notes", True), ("top.txt", False)]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "notes")] == ["notes/a.txt"]
    local = client.download_artifacts(run.info.run_id, "notes", str(tmp_path / "out"))
    assert (tmp_path / "out" / "notes" / "a.txt").read_text() == "a" and local.endswith("notes")


def test_module_level_and_fluent_gaps(repo, capsys):
    assert mlflow.get_experiment_by_name("nothing-yet") is None
    mlflow.set_experiment("fluent")
    ids = _train([0.3])
    assert mlflow.last_active_run().info.run_id == ids[0]
    assert [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'flu%'")] == ["fluent"]
    listed = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert [r.info.run_id for r in listed] == ids
    frame = mlflow.search_runs(experiment_ids=[mlflow.get_experiment_by_name("fluent").experiment_id],
                               run_view_type=ViewType.ALL)
    assert list(frame["run_id"]) == ids and "deleted" in frame.columns
    with pytest.raises(UnknownExperiment):
        MlflowClient().search_runs(experiment_ids=["no-such-experiment"])
    # a database URI keeps runs here and says so once
    mlflow.set_tracking_uri("sqlite:///mlflow.db")
    mlflow.set_tracking_uri("http://127.0.0.1:5000")
    assert capsys.readouterr().err.count("gx stores runs in this git repository") == 1
    assert mlflow.get_tracking_uri() == repo.path.resolve().as_uri()


def test_tracking_uri_points_at_another_repository(repo, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    mlflow.set_tracking_uri(other.as_uri())
    with mlflow.start_run(experiment_id="elsewhere"):
        mlflow.log_metric("m", 1.0)
    refs = subprocess.run(["git", "for-each-ref", "refs/experiments/"], cwd=other, capture_output=True, text=True)
    assert "refs/experiments/elsewhere" in refs.stdout
    assert repo.git("for-each-ref", "refs/experiments/") == ""
    with pytest.raises(GxError, match="not inside a git repository"):
        mlflow.set_tracking_uri(str(tmp_path / "plain"))


def test_start_run_accepts_the_stable_id(repo):
    exp = mlflow.set_experiment("by-id")
    _train([0.1])
    with mlflow.start_run(experiment_id=exp.experiment_id) as run:
        pass
    assert run.info.experiment == "by-id"


def test_search_experiments_lists_the_latest_updated_first(repo):
    """MLflow's default order is ``last_update_time DESC``: the experiment a user just trained in
    comes first; ``order_by`` still chooses."""
    import time

    for name in ("bravo", "alpha", "charlie", "bravo"):
        mlflow.set_experiment(name)
        _train([0.1])
        time.sleep(0.01)  # distinct millisecond update times
    found = mlflow.search_experiments()
    assert [e.name for e in found] == ["bravo", "charlie", "alpha"]
    assert [e.last_update_time for e in found] == sorted((e.last_update_time for e in found), reverse=True)
    assert [e.name for e in MlflowClient().search_experiments(order_by=["name"])] == ["alpha", "bravo", "charlie"]
    assert [e.name for e in mlflow.search_experiments(max_results=1)] == ["bravo"]
