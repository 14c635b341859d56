"""gx reproduce and gx checkout: a run's exact source (commit + uncommitted changes) rebuilt in a
linked worktree, never touching the user's working tree, index or branches."""

from __future__ import annotations

import subprocess
import sys

import gx

TRAIN = """import gx
alpha = float(gx.params().get("alpha", 0.1))
offset = 1.0
gx.log_metric("rmse", alpha * 10 + offset)
"""


def _gx(repo, *args):
    return subprocess.run([sys.executable, "-m", "gx", *args], cwd=repo.path, capture_output=True, text=True, timeout=120)


def _dirty_run(repo):
    """A run made with an uncommitted change (offset 2.0), then the change reverted."""
    repo.write("train.py", TRAIN)
    repo.git("add", "train.py")
    repo.git("commit", "-qm", "train")
    repo.write("train.py", TRAIN.replace("offset = 1.0", "offset = 2.0"))
    assert _gx(repo, "run", "-p", "alpha=0.3", "train.py").returncode == 0
    repo.write("train.py", TRAIN)
    [run] = gx.list_runs()
    return run


def _user_state(repo):
    return (repo.git("status", "--porcelain"), repo.git("rev-parse", "HEAD"), repo.git("branch", "--list"),
            (repo.path / ".git" / "index").read_bytes())


def test_reproduce_a_dirty_run_gives_the_same_metrics(repo):
    run = _dirty_run(repo)
    assert run.metrics == {"rmse": 5.0}  # 0.3 * 10 + the uncommitted offset 2.0
    before = _user_state(repo)
    proc = _gx(repo, "reproduce", run.run_id[:8])
    assert proc.returncode == 0, proc.stderr
    assert "identical" in proc.stdout
    new = next(r for r in gx.list_runs() if r.run_id != run.run_id)
    assert new.metrics == {"rmse": 5.0} and new.tags["gx.reproduces"] == run.run_id and new.params == {"alpha": 0.3}
    assert _user_state(repo) == before and repo.git("worktree", "list").count("\n") == 1
    repo.fsck()


def test_overrides_and_dry_run(repo):
    run = _dirty_run(repo)
    dry = _gx(repo, "reproduce", run.run_id, "-p", "alpha=0.5", "--dry-run")
    assert dry.returncode == 0 and "would run" in dry.stdout and "alpha = 0.5 (override)" in dry.stdout
    assert len(gx.list_runs()) == 1
    proc = _gx(repo, "reproduce", run.run_id, "-p", "alpha=0.5")
    assert "different" in proc.stdout and "7.0" in proc.stdout
    bad = _gx(repo, "reproduce", run.run_id, "-p", "beta=1")
    assert bad.returncode == 1 and "has no param 'beta'" in bad.stderr and bad.stderr.count("\n") == 1


def test_a_run_whose_code_is_not_recorded_says_why(repo):
    subprocess.run([sys.executable, "-c", "import gx; gx.log_metric('m', 1.0)"], cwd=repo.path, check=True)
    [run] = gx.list_runs()
    proc = _gx(repo, "reproduce", run.run_id)
    assert proc.returncode == 1 and "ran from python -c" in proc.stderr and proc.stderr.count("\n") == 1


def test_checkout_worktree_and_branch(repo, tmp_path):
    run = _dirty_run(repo)
    before = _user_state(repo)
    target = tmp_path / "continued"
    proc = _gx(repo, "checkout", run.run_id, "--path", str(target))
    assert proc.returncode == 0, proc.stderr
    assert "offset = 2.0" in (target / "train.py").read_text()
    assert (target / "params.yaml").read_text() == "alpha: 0.3\n"
    branch = _gx(repo, "checkout", run.run_id, "--branch", "from-run")
    assert branch.returncode == 0, branch.stderr
    assert "offset = 2.0" in repo.git("show", "from-run:train.py")
    again = _gx(repo, "checkout", run.run_id, "--branch", "from-run")
    assert again.returncode == 1 and "already exists" in again.stderr
    status, head, _, index = _user_state(repo)
    assert (status, head, index) == (before[0], before[1], before[3])
    repo.fsck()


ARGV_TRAIN = """import argparse, pathlib, gx
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--epochs", type=int)
args = parser.parse_args()
scale = float(pathlib.Path("scale.txt").read_text())  # read from where the run started
gx.log_params({"alpha": args.alpha, "epochs": args.epochs})
gx.log_metric("rmse", args.alpha * scale + args.epochs)
"""


def test_reproduce_runs_from_the_recorded_folder_with_overrides_on_the_command_line(repo):
    repo.write("src/train.py", ARGV_TRAIN)
    repo.write("src/scale.txt", "10\n")
    repo.git("add", "src")
    repo.git("commit", "-qm", "train")
    proc = subprocess.run([sys.executable, "-m", "gx", "run", "python", "train.py", "--alpha", "0.3", "--epochs=2"],
                          cwd=repo.path / "src", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    [run] = gx.list_runs()
    assert run.metrics == {"rmse": 5.0} and gx.get_run(run.run_id).record.source["workdir"] == "src"
    dry = _gx(repo, "reproduce", run.run_id, "-p", "alpha=0.5", "-p", "epochs=3", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "in: src (relative to the repository root)" in dry.stdout
    assert "train.py --alpha 0.5 --epochs=3\n" in dry.stdout and "alpha = 0.5 (override, on the command line)" in dry.stdout
    proc = _gx(repo, "reproduce", run.run_id, "-p", "alpha=0.5", "-p", "epochs=3")
    assert proc.returncode == 0, proc.stderr
    new = next(r for r in gx.list_runs() if r.run_id != run.run_id)
    assert new.metrics == {"rmse": 8.0} and new.params == {"alpha": 0.5, "epochs": 3}
    assert _gx(repo, "reproduce", run.run_id).stdout.count("identical") == 1


def test_substitution_touches_only_the_recorded_values():
    from gx.reproduce.arguments import substitute

    command = ["python", "train.py", "--alpha", "0.1", "alpha=0.1", "--lr", "0.1", "--use-gpu=true", "model.alpha=0.1"]
    out, found = substitute(command, {"alpha": 0.1, "lr": 0.01, "use_gpu": True}, {"alpha": 0.2, "use_gpu": False, "lr": 1})
    assert out == ["python", "train.py", "--alpha", "0.2", "alpha=0.2", "--lr", "0.1", "--use-gpu=false", "model.alpha=0.1"]
    assert found == {"alpha", "use_gpu"}
