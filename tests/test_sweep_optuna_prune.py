"""gx sweep --prune through Optuna's pruners: a sweep whose search runs in an Optuna study reports every
trial's intermediate values to it and stops the trials its pruner names; grid/random keep gx's rule."""

from __future__ import annotations

import pytest

import gx
from conftest import gx_subprocess

#: The first three trials' loss falls; every later trial's rises, slowly enough for the scheduler's
#: polls to see its steps (trials run one at a time, -j 1).
RISING = """import gx, os, time
n = len(os.listdir("state"))
open(os.path.join("state", str(n)), "w").close()
for step in range(8):
    gx.log_metric("loss", 1.0 / (step + 1) if n < 3 else 1.0 + step, step=step)
    time.sleep(0.25 if n >= 3 else 0)
"""


def project(repo):
    repo.write("rising.py", RISING)
    repo.git("add", "rising.py")
    repo.git("commit", "-qm", "rising")
    (repo.path / "state").mkdir()  # untracked: every trial's scratch copy links to it
    return repo


def children(parent: str) -> list:
    return sorted((r for r in gx.list_runs() if r.parent_run_id == parent), key=lambda r: int(r.tags["gx.sweep.trial"]))


def test_optuna_median_pruner_stops_rising_trials_and_the_study_records_them_pruned(repo, tmp_path):
    optuna = pytest.importorskip("optuna")
    project(repo)
    journal = tmp_path / "study.log"
    proc = gx_subprocess("sweep", "rising.py", "-p", "lr=uniform(0,1)", "--method", "tpe", "--trials", "5",
                         "--metric", "loss", "--pruner", "median", "--storage", f"journal:{journal}", "--study", "p",
                         cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "2 pruned" in proc.stderr.decode()
    parent = next(r.run_id for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")
    trials = children(parent)
    assert [r.status for r in trials] == ["FINISHED"] * 3 + ["KILLED"] * 2
    for run in trials[3:]:
        assert len(gx.get_metric_history(run.run_id, "loss")) < 8, "stopped before its last step"
    sweep_run = gx.get_run(parent).data
    assert sweep_run.tags["gx.sweep.pruned"] == "3,4" and sweep_run.tags["gx.sweep.pruner"] == "median"
    assert sweep_run.metrics["trials_pruned"] == 2 and sweep_run.metrics["best_loss"] == pytest.approx(0.125)
    from optuna.storages.journal import JournalFileBackend

    study = optuna.load_study(study_name="p", storage=optuna.storages.JournalStorage(JournalFileBackend(str(journal))))
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3 + ["PRUNED"] * 2
    assert all(len(t.intermediate_values) == 8 for t in study.trials[:3]), "a finished trial's whole curve is reported"
    for t in study.trials[3:]:  # Optuna's pruner saw the rising values: reported, not only the final state
        assert 2 <= len(t.intermediate_values) < 8 and t.intermediate_values[1] == 2.0
    repo.fsck()


def test_make_pruner_builds_each_named_optuna_pruner():
    optuna = pytest.importorskip("optuna")
    from gx.sweep.pruners import check_pruner, make_pruner

    kinds = {"median": optuna.pruners.MedianPruner, "percentile:10": optuna.pruners.PercentilePruner,
             "hyperband": optuna.pruners.HyperbandPruner, "successive-halving": optuna.pruners.SuccessiveHalvingPruner}
    for text, kind in kinds.items():
        assert isinstance(make_pruner(text), kind)
    assert check_pruner("Percentile") == "percentile:25.0"


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "random", "--pruner", "hyperband"], "gx: error: --pruner hyperband is Optuna's: use it with --method tpe"),
    (["--method", "grid", "--pruner", "percentile:30"], "gx: error: --pruner percentile:30.0 is Optuna's"),
    (["--pruner", "wilcoxon"], "gx: error: --pruner 'wilcoxon': choose median, percentile"),
    (["--pruner", "percentile:120"], "gx: error: --pruner 'percentile:120': the percentile must be"),
])
def test_a_pruner_without_optuna_or_unknown_is_one_line(repo, args, message):
    project(repo)
    proc = gx_subprocess("sweep", "rising.py", "-p", "lr=1,2", "--metric", "loss", *args, cwd=repo.path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith(message) and len(err.splitlines()) == 1, err
    assert gx.list_runs() == []


def test_pruner_none_turns_off_the_prune_of_gx_yaml(repo):
    project(repo)
    repo.write("gx.yaml", "sweep:\n  prune: true\n")
    proc = gx_subprocess("sweep", "rising.py", "-p", "lr=1,2,3,4", "--method", "grid", "--metric", "loss",
                         "--pruner", "none", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    parent = next(r.run_id for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")
    assert [r.status for r in children(parent)] == ["FINISHED"] * 4
    assert gx.get_run(parent).data.tags["gx.sweep.prune"] == "0"
    repo.fsck()


def test_a_resumed_tpe_sweep_prunes_against_the_recorded_trials_curves(repo, tmp_path):
    """With no storage the study lives in the sweep process: --resume builds it again from the recorded
    trials, their histories as intermediate values, so Optuna's pruner judges the resumed trials at once."""
    pytest.importorskip("optuna")
    project(repo)
    repo.write("rising.py", RISING.replace('open(os.path.join("state", str(n)), "w").close()\n',
                                           'open(os.path.join("state", str(n)), "w").close()\n'
                                           'if n >= 3 and os.path.exists(os.environ["FLAG"]):\n    raise SystemExit(2)\n'))
    repo.git("commit", "-qam", "flag")
    flag = tmp_path / "flag"
    flag.write_text("")
    first = gx_subprocess("sweep", "rising.py", "-p", "lr=uniform(0,1)", "--method", "tpe", "--trials", "5",
                          "--metric", "loss", "--prune", cwd=repo.path, env={"FLAG": str(flag)})
    assert first.returncode == 0, first.stderr.decode()
    parent = next(r.run_id for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")
    assert [r.status for r in children(parent)] == ["FINISHED"] * 3 + ["FAILED"] * 2
    flag.unlink()
    resumed = gx_subprocess("sweep", "--resume", parent[:8], cwd=repo.path, env={"FLAG": str(flag)})
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert "2 pruned" in resumed.stderr.decode()
    killed = [r for r in children(parent) if r.status == "KILLED"]
    assert len(killed) == 2 and all(len(gx.get_metric_history(r.run_id, "loss")) < 8 for r in killed)
    assert gx.get_run(parent).data.tags["gx.sweep.pruned"] == "3,4"
    repo.fsck()
