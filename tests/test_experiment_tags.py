"""Experiment tags and MLflow's numeric experiment ids: the client's shapes, ``tags`` commits read
back as untrusted input, and two clones' tags and numbers joined by a ``gx pull`` merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest

import gx as mlflow
from conftest import Repo, gx_subprocess, make_repo
from gx.errors import BadValue, GxWarning, UnknownExperiment
from gx.store import experiment_tags
from gx.store.experiment_tags import experiment_state, write_experiment_tags
from gx.store.repo import Store
from gx.tracking import MlflowClient


def test_tags_through_the_client_and_the_fluent_api(repo):
    client = MlflowClient()
    exp_id = client.create_experiment("tagged", tags={"team": "taxi", "version": 2})
    assert client.get_experiment(exp_id).tags == {"team": "taxi", "version": "2", "gx.mlflow_id": "1"}
    client.set_experiment_tag(exp_id, "owner", "ana")
    client.delete_experiment_tag("tagged", "version")
    with pytest.raises(BadValue, match="has no tag 'nope'"):
        client.delete_experiment_tag("tagged", "nope")
    mlflow.set_experiment("tagged")
    mlflow.set_experiment_tags({"phase": "dev", "team": "rides"})
    mlflow.set_experiment_tag("phase", "prod")
    exp = mlflow.set_experiment("tagged")
    assert exp.tags == {"team": "rides", "gx.mlflow_id": "1", "owner": "ana", "phase": "prod"}
    assert mlflow.get_experiment_by_name("tagged").creation_time > 1_600_000_000_000  # ms
    client.create_experiment("other")
    assert [e.name for e in client.search_experiments(filter_string="tags.owner = 'ana'")] == ["tagged"]
    assert [e.name for e in client.search_experiments(filter_string="tags.owner IS NULL")] == ["other"]
    assert [e.name for e in client.search_experiments(
        filter_string="name LIKE 'ta%' AND tags.phase ILIKE 'PR%'")] == ["tagged"]
    assert client.search_experiments(filter_string="tags.team = 'taxi'") == []
    with pytest.raises(BadValue, match="unsupported experiment filter"):
        client.search_experiments(filter_string="tags.team < 'x'")
    # plain git log reads each change
    log = repo.git("log", "--format=%s", "refs/experiments/tagged").splitlines()
    assert log[:2] == ["tags tagged: phase=prod", "tags tagged: phase=dev team=rides"]
    assert "tags tagged: version=(removed)" in log
    repo.fsck()


def test_course_numeric_ids_and_run_times(repo):
    """The course's MlflowClient code with only the imports changed; create_run/set_terminated times."""
    mlflow.set_experiment("nyc-taxi-experiment")
    for alpha in (0.1, 0.5):
        with mlflow.start_run():
            mlflow.log_metric("rmse", 10 * alpha)
    from gx.entities import ViewType
    from gx.tracking import MlflowClient

    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    client.create_experiment(name="my-cool-experiment")
    runs = client.search_runs(
        experiment_ids='1',
        filter_string="metrics.rmse < 7",
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=5,
        order_by=["metrics.rmse ASC"]
    )
    assert [run.data.metrics["rmse"] for run in runs] == [1.0, 5.0]
    assert client.get_experiment("2").name == "my-cool-experiment"
    assert client.get_experiment("0").name == "default"
    assert mlflow.set_experiment(experiment_id="2").name == "my-cool-experiment"
    with mlflow.start_run(experiment_id="1") as started:
        pass
    assert started.info.experiment == "nyc-taxi-experiment"
    with pytest.raises(UnknownExperiment, match=r"'7'; known: my-cool-experiment \(id 2 or [0-9a-f]{16}\)"):
        client.get_experiment("7")
    run = client.create_run("2", start_time=1_700_000_000_000)
    client.set_terminated(run.info.run_id, end_time=1_700_000_060_000)
    got = client.get_run(run.info.run_id).info
    assert (got.start_time, got.end_time) == (1_700_000_000_000, 1_700_000_060_000)
    for bad in ("soon", True, float("nan"), -1, 10**20, 10**400):
        with pytest.raises(BadValue, match="start_time must be epoch milliseconds"):
            client.create_run("2", start_time=bad)
    late = client.create_run("2", start_time=1_700_000_000_000)
    with pytest.raises(BadValue, match="end_time 1 is before the run's start_time 1700000000000"):
        client.set_terminated(late.info.run_id, end_time=1)
    client.set_terminated(late.info.run_id)
    repo.fsck()


def _pull(repo: Repo, remote: str) -> None:
    proc = gx_subprocess("pull", remote, cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()


def test_two_clones_merge_tags_and_numbers(repo, tmp_path, monkeypatch):
    mate = Repo(tmp_path / "mate")
    subprocess.run(["git", "clone", "-q", str(repo.path), str(mate.path)], check=True)
    repo.git("remote", "add", "mate", str(mate.path))
    with Store.open(repo.path) as ours, Store.open(mate.path) as theirs:
        write_experiment_tags(ours, "shared", {"k": "base"}, when=1_000)
        mate.git("fetch", "-q", "origin", "refs/experiments/*:refs/experiments/*")
        write_experiment_tags(ours, "shared", {"k": "ours", "only-ours": "1"}, when=2_000)
        write_experiment_tags(theirs, "shared", {"k": "theirs", "only-theirs": "1"}, when=3_000)
        write_experiment_tags(theirs, "shared", {"k": None, "gone": "x"}, when=3_500)
        write_experiment_tags(theirs, "shared", {"k": "theirs again"}, when=4_000)
        _pull(repo, "mate")
        merged = experiment_state(ours, "shared")
        assert merged.tags == {"k": "theirs again", "only-ours": "1", "only-theirs": "1", "gone": "x"}
        # a write made after seeing the others wins whatever time its clock claims
        write_experiment_tags(ours, "shared", {"k": "after the merge"}, when=500)
        assert experiment_state(ours, "shared").tags["k"] == "after the merge"
    assert repo.git("log", "--format=%s", "-1", "refs/experiments/shared").strip() == "tags shared: k=after the merge"
    repo.fsck()


def test_two_clones_creating_experiments_agree_on_numbers(repo, tmp_path):
    mate = make_repo(tmp_path / "mate")
    repo.git("remote", "add", "mate", str(mate.path))
    mate.git("remote", "add", "ours", str(repo.path))
    code = "import sys, gx; gx.MlflowClient().create_experiment(sys.argv[1])"
    for where, name in ((repo, "first"), (mate, "second")):  # both claim number 1, "first" earlier
        subprocess.run([sys.executable, "-c", code, name], cwd=where.path, check=True)
    subprocess.run([sys.executable, "-c", "import gx\nwith gx.start_run(experiment_id='third'): pass"],
                   cwd=mate.path, check=True)
    _pull(repo, "mate")
    _pull(mate, "ours")
    show = "import gx; print(sorted((e.name, gx.MlflowClient().get_experiment(n).name) for n in '123' " \
           "for e in [gx.MlflowClient().get_experiment(n)]))"
    outs = [subprocess.run([sys.executable, "-c", show], cwd=r.path, capture_output=True, text=True, check=True).stdout
            for r in (repo, mate)]
    assert outs[0] == outs[1]
    numbers = {n: MlflowClient().get_experiment(n).name for n in "123"}
    assert numbers == {"1": "first", "2": "second", "3": "third"}


def test_a_hostile_tags_commit_is_one_warning(repo):
    with Store.open(repo.path) as store:
        write_experiment_tags(store, "e", {"good": "yes"})
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.path, input=b"k: [unclosed\n",
                          capture_output=True, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "mktree"], cwd=repo.path, input=f"100644 blob {blob}\texperiment-tags.yaml\n".encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    parent = repo.git("rev-parse", "refs/experiments/e").strip()
    commit = repo.git("commit-tree", tree, "-p", parent, "-m", "tags e: bad\n\nGx-Kind: tags\nGx-Experiment: e\n").strip()
    repo.git("update-ref", "refs/experiments/e", commit)
    with warnings.catch_warnings(record=True) as caught, Store.open(repo.path) as store:
        warnings.simplefilter("always")
        assert experiment_state(store, "e").tags == {"good": "yes"}
    assert [str(w.message) for w in caught if issubclass(w.category, GxWarning)] == \
        [f"gx: skipping experiment tags in {commit[:12]}: its experiment-tags.yaml is not valid YAML"]
    # what was read is cached beside the refs; a damaged cache is ignored, never believed
    cache = repo.path / ".git" / "gx" / "cache" / "experiment-tags.json"
    assert commit in cache.read_text()
    for damage in ('{"e": {"tips": ["zz"]}}', "[1, 2", '{"e": {"tips": [], "created": null, "changes": {}, "below": {}}}'):
        cache.write_text(damage)
        experiment_tags._memo.clear()
        with Store.open(repo.path) as store:
            assert experiment_state(store, "e").tags == {"good": "yes"}


SHAPES = """
import json
c = MlflowClient({uri!r})
i = c.create_experiment("x", tags={{"team": "a"}})
c.set_experiment_tag(i, "owner", "b")
c.create_experiment("y")
e = c.get_experiment(i)
r = c.create_run(i, start_time=1_700_000_000_000)
c.set_terminated(r.info.run_id, end_time=1_700_000_060_000)
g = c.get_run(r.info.run_id).info
print(json.dumps({{
    "types": {{k: type(getattr(e, k)).__name__ for k in ("artifact_location", "creation_time", "experiment_id",
                                                        "last_update_time", "lifecycle_stage", "name", "tags")}},
    "tags": {{k: v for k, v in e.tags.items() if k != "gx.mlflow_id"}},
    "found": [x.name for x in c.search_experiments(filter_string="tags.owner = 'b'")],
    "times": [g.start_time, g.end_time],
}}))
"""


def test_experiment_shapes_match_mlflow(repo, tmp_path):
    """The same client code against the real MLflow (in a child process: importing it costs seconds) and gx."""
    pytest.importorskip("mlflow", reason="compares with the real MLflow")
    script = "from mlflow import MlflowClient\n" + SHAPES.format(uri=f"sqlite:///{tmp_path}/m.db")
    want = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GIT_DIR": str(tmp_path / "no-git")})
    assert want.returncode == 0, want.stderr
    got = subprocess.run([sys.executable, "-c", "from gx import MlflowClient\n" + SHAPES.format(uri="sqlite:///x.db")],
                         cwd=repo.path, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == json.loads(want.stdout.splitlines()[-1])
