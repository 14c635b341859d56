"""gx sweep --resume keeps the sweep's own run current: its best, trial counts, pruned trials and status
are recorded again (a newer commit of the same run) so every reader agrees, and a trial pruned during a
resume is not run again by the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import gx
from conftest import gx_subprocess

#: alpha=0.3 is the best trial and fails while the flag file exists.
FLAKY = """import gx, os, sys
alpha = gx.params()["alpha"]
if alpha == 0.3 and os.path.exists(os.environ["FLAG"]):
    sys.exit(2)
gx.log_metric("rmse", abs(alpha - 0.3))
"""

#: Trial alpha=3 says it started (in the untracked state/ folder every scratch copy links to).
STEPS = """import gx, time
alpha = gx.params()["alpha"]
if alpha == 3:
    open("state/started", "w").close()
for step in range(8):
    gx.log_metric("loss", alpha * (8 - step), step=step)
    time.sleep(0.25)
"""


def commit_script(repo, name: str, text: str) -> None:
    repo.write(name, text)
    repo.git("add", name)
    repo.git("commit", "-qm", name)


def the_sweep() -> str:
    return next(r.run_id for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")


def children(parent: str) -> list:
    return [r for r in gx.list_runs() if r.parent_run_id == parent]


def run_commits(repo, run_id: str) -> int:
    log = repo.git("log", "--format=%(trailers:key=Gx-Run,valueonly)", "refs/experiments/default")
    return log.split().count(run_id)


def test_resume_records_the_sweeps_new_best_once_and_every_reader_agrees(repo, tmp_path, cli, monkeypatch):
    commit_script(repo, "flaky.py", FLAKY)
    flag = tmp_path / "flag"
    flag.write_text("")
    env = {"FLAG": str(flag)}
    first = gx_subprocess("sweep", "flaky.py", "-p", "alpha=0.1,0.3,0.6", "--method", "grid", "--metric", "rmse",
                          cwd=repo.path, env=env)
    assert first.returncode == 0, first.stderr.decode()
    parent = the_sweep()
    kept = {r.run_id: r for r in gx.list_runs(shared=True)}  # a long-lived reader (gx ui) keeps these rows
    assert kept[parent].metrics["best_rmse"] == pytest.approx(0.2) and kept[parent].metrics["trials_failed"] == 1
    flag.unlink()
    resumed = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path, env=env)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert run_commits(repo, parent) == 2, "the sweep's run is recorded again, once"
    for shared in (True, False):
        run = next(r for r in gx.list_runs(shared=shared) if r.run_id == parent)
        assert run.metrics["best_rmse"] == pytest.approx(0.0) and run.metrics["trials_finished"] == 3
        assert run.metrics["trials_failed"] == 0 and run.status == "FINISHED"
    monkeypatch.setenv("GX_NO_INDEX", "1")
    unindexed = next(r for r in gx.list_runs() if r.run_id == parent)
    assert unindexed.metrics["best_rmse"] == pytest.approx(0.0) and len(gx.list_runs()) == 5
    monkeypatch.delenv("GX_NO_INDEX")
    history = [m.value for m in gx.get_metric_history(parent, "best_rmse")]
    assert history == pytest.approx([0.2, 0.0]), "the first sweep's best stays in the metric's history"
    shown = next(line for line in cli("show", parent[:8]).output.splitlines() if "best_rmse" in line)
    assert "(step 1, 2 points)" in shown, shown
    best = cli("best", "rmse", "--parent", parent[:8]).output
    assert best.startswith("best rmse (lowest of 3 FINISHED runs): 0\n") and "alpha=0.3" in best, best
    again = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path, env=env)
    assert again.returncode == 0 and b"nothing to run" in again.stderr
    assert run_commits(repo, parent) == 2, "a resume that changes nothing records nothing"
    repo.fsck()


def test_a_trial_pruned_during_resume_is_not_run_again(repo):
    commit_script(repo, "steps.py", STEPS)
    (repo.path / "state").mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-m", "gx", "sweep", "steps.py", "-p", "alpha=1,2,3,50,0.5",
                             "--method", "grid", "--metric", "loss", "--prune"], cwd=repo.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not (repo.path / "state" / "started").exists():  # trials 0, 1 done, 2 running
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    parent = the_sweep()
    assert sorted(r.status for r in children(parent)) == ["FINISHED", "FINISHED", "KILLED"]
    resumed = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert "1 pruned" in resumed.stderr.decode(), "judged against the trials recorded before the resume"
    sweep_run = gx.get_run(parent).data
    assert sweep_run.tags["gx.sweep.pruned"] == "3", "the trial pruned by the resume is listed"
    assert sweep_run.metrics["trials_pruned"] == 1 and sweep_run.metrics["trials_finished"] == 4
    assert gx.get_run(parent).info.status == "FINISHED"
    again = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path)
    assert again.returncode == 0 and "nothing to run" in again.stderr.decode()
    by_status = sorted((int(r.tags["gx.sweep.trial"]), r.status) for r in children(parent))
    assert by_status == [(0, "FINISHED"), (1, "FINISHED"), (2, "FINISHED"), (2, "KILLED"), (3, "KILLED"),
                         (4, "FINISHED")], "each trial exactly once more: none re-run after it was pruned"
    repo.fsck()


def test_a_clone_that_indexed_the_first_sweep_sees_the_resumed_one_after_pull(tmp_path, monkeypatch):
    from conftest import Repo, make_repo, run_git

    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", "-b", "main", str(remote))
    alice = make_repo(tmp_path / "alice")
    commit_script(alice, "flaky.py", FLAKY)
    alice.git("remote", "add", "origin", str(remote))
    alice.git("push", "-q", "-u", "origin", "main")
    flag = tmp_path / "flag"
    flag.write_text("")
    env = {"FLAG": str(flag)}
    first = gx_subprocess("sweep", "flaky.py", "-p", "alpha=0.1,0.3", "--method", "grid", "--metric", "rmse",
                          cwd=alice.path, env=env)
    assert first.returncode == 0, first.stderr.decode()
    assert gx_subprocess("push", cwd=alice.path).returncode == 0
    run_git("clone", "-q", str(remote), str(tmp_path / "bob"))
    bob = Repo(tmp_path / "bob")
    assert gx_subprocess("pull", cwd=bob.path).returncode == 0
    monkeypatch.chdir(bob.path)
    parent = the_sweep()
    assert gx.get_run(parent).data.metrics["best_rmse"] == pytest.approx(0.2)  # bob's index holds the first commit
    flag.unlink()
    assert gx_subprocess("sweep", "--resume", parent[:8], cwd=alice.path, env=env).returncode == 0
    assert gx_subprocess("push", cwd=alice.path).returncode == 0
    assert gx_subprocess("pull", cwd=bob.path).returncode == 0
    runs = gx.list_runs()
    assert next(r for r in runs if r.run_id == parent).metrics["best_rmse"] == pytest.approx(0.0)
    assert len(runs) == 4 and gx.get_run(parent).info.status == "FINISHED"
    bob.fsck()
    alice.fsck()
