"""gx sweep on a real repository: every trial a gx run child run, isolated in its own scratch copy;
failures recorded and the sweep goes on; -j loses nothing; Ctrl-C and --resume; TPE; gx.yaml."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import gx
from conftest import gx_subprocess

TRAIN = """import gx, os, sys, time
p = gx.params()
assert not os.path.exists("scratch.txt"), "another trial's file is visible"
open("scratch.txt", "w").write(str(p))
time.sleep(float(os.environ.get("TRIAL_SLEEP", "0")))
if p.get("fail") == p.get("alpha"):
    sys.exit(3)
gx.log_metric("rmse", abs(p["alpha"] - 0.3) + p.get("depth", 0) * 0.01)
"""


def project(repo):
    repo.write("train.py", TRAIN)
    repo.git("add", "train.py")
    repo.git("commit", "-qm", "train")
    return repo


def children(parent: str) -> list:
    return [r for r in gx.list_runs() if r.parent_run_id == parent]


def the_sweep() -> str:
    return next(r.run_id for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")


def test_grid_sweep_records_each_trial_as_a_child_with_its_params(repo, cli):
    project(repo)
    result = cli("sweep", "train.py", "-p", "alpha=0.1,0.3", "-p", "depth=int(1,2)", "--method", "grid",
                 "--metric", "rmse", "-j", "2")
    assert result.exit_code == 0, result.output
    parent = the_sweep()
    trials = children(parent)
    assert sorted((r.params["alpha"], r.params["depth"]) for r in trials) == [(0.1, 1), (0.1, 2), (0.3, 1), (0.3, 2)]
    assert all(r.status == "FINISHED" and r.tags["mlflow.parentRunId"] == parent for r in trials)
    assert gx.get_run(parent).data.metrics["best_rmse"] == pytest.approx(0.01)
    assert not (repo.path / "scratch.txt").exists(), "trials write in their scratch copies, not the worktree"
    caches = list((repo.path / ".git" / "gx" / "cache").glob("packages-*.txt"))
    assert len(caches) <= 2, "the trials share one package list (the test process keeps its own)"
    best = cli("best", "rmse", "--parent", parent[:8]).output
    assert "0.01" in best
    repo.fsck()


def test_parallel_trials_are_all_recorded_and_a_failure_does_not_stop_the_sweep(repo):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=uniform(0,1)", "-p", "fail=choice(9)", "--trials", "9",
                         "-j", "3", "--metric", "rmse", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(children(the_sweep())) == 9
    failing = gx_subprocess("sweep", "train.py", "-p", "alpha=1,2,3", "-p", "fail=2", "--method", "grid",
                            "-n", "with-failure", cwd=repo.path)
    assert failing.returncode == 0, failing.stderr.decode()
    parent = next(r.run_id for r in gx.list_runs() if r.name == "with-failure")
    statuses = sorted((r.params["alpha"], r.status) for r in children(parent))
    assert statuses == [(1, "FINISHED"), (2, "FAILED"), (3, "FINISHED")]
    assert b"1 failed" in failing.stderr
    repo.fsck()


def test_forty_trials_with_four_workers_are_forty_runs_exactly(repo):
    """The issue's own words: -j 4 with 40 trials records exactly 40 child runs (each trial number
    once, none lost to a race between workers, none twice)."""
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=uniform(0,1)", "--trials", "40", "-j", "4",
                         "--metric", "rmse", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    trials = children(the_sweep())
    assert sorted(int(r.tags["gx.sweep.trial"]) for r in trials) == list(range(40))
    assert {r.status for r in trials} == {"FINISHED"} and len({r.run_id for r in trials}) == 40
    assert gx.get_run(the_sweep()).data.metrics["trials_finished"] == 40
    repo.fsck()


def test_fail_fast_stops_launching(repo):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=1,2,3,4", "-p", "fail=1", "--method", "grid",
                         "--fail-fast", cwd=repo.path)
    assert proc.returncode == 0
    assert len(children(the_sweep())) == 1


def test_ctrl_c_records_running_trials_killed_and_resume_runs_only_what_is_missing(repo):
    project(repo)
    env = dict(os.environ, TRIAL_SLEEP="1.5", PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-m", "gx", "sweep", "train.py", "-p", "alpha=uniform(0,1)",
                             "--trials", "6", "-j", "2", "--metric", "rmse"], cwd=repo.path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until the first two trials are recorded and two more run
        finished = [r for r in gx.list_runs() if r.status == "FINISHED" and "gx.sweep.trial" in r.tags]
        if len(finished) >= 2:
            break
        time.sleep(0.2)
    time.sleep(0.8)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    parent = the_sweep()
    first = children(parent)
    assert "KILLED" in {r.status for r in first}, [(r.name, r.status) for r in first]
    assert gx.get_run(parent).info.status == "KILLED"
    done_before = {r.tags["gx.sweep.trial"] for r in first if r.status == "FINISHED"}
    resumed = gx_subprocess("sweep", "--resume", parent[:8], "-j", "2", cwd=repo.path)
    assert resumed.returncode == 0, resumed.stderr.decode()
    after = children(parent)
    finished = [r for r in after if r.status == "FINISHED"]
    assert sorted(int(r.tags["gx.sweep.trial"]) for r in finished) == list(range(6))
    rerun = {r.tags["gx.sweep.trial"] for r in after if r.status == "FINISHED"} - done_before
    assert len(finished) - len(done_before) == len(rerun), "finished trials are not run again"
    assert b"nothing to run" in gx_subprocess("sweep", "--resume", parent[:8], "--fail-fast", cwd=repo.path).stderr
    # the recorded settings are the sweep's: changing them on resume is one line, not silently ignored
    refused = gx_subprocess("sweep", "--resume", parent[:8], "--trials", "50", "--pruner", "hyperband", cwd=repo.path)
    err = refused.stderr.decode()
    assert refused.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith("gx: error: --resume runs the sweep as it was recorded: --trials, --pruner cannot be given"), err
    assert len(children(parent)) == len(after)
    repo.fsck()


def test_tpe_through_optuna_and_the_gx_yaml_section(repo):
    pytest.importorskip("optuna")
    project(repo)
    repo.write("gx.yaml", "sweep:\n  script: train.py\n  params:\n    alpha: uniform(0, 1)\n  method: tpe\n"
                          "  trials: 4\n  metric: rmse\n")
    proc = gx_subprocess("sweep", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    parent = the_sweep()
    assert gx.get_run(parent).data.tags["gx.sweep.method"] == "tpe"
    assert len(children(parent)) == 4


@pytest.mark.parametrize("param", ["alpha", "alpha=uniform(1,0)", "alpha=loguniform(0,1)", "alpha=int(a,b)"])
def test_a_bad_space_is_one_line(repo, param):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", param, cwd=repo.path)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("gx: error:") and len(proc.stderr.decode().splitlines()) == 1
    assert gx.list_runs() == []


def test_grid_refuses_a_continuous_dimension(repo):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=uniform(0,1)", "--method", "grid", cwd=repo.path)
    assert proc.returncode == 1 and b"use --method random" in proc.stderr


def test_two_clones_share_one_optuna_journal_and_join_by_push_and_pull(tmp_path, monkeypatch):
    optuna = pytest.importorskip("optuna")
    from conftest import Repo, make_repo, run_git

    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", "-b", "main", str(remote))
    alice = project(make_repo(tmp_path / "alice"))
    alice.git("remote", "add", "origin", str(remote))
    alice.git("push", "-q", "-u", "origin", "main")
    run_git("clone", "-q", str(remote), str(tmp_path / "bob"))
    bob = Repo(tmp_path / "bob")
    journal = tmp_path / "shared-study.log"
    args = ["sweep", "train.py", "-p", "alpha=uniform(0,1)", "--method", "tpe", "--trials", "3", "--metric", "rmse",
            "--storage", f"journal:{journal}", "--study", "team", "-e", "shared"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    workers = [subprocess.Popen([sys.executable, "-m", "gx", *args], cwd=clone.path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for clone in (alice, bob)]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
    for clone in (alice, bob):
        push = gx_subprocess("push", cwd=clone.path)
        assert push.returncode == 0, push.stderr.decode()
    assert gx_subprocess("pull", cwd=alice.path).returncode == 0
    monkeypatch.chdir(alice.path)
    runs = gx.list_runs(["shared"])
    trials = [r for r in runs if "gx.sweep.trial" in r.tags]
    assert len([r for r in runs if r.tags.get("gx.sweep") == "1"]) == 2 and len(trials) == 6
    assert sorted(int(r.tags["gx.sweep.trial"]) for r in trials) == list(range(6)), "numbers come from the shared study"
    from optuna.storages.journal import JournalFileBackend

    study = optuna.load_study(study_name="team", storage=optuna.storages.JournalStorage(JournalFileBackend(str(journal))))
    assert sorted(t.number for t in study.trials if t.state.name == "COMPLETE") == list(range(6))
    assert {t.number: t.value for t in study.trials} == pytest.approx(
        {int(r.tags["gx.sweep.trial"]): r.metrics["rmse"] for r in trials})
    alice.fsck()


@pytest.mark.parametrize("extra", [["--storage", "journal:s.log"], ["--storage", "journal:s.log", "--study", "x",
                                                                    "--method", "grid"]])
def test_storage_needs_a_study_name_and_a_sampler(repo, extra):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=1,2", *extra, cwd=repo.path)
    assert proc.returncode == 1 and proc.stderr.decode().startswith("gx: error: --storage")


def test_sigkill_of_the_sweep_loses_no_trial(repo):
    project(repo)
    env = dict(os.environ, TRIAL_SLEEP="1", PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-m", "gx", "sweep", "train.py", "-p", "alpha=uniform(0,1)",
                             "--trials", "4", "-j", "2"], cwd=repo.path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not any("gx.sweep.trial" in r.tags for r in gx.list_runs()):
        time.sleep(0.1)
    time.sleep(0.3)  # on an idle machine two more trials are running now
    proc.kill()
    proc.wait()
    time.sleep(2.5)  # trials run in their own sessions: those running finish and record on their own
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0  # any command records the dead sweep run
    parent = the_sweep()
    recorded = children(parent)
    assert len(recorded) >= 2 and all(r.status == "FINISHED" for r in recorded), [(r.name, r.status) for r in recorded]
    assert gx.get_run(parent).info.status == "KILLED"
    resumed = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path, env={"TRIAL_SLEEP": "0"})
    assert resumed.returncode == 0, resumed.stderr.decode()
    numbers = sorted(int(r.tags["gx.sweep.trial"]) for r in children(parent))
    assert numbers == [0, 1, 2, 3], "every trial exactly once: none lost, none run twice"
    repo.fsck()


def test_resume_of_a_sweep_sharing_a_study_asks_the_study_for_what_it_lacks(repo, tmp_path):
    optuna = pytest.importorskip("optuna")
    project(repo)
    journal, flag = tmp_path / "study.log", tmp_path / "broken"
    repo.write("flaky.py", "import gx, os, sys\nif os.path.exists(os.environ['FLAG']):\n    sys.exit(2)\n"
                           "gx.log_metric('rmse', gx.params()['alpha'])\n")
    repo.git("add", "flaky.py")
    repo.git("commit", "-qm", "flaky")
    flag.write_text("")
    args = ["sweep", "flaky.py", "-p", "alpha=uniform(0,1)", "--method", "random", "--trials", "3",
            "--metric", "rmse", "--storage", f"journal:{journal}", "--study", "s"]
    broken = gx_subprocess(*args, cwd=repo.path, env={"FLAG": str(flag)})
    assert broken.returncode == 0, broken.stderr.decode()
    parent = the_sweep()
    assert [r.status for r in children(parent)] == ["FAILED"] * 3
    flag.unlink()
    refused = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path, env={"FLAG": str(flag)})
    assert refused.returncode == 1 and "give its --storage again" in refused.stderr.decode()
    resumed = gx_subprocess("sweep", "--resume", parent[:8], "--storage", f"journal:{journal}", cwd=repo.path,
                            env={"FLAG": str(flag)})
    assert resumed.returncode == 0, resumed.stderr.decode()
    finished = [r for r in children(parent) if r.status == "FINISHED"]
    assert sorted(int(r.tags["gx.sweep.trial"]) for r in finished) == [3, 4, 5], "new numbers from the study"
    from optuna.storages.journal import JournalFileBackend

    study = optuna.load_study(study_name="s", storage=optuna.storages.JournalStorage(JournalFileBackend(str(journal))))
    assert [t.state.name for t in study.trials] == ["FAIL"] * 3 + ["COMPLETE"] * 3
    repo.fsck()


STEPS = """import gx, time
alpha = gx.params()["alpha"]
for step in range(8):
    gx.log_metric("loss", alpha * (8 - step), step=step)
    time.sleep(0.25)
"""


def test_prune_stops_a_trial_worse_than_the_median_at_its_step_and_resume_leaves_it(repo):
    repo.write("steps.py", STEPS)
    repo.git("add", "steps.py")
    repo.git("commit", "-qm", "steps")
    proc = gx_subprocess("sweep", "steps.py", "-p", "alpha=1,2,3,50", "--method", "grid", "--metric", "loss",
                         "--prune", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "1 pruned" in proc.stderr.decode()
    parent = the_sweep()
    trials = {r.params["alpha"]: r for r in children(parent)}
    assert [trials[a].status for a in (1, 2, 3)] == ["FINISHED"] * 3 and trials[50].status == "KILLED"
    assert len(gx.get_metric_history(trials[50].run_id, "loss")) < 8, "stopped before its last step"
    sweep_run = gx.get_run(parent).data
    assert sweep_run.tags["gx.sweep.pruned"] == "3" and sweep_run.metrics["trials_pruned"] == 1
    resumed = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path)
    assert resumed.returncode == 0 and "nothing to run" in resumed.stderr.decode()
    repo.fsck()


def test_prune_needs_a_metric(repo):
    project(repo)
    proc = gx_subprocess("sweep", "train.py", "-p", "alpha=1,2", "--prune", cwd=repo.path)
    assert proc.returncode == 1 and proc.stderr.decode() == "gx: error: --prune compares the trials' --metric: name it (--metric loss)\n"
