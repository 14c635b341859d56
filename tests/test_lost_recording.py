"""Nothing lost, beyond the issue-8 findings: full refs, stale locks, partly invalid journals kept
aside, recovery in a read-only repository, and exactly-once recording without the 'recovering'
marker. Real filesystems (tmpfs, chmod without CAP_DAC_OVERRIDE) and the real git binary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import gx_subprocess
from test_untrusted_lost_readonly import read_only_git
from untrusted_lost_support import backdate, dead_run, fill, metric_history, run_commits, tmpfs

LOSSES = [1.0 / (step + 1) for step in range(5)]


def lost_dirs(repo) -> list:
    lost = repo.path / ".git" / "gx" / "lost"
    return sorted(lost.iterdir()) if lost.is_dir() else []


def test_full_disk_when_the_ref_moves_leaves_no_lock_and_records_later(repo):
    """The objects are written but the ref's own file cannot be: gx run exits 1 with one message,
    no .lock is left under .git/refs (dulwich would keep it and wedge the experiment), and once
    there is space the next command records the run exactly once."""
    refs = repo.path / ".git" / "refs" / "experiments"
    refs.mkdir(parents=True, exist_ok=True)
    repo.write("train.py", "import gx\nfor i in range(5):\n    gx.log_metric('loss', float(i), step=i)\n")
    with tmpfs(refs, "64k"):
        filler = refs / ".filler"
        fill(filler)
        proc = gx_subprocess("run", "-e", "full", "train.py", cwd=repo.path, timeout=30)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and "Traceback" not in err and "gx: recorded run" not in err, err
        assert "could not record run" in err and "No space left on device" in err, err
        assert not list((repo.path / ".git" / "refs").rglob("*.lock"))
        filler.unlink()
        later = gx_subprocess("ls", cwd=repo.path, timeout=30)
        assert later.returncode == 0, later.stderr.decode()
        [(commit, _)] = run_commits(repo.path, "full")
        assert metric_history(repo.path, commit, "loss") == [0.0, 1.0, 2.0, 3.0, 4.0]
    repo.fsck()


def test_stale_ref_lock_is_named_at_once(repo):
    """A ref lock left by a process that died (power loss) is named in one message, at once, not
    after a minute of retries; the run's journal stays for the next command."""
    repo.write("train.py", "import gx\ngx.log_metric('loss', 1.0)\n")
    assert gx_subprocess("run", "-e", "locked", "train.py", cwd=repo.path).returncode == 0
    lock = repo.path / ".git" / "refs" / "experiments" / "locked.lock"
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    started = time.monotonic()
    proc = gx_subprocess("run", "-e", "locked", "train.py", cwd=repo.path, timeout=50)
    err = proc.stderr.decode()
    assert time.monotonic() - started < 20, "waited for a lock nobody holds"
    assert proc.returncode == 1 and str(lock.relative_to(repo.path)) in err and "remove it" in err, err
    lock.unlink()
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    assert len(run_commits(repo.path, "locked")) == 2


def test_partly_invalid_journal_is_recorded_and_kept_aside_with_reasons(repo):
    """meta.json with a bad field and a segment that is a directory: the run is recorded with all
    that is valid, and its whole journal is moved to .git/gx/lost/<run_id>/ with REASONS.txt."""
    run_id, run_dir = dead_run(repo.path)
    meta = json.loads((run_dir / "meta.json").read_text())
    meta["start_time"] = "yesterday"
    (run_dir / "meta.json").write_text(json.dumps(meta))
    (run_dir / "journal-1.jsonl").mkdir()
    [segment] = [p for p in run_dir.glob("journal-*.jsonl") if p.is_file()]
    content = segment.read_bytes()
    proc = gx_subprocess("ls", cwd=repo.path)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    [(commit, recorded)] = run_commits(repo.path, "dead")
    assert recorded == run_id and metric_history(repo.path, commit, "loss") == LOSSES
    [kept] = lost_dirs(repo)
    assert kept.name == run_id and not run_dir.exists() and (kept / segment.name).read_bytes() == content
    reasons = (kept / "REASONS.txt").read_text()
    assert "start time 'yesterday'" in reasons and "journal-1.jsonl" in reasons, reasons
    assert f"recorded run {run_id[:8]}, but left out 2 parts" in err and f".git/gx/lost/{run_id}" in err, err
    assert gx_subprocess("ls", cwd=repo.path).stderr.decode() == ""  # said once; nothing recorded twice
    assert len(run_commits(repo.path, "dead")) == 1
    repo.fsck()


def test_set_aside_journal_moved_back_after_repair_is_recorded(repo):
    """What docs/format.md tells the user to do with an unrecordable journal works: repair
    meta.json, move the directory back under .git/gx/runs/, and the next command records it."""
    run_id, run_dir = dead_run(repo.path)
    meta = (run_dir / "meta.json").read_bytes()
    (run_dir / "meta.json").write_bytes(meta[:20])
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    [kept] = lost_dirs(repo)
    (kept / "meta.json").write_bytes(meta)
    kept.rename(run_dir)
    proc = gx_subprocess("ls", cwd=repo.path)
    assert proc.returncode == 0 and f"recorded interrupted run {run_id[:8]}" in proc.stderr.decode()
    [(commit, _)] = run_commits(repo.path, "dead")
    assert metric_history(repo.path, commit, "loss") == LOSSES


def test_dead_run_in_read_only_repository_is_reported_once_and_kept(repo):
    """Recovery in a .git the user may not write: gx ls still lists runs (exit 0), says once that
    the interrupted run cannot be recorded yet, and the run is recorded once .git is writable."""
    run_id, run_dir = dead_run(repo.path)
    with read_only_git(repo, "no-dac") as (cwd, prefix):
        proc = subprocess.run([*prefix, sys.executable, "-m", "gx", "ls"], cwd=cwd, capture_output=True, timeout=30)
    err = proc.stderr.decode()
    said = [line for line in err.splitlines() if line.startswith("gx:")]
    assert proc.returncode == 0 and len(said) == 1 and "Permission denied" in said[0], err
    assert run_dir.is_dir() and not run_commits(repo.path, "dead")
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    assert [rid for _, rid in run_commits(repo.path, "dead")] == [run_id]


def test_recorded_run_left_behind_without_marker_is_not_recorded_twice(repo):
    """The crash window between moving the ref and removing the journal, when the disk refused the
    'recovering' marker: recovery finds the run on the experiment and does not record it again."""
    run_id, run_dir = dead_run(repo.path)
    saved = {p.relative_to(run_dir): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    for rel, content in saved.items():
        (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / rel).write_bytes(content)
    assert b"recovering" not in saved[next(p for p in saved if p.name == "meta.json")]
    backdate(run_dir)
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    assert [rid for _, rid in run_commits(repo.path, "dead")] == [run_id]
    assert not run_dir.exists()


def test_gx_run_with_an_invalid_entry_records_the_rest_and_says_so(repo):
    """The child writes an entry of the wrong type into its journal: gx run records the valid part,
    names the set-aside journal, exits with the child's status, and does not also claim it could
    not record the run."""
    repo.write("train.py", """
import json, os, time, gx
gx.log_metric("loss", 0.5, step=0)
with open(os.path.join(os.environ["GX_RUN_DIR"], "journal-1.jsonl"), "w") as fh:
    fh.write(json.dumps([["m", "loss", "high", 1, time.time()]]) + "\\n")
""")
    proc = gx_subprocess("run", "-e", "mixed", "train.py", cwd=repo.path)
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "could not record" not in err and "Traceback" not in err, err
    assert "left out 1 part" in err and ".git/gx/lost/" in err and "gx: recorded run" in err, err
    [(commit, _)] = run_commits(repo.path, "mixed")
    assert metric_history(repo.path, commit, "loss") == [0.5]


def test_journal_removed_during_run_is_written_back_and_recorded(repo):
    """`rm -rf .git/gx` while a run logs: the process writes its journal back from the segment it
    still holds open, says so, and the run is recorded with every value, exactly once."""
    repo.write("train.py", """
import shutil, time, gx
gx.set_experiment("gone")
with gx.start_run(run_name="r") as run:
    print(run.info.run_id, flush=True)
    for i in range(10):
        gx.log_metric("loss", float(i), step=i)
    time.sleep(0.7)
    shutil.rmtree(".git/gx")
    for i in range(10, 20):
        gx.log_metric("loss", float(i), step=i)
    time.sleep(1.2)  # the flusher notices, waits a round, and writes the journal back
""")
    proc = subprocess.run([sys.executable, "train.py"], cwd=repo.path, capture_output=True, timeout=30)
    err = proc.stderr.decode()
    run_id = proc.stdout.decode().split()[0]
    assert proc.returncode == 0 and f"journal of run {run_id[:8]} was removed" in err and "wrote back" in err, err
    [(commit, recorded)] = run_commits(repo.path, "gone")
    assert recorded == run_id and metric_history(repo.path, commit, "loss") == [float(i) for i in range(20)]
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0 and len(run_commits(repo.path, "gone")) == 1


def test_run_the_store_refuses_is_set_aside_not_retried_forever(repo):
    """A dead run whose experiment clashes with one made meanwhile ('x/y' beside 'x', as two
    processes starting at once can do) can never be written: it is set aside with the store's
    reason, once, instead of failing on every command."""
    repo.write("train.py", "import gx\ngx.log_metric('loss', 1.0)\n")
    assert gx_subprocess("run", "-e", "x", "train.py", cwd=repo.path).returncode == 0
    run_id, run_dir = dead_run(repo.path)
    meta = json.loads((run_dir / "meta.json").read_text())
    (run_dir / "meta.json").write_text(json.dumps({**meta, "experiment": "x/y"}))
    proc = gx_subprocess("ls", cwd=repo.path)
    err = proc.stderr.decode()
    assert proc.returncode == 0 and f"cannot record run {run_id[:8]}: gx refuses to write it" in err, err
    assert "clashes" in err and f".git/gx/lost/{run_id}" in err, err
    [kept] = lost_dirs(repo)
    assert kept.name == run_id and not run_dir.exists()
    assert gx_subprocess("ls", cwd=repo.path).stderr.decode() == ""
