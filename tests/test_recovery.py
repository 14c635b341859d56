"""Runs whose process died are recorded by the next gx command, exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import gx.query.runs
from conftest import gx_subprocess

SCRIPT = """
import os, sys, time, gx
gx.set_experiment('crash')
with gx.start_run(run_name='doomed'):
    gx.log_param('alpha', 0.5)
    for step in range(5):
        gx.log_metric('loss', 1.0 / (step + 1), step=step)
    print('logged', flush=True)
    time.sleep(60)
"""


def recorded_run_ids(repo) -> list[str]:
    """Every Gx-Run trailer of a run commit on the experiment, duplicates kept."""
    ids = []
    for message in repo.git("log", "--format=%x01%B", "refs/experiments/crash").split("\x01")[1:]:
        trailers = dict(line.split(": ", 1) for line in message.splitlines() if line.startswith("Gx-"))
        if trailers.get("Gx-Kind") == "run":
            ids.append(trailers["Gx-Run"])
    return ids


def start_and_kill(repo) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=repo.path, stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"logged\n"
    time.sleep(1.2)  # everything logged more than a second before the crash must survive
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_sigkilled_run_is_recovered_by_next_command(repo):
    start_and_kill(repo)
    assert repo.git("for-each-ref", "refs/experiments") == ""
    proc = gx_subprocess("ls", "--json", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "recorded interrupted run" in proc.stderr.decode()
    [run] = gx.query.runs.list_runs()
    assert run.status == "KILLED" and run.name == "doomed" and run.params == {"alpha": 0.5}
    rec = gx.query.runs.get_record(run.run_id)
    assert [p.value for p in rec.metrics["loss"]] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert not any((repo.path / ".git" / "gx" / "runs").iterdir())
    # a second command records nothing more: exactly once, counted from the ref's trailers
    gx_subprocess("ls", cwd=repo.path)
    assert recorded_run_ids(repo) == [run.run_id]
    repo.fsck()


def test_live_run_is_not_recovered(repo):
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=repo.path, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"logged\n"
        assert gx_subprocess("ls", cwd=repo.path).returncode == 0
        assert repo.git("for-each-ref", "refs/experiments") == ""
    finally:
        proc.kill()
        proc.wait()


def test_crash_after_commit_before_cleanup_is_not_duplicated(repo):
    """The journal survives but the run is already on the ref: recovery must not add it twice."""
    from gx.paths import find_repo
    from gx.tracking import finalize, journal

    start_and_kill(repo)
    paths = find_repo()
    [run_dir] = list(paths.runs_dir.iterdir())
    meta = journal.read_meta(run_dir)
    journal.write_json_atomic(run_dir / journal.META_FILE, {**meta, "recovering": True})
    snapshot = {p.name: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    finalize.recover_dead_runs(paths)
    # put the journal back as if we had crashed between moving the ref and removing the dir
    run_dir.mkdir(parents=True)
    (run_dir / journal.ARTIFACTS).mkdir()
    for name, content in snapshot.items():
        (run_dir / name).write_bytes(content)
    finalize.recover_dead_runs(paths)
    assert len(recorded_run_ids(repo)) == 1  # list_runs would hide a duplicate: it keeps one per id
    assert not run_dir.exists()
