"""The SQLite index is a cache: same answers with and without it, rebuilt from the refs at will."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gx
import gx.query.deletion
import gx.query.runs
import gx.query.search
from conftest import make_repo, run_git
from gx.query.index import Index
from gx.store.repo import Store


def snapshot():
    return [(r.run_id, r.name, r.status, r.params, r.metrics, r.tags, r.deleted)
            for r in gx.query.runs.list_runs(include_deleted=True)]


@pytest.fixture
def runs(repo):
    for i in range(5):
        with gx.start_run(experiment="idx", run_name=f"r{i}") as run:
            gx.log_param("i", i)
            gx.log_metric("score", float(i))
    gx.query.deletion.delete_run(run.info.run_id)
    return repo


def without_index(monkeypatch):
    monkeypatch.setenv("GX_NO_INDEX", "1")
    result = snapshot()
    monkeypatch.delenv("GX_NO_INDEX")
    return result


def test_same_answers_with_and_without_index(runs, monkeypatch):
    with_index = snapshot()
    assert len(with_index) == 5 and sum(r[-1] for r in with_index) == 1
    assert with_index == without_index(monkeypatch)
    assert (runs.path / ".git" / "gx" / "index.sqlite").exists()


def test_rebuilds_after_deletion_and_corruption(runs, monkeypatch):
    expected = snapshot()
    index = runs.path / ".git" / "gx" / "index.sqlite"
    for suffix in ("", "-wal", "-shm"):
        index.with_name(index.name + suffix).unlink(missing_ok=True)
    assert snapshot() == expected
    for suffix in ("-wal", "-shm"):
        index.with_name(index.name + suffix).unlink(missing_ok=True)
    index.write_bytes(b"this is not a database" * 100)
    assert snapshot() == expected


def test_refs_moved_behind_its_back(runs, tmp_path, monkeypatch):
    snapshot()  # index is warm
    # another process appends a run
    subprocess.run([sys.executable, "-c", "import gx\nwith gx.start_run(experiment='idx', run_name='other'):\n    gx.log_metric('score', 9.0)"],
                   cwd=runs.path, check=True)
    assert "other" in {r.name for r in gx.query.runs.list_runs()}
    # another tool rewinds the ref (not a fast-forward): the experiment is re-read
    runs.git("update-ref", "refs/experiments/idx", "refs/experiments/idx~3")
    assert snapshot() == without_index(monkeypatch)
    assert "other" not in {r.name for r in gx.query.runs.list_runs()}
    # a ref removed by hand
    runs.git("update-ref", "-d", "refs/experiments/idx")
    assert snapshot() == []
    # runs fetched from another clone appear
    other = make_repo(tmp_path / "other")
    subprocess.run([sys.executable, "-c", "import gx\nwith gx.start_run(experiment='team', run_name='fetched'):\n    gx.log_metric('score', 1.0)"],
                   cwd=other.path, check=True)
    run_git("fetch", "-q", str(other.path), "refs/experiments/*:refs/experiments/*", cwd=runs.path)
    assert [r.name for r in gx.query.runs.list_runs()] == ["fetched"]
    assert snapshot() == without_index(monkeypatch)


def test_id_prefix_and_name_lookup_use_the_index(runs):
    store = Store.open()
    index = Index(store)
    index.refresh()
    all_ids = [r.run_id for r in gx.query.runs.list_runs(include_deleted=True)]
    assert [row[1] for row in index.find(all_ids[0][:10])] == [all_ids[0]]
    assert len(index.find_by_name("r2")) == 1
    index.close()
    store.close()
    assert gx.query.runs.get_record("r2").params == {"i": 2}


def test_search_filter_sort_limit(runs, monkeypatch):
    got = [r.name for r in gx.query.search.search(["idx"], "metrics.score >= 1 and params.i != 3", ["-metrics.score"], 2)]
    assert got == ["r2", "r1"]  # r4 is deleted
    monkeypatch.setenv("GX_NO_INDEX", "1")
    assert [r.name for r in gx.query.search.search(["idx"], "metrics.score >= 1 and params.i != 3", ["-metrics.score"], 2)] == got


def test_best_through_the_index_matches_a_scan(repo, monkeypatch):
    values = [3.0, float("nan"), 1.0, 1.0, 5.0, 0.5]
    ids = []
    for i, v in enumerate(values):
        with gx.start_run(experiment="b", run_name=f"r{i}") as run:
            gx.log_metric("loss", v)
            gx.log_metric("acc", -v)
        ids.append(run.info.run_id)
    gx.query.deletion.delete_run(ids[5])  # the true minimum is deleted
    fast = gx.query.search.best("loss", "min")
    assert fast[0].name == "r3" and fast[1:3] == (4, 4)  # newest of the tie 1.0; NaN and deleted ignored
    assert gx.query.search.best("acc", "max")[0].name == "r3"
    monkeypatch.setenv("GX_NO_INDEX", "1")
    slow = gx.query.search.best("loss", "min")
    assert (slow[0].run_id, slow[1]) == (fast[0].run_id, fast[1])
    assert gx.query.search.best("nope", "min")[0] is None


def test_a_remote_branch_named_experiments_is_not_an_experiment(repo):
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("update-ref", "refs/remotes/origin/experiments/oops", head)  # a code branch, not gx history
    with gx.start_run(experiment="real"):
        gx.log_metric("m", 1.0)
    with Store.open() as store:
        assert gx.query.runs.experiment_names(store) == ["real"]
    assert [r.experiment for r in gx.query.runs.list_runs()] == ["real"]


def test_experiments_summary_with_and_without_index(runs, monkeypatch):
    with gx.start_run(experiment="other"):
        gx.log_metric("m", 1.0)
    fast = [(e.name, e.runs, e.deleted, e.last_activity) for e in gx.query.runs.list_experiments()]
    assert [(n, r, d) for n, r, d, _ in fast] == [("idx", 4, 1), ("other", 1, 0)]
    monkeypatch.setenv("GX_NO_INDEX", "1")
    assert [(e.name, e.runs, e.deleted, e.last_activity) for e in gx.query.runs.list_experiments()] == fast


def test_history_order_matches_the_walk(repo, monkeypatch):
    for i in range(12):  # many runs end within the same second: ties in commit time
        with gx.start_run(experiment="h", run_name=f"r{i}"):
            pass
    with Store.open() as store:
        indexed = [r.name for r in gx.query.runs.history_runs(store, "h")]
        monkeypatch.setenv("GX_NO_INDEX", "1")
        walked = [r.name for r in gx.query.runs.history_runs(store, "h")]
    assert indexed == walked == [f"r{i}" for i in reversed(range(12))]
