"""Issue 8, the write boundary: a bad value is refused at the API call (a GxError naming the key), or
recorded as a run that reads back. Never a run that can never be recorded and makes every later
command exit 3 until someone deletes files under .git/gx by hand."""

from __future__ import annotations

import json
import re

import pytest

import gx
from conftest import gx_subprocess
from untrusted_write_helpers import experiment_refs, run_commits

RUN_DIR_NAME = re.compile(r"[0-9a-f]{32}\Z")


@pytest.fixture
def other_run(repo) -> str:
    """A healthy run recorded before the bad value: it must stay listed whatever happens next."""
    gx.set_experiment("healthy")
    with gx.start_run(run_name="other") as run:
        gx.log_metric("acc", 0.5)
    gx.set_experiment("values")
    return run.info.run_id


def assert_nothing_broken(repo, other_run_id: str) -> str:
    """A fresh ``gx ls`` works (exit 0, never 3), lists the other run, leaves no stuck journal;
    git fsck --strict is clean. Returns gx ls's JSON output."""
    proc = gx_subprocess("ls", "--json", cwd=repo.path, timeout=60)
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, f"gx ls exited {proc.returncode}: {stderr[:600]}"
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr[:600]
    assert other_run_id in proc.stdout.decode()
    assert other_run_id in run_commits(repo, "refs/experiments/healthy")
    runs_dir = repo.path / ".git" / "gx" / "runs"
    stuck = [p.name for p in runs_dir.iterdir() if RUN_DIR_NAME.match(p.name)] if runs_dir.is_dir() else []
    assert stuck == [], f"journals nobody can record are left in .git/gx/runs: {stuck}"
    repo.fsck()
    return proc.stdout.decode()


def in_run(body):
    def act() -> str:
        with gx.start_run(run_name="target") as run:
            body()
        return run.info.run_id
    return act


# -- refused or recorded: either is fine, a stuck run is not ---------------------------------------

EITHER = {
    "metric-int-too-big-for-a-float": (in_run(lambda: gx.log_metric("huge_metric", 10**400)), "huge_metric"),
    "metric-negative-int-too-big": (in_run(lambda: gx.log_metric("huge_metric", -(10**400))), "huge_metric"),
    "log_metrics-int-too-big": (in_run(lambda: gx.log_metrics({"huge_metric": 10**400})), "huge_metric"),
    "run-name-not-a-string": (lambda: in_run_named(5), "name"),
    "experiment-name-300-chars-set_experiment": (lambda: long_experiment_via_set(), "experiment"),
    "experiment-name-300-chars-start_run": (lambda: long_experiment_via_start_run(), "experiment"),
}


def in_run_named(name) -> str:
    with gx.start_run(run_name=name) as run:
        pass  # no params or metrics: the commit subject is the name alone
    return run.info.run_id


def long_experiment_via_set() -> str:
    gx.set_experiment("x" * 300)
    with gx.start_run(run_name="long") as run:
        pass
    return run.info.run_id


def long_experiment_via_start_run() -> str:
    with gx.start_run(run_name="long", experiment="x" * 300) as run:
        pass
    return run.info.run_id


@pytest.mark.parametrize("case", list(EITHER))
def test_a_bad_value_is_refused_at_the_call_or_recorded_never_left_stuck(repo, other_run, case):
    """Finding: log_metric(10**400), start_run(run_name=5) and a 300-character experiment name are
    accepted at the call, then the run can never be recorded and every later command exits 3."""
    act, word = EITHER[case]
    try:
        run_id = act()
    except gx.GxError as exc:  # refused at the call: the message names what is wrong
        assert word in str(exc), str(exc)
        run_id = None
    listed = assert_nothing_broken(repo, other_run)
    if run_id is not None:  # accepted: then it is a run like any other, readable back
        assert run_id in listed, f"run {run_id[:8]} was accepted at the call but never recorded"
        assert gx.get_run(run_id).info.run_id == run_id


# -- timestamps and steps: non-finite or non-integer values are refused at the call -------------

REFUSED = {
    "timestamp-nan": (lambda: gx.log_metric("ts_metric", 1.0, timestamp=float("nan")), "ts_metric"),
    "timestamp-inf": (lambda: gx.log_metric("ts_metric", 1.0, timestamp=float("inf")), "ts_metric"),
    "timestamp--inf": (lambda: gx.log_metric("ts_metric", 1.0, timestamp=float("-inf")), "ts_metric"),
    "timestamp-not-a-number": (lambda: gx.log_metric("ts_metric", 1.0, timestamp="now"), "ts_metric"),
    "log_metrics-timestamp-nan": (lambda: gx.log_metrics({"ts_metric": 1.0}, timestamp=float("nan")), "ts_metric"),
    "step-nan": (lambda: gx.log_metric("step_metric", 1.0, step=float("nan")), "step_metric"),
    "step-inf": (lambda: gx.log_metric("step_metric", 1.0, step=float("inf")), "step_metric"),
    "step-not-an-integer": (lambda: gx.log_metric("step_metric", 1.0, step=1.5), "step_metric"),
    "step-not-a-number": (lambda: gx.log_metric("step_metric", 1.0, step="x"), "step_metric"),
    "log_metrics-step-not-an-integer": (lambda: gx.log_metrics({"step_metric": 1.0}, step=2.5), "step_metric"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_non_finite_or_non_integer_timestamp_or_step_is_refused_at_the_call(repo, other_run, case):
    """Finding: log_metric(timestamp=nan/inf) is accepted and leaves a run that cannot be recorded
    (every later command exits 3); step=nan or 'x' raises a bare ValueError; step=1.5 is silently
    truncated. Each must be a GxError at the call, naming the metric, and break nothing."""
    call, key = REFUSED[case]
    with gx.start_run(run_name="target") as run:
        gx.log_metric("fine", 1.0)
        with pytest.raises(gx.GxError) as info:
            call()
        assert key in str(info.value) and ("step" in str(info.value) or "timestamp" in str(info.value))
    listed = assert_nothing_broken(repo, other_run)
    assert run.info.run_id in listed  # the run itself goes on and is recorded
    assert key not in gx.get_run(run.info.run_id).data.metrics


# -- an empty experiment name is an error, not 'default' --------------------------------------------

def test_gx_run_with_an_empty_experiment_name_is_an_error(repo):
    """Finding: `gx run -e '' script.py` silently records into 'default'."""
    repo.write("train.py", "print('trained')\n")
    proc = gx_subprocess("run", "-e", "", "train.py", cwd=repo.path, timeout=60)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, f"exit {proc.returncode}: {stderr[:600]}"
    assert stderr.startswith("gx: error: ") and "experiment" in stderr, stderr[:600]
    assert b"trained" not in proc.stdout  # refused before the script runs
    assert experiment_refs(repo) == []


def test_start_run_with_an_empty_experiment_name_is_an_error(repo):
    """Finding (API side of `gx run -e ''`): start_run(experiment='') records into 'default'."""
    with pytest.raises(gx.GxError, match="experiment"), gx.start_run(run_name="r", experiment=""):
        pass
    assert experiment_refs(repo) == []


# -- a bad key in a metrics file read by gx run -----------------------------------------------------

def test_gx_run_metrics_file_with_a_control_character_key_still_records_the_run(repo):
    """Finding (write boundary, from a file): a metrics file whose key holds NUL makes `gx run` stop
    with an error after the script succeeded; the run is then recovered as KILLED by the next
    command. The bad key should be skipped with a warning naming it, like a non-numeric value."""
    repo.write("train.py", "open('m.json', 'w').write('{\"a\\\\u0000b\": 1, \"rmse\": 0.5}')\n")
    proc = gx_subprocess("run", "-e", "mf", "--metrics-file", "m.json", "train.py", cwd=repo.path, timeout=60)
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, f"exit {proc.returncode}: {stderr[:600]}"
    assert "a\\x00b" in stderr or "a\\u0000b" in stderr, stderr[:600]  # the warning names the key
    listing = gx_subprocess("ls", "mf", "--json", cwd=repo.path, timeout=60)
    assert listing.returncode == 0, listing.stderr.decode()[:600]
    (run,) = json.loads(listing.stdout)
    assert run["status"] == "FINISHED" and run["metrics"] == {"rmse": 0.5}
    assert len(run_commits(repo, "refs/experiments/mf")) == 1
    repo.fsck()
