"""Issue 8, 'Nothing lost': a full disk, simulated with a real small tmpfs.

A tmpfs is mounted over ``.git/gx`` (where live runs journal) or over ``.git/objects`` (where the
commit is written) and filled to the last byte, so writes fail with a real ENOSPC. Skipped where
``mount`` is not allowed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import threading

from conftest import gx_subprocess
from untrusted_lost_support import FILL_SOURCE, fill, metric_history, run_commits, tmpfs

#: A line on stderr that says the journal could not be written / data was lost.
REPORTED = re.compile(r"^gx: .*(lost|not (be )?(saved|written|recorded)|no space|disk|journal)", re.I | re.M)

LOG_THROUGH_FULL_DISK = FILL_SOURCE + """
import os, sys, time, gx
gx.set_experiment("full")
run = gx.start_run(run_name="r")
for i in range(100):
    gx.log_metric("loss", float(i), step=i)
time.sleep(0.7)                      # flushed to the journal
fill(".git/gx/filler")               # the disk is full now
for i in range(100, 300):            # ~8 KiB of journal: more than a tmpfs page
    gx.log_metric("loss", float(i), step=i)
time.sleep(0.8)                      # the flusher meets ENOSPC
os.remove(".git/gx/filler")          # space again
for i in range(300, 400):
    gx.log_metric("loss", float(i), step=i)
"""


def recorded_losses(repo) -> list[float]:
    commits = run_commits(repo.path, "full")
    return metric_history(repo.path, commits[0][0], "loss") if commits else []


def test_journal_write_on_full_disk_is_kept_and_reported(repo):
    """Finding 'a failed journal write (disk full) drops that batch and stops the flush thread
    without a word': the failure is reported, and after space is freed and the run ends normally,
    the run holds all 400 values. The training code sees no exception."""
    with tmpfs(repo.path / ".git" / "gx", "2m"):
        code = LOG_THROUGH_FULL_DISK + "gx.end_run()\nprint('ended', flush=True)\n"
        proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True, timeout=30)
        err = proc.stderr.decode()
        assert proc.returncode == 0 and b"ended" in proc.stdout and "Traceback" not in err, err
        later = gx_subprocess("ls", cwd=repo.path, timeout=30)  # records it if the end could not
        assert later.returncode == 0, later.stderr.decode()
        losses = recorded_losses(repo)
    assert REPORTED.search(err), f"the failed journal write was not reported; child stderr: {err!r}"
    assert losses == [float(i) for i in range(400)], (
        f"{400 - len(losses)} of 400 logged values were lost; child stderr: {err!r}"
    )


def test_flushing_resumes_after_disk_full(repo):
    """Finding 'the flush thread must not die silently': once space is back, what was logged
    reaches the journal within the documented flush interval, so a crash (SIGKILL) 1.5 s later
    loses nothing; and the process said on stderr that the journal could not be written."""
    with tmpfs(repo.path / ".git" / "gx", "2m"):
        code = LOG_THROUGH_FULL_DISK + textwrap.dedent("""
            time.sleep(1.5)                  # three flush intervals with free space
            print("ready", flush=True)
            time.sleep(60)
        """)
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=repo.path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        watchdog = threading.Timer(20, proc.kill)  # a hang becomes a failure, not a stuck suite
        watchdog.start()
        try:
            line = proc.stdout.readline()
        finally:
            watchdog.cancel()
            proc.send_signal(signal.SIGKILL)
            _, err_bytes = proc.communicate(timeout=20)
        err = err_bytes.decode()
        assert line == b"ready\n", err
        later = gx_subprocess("ls", cwd=repo.path, timeout=30)  # recovers the killed run
        assert later.returncode == 0, later.stderr.decode()
        losses = recorded_losses(repo)
    assert REPORTED.search(err), f"the failed journal write was not reported; child stderr: {err!r}"
    assert losses == [float(i) for i in range(400)], (
        f"the journal holds {len(losses)} of 400 values 1.5 s after space came back (the flusher "
        f"stopped at the first ENOSPC); child stderr: {err!r}"
    )


def test_disk_full_at_commit_leaves_no_lock_and_gx_run_says_so(repo):
    """Finding 'disk full leaves a stale .git/objects/xx/*.lock that makes every command exit 3,
    while gx run still reports "recorded run"': with .git/objects full when the run is committed,
    gx run exits non-zero with a message instead of 'recorded run', leaves no *.lock under
    .git/objects, and once space is freed later commands work and record the run."""
    objects = repo.path / ".git" / "objects"
    repo.write("train.py", "import gx\nfor i in range(20):\n    gx.log_metric('loss', float(i), step=i)\n")
    problems = []
    with tmpfs(objects, "4m"):
        filler = objects / "info" / "filler"
        fill(filler)
        proc = gx_subprocess("run", "-e", "full", "train.py", cwd=repo.path, timeout=30)
        err = proc.stderr.decode()
        if "Traceback" in err:
            problems.append(f"gx run printed a traceback: {err!r}")
        if proc.returncode == 0 or "gx: recorded run" in err:
            problems.append(f"the commit failed, yet gx run exited {proc.returncode} and/or claimed 'recorded run': {err!r}")
        stale = sorted(str(p.relative_to(repo.path)) for p in objects.rglob("*.lock"))
        if stale:
            problems.append(f"stale lock files after gx run: {stale}")
        filler.unlink()
        for attempt in range(2):
            later = gx_subprocess("ls", cwd=repo.path, timeout=30)
            if later.returncode != 0:
                problems.append(f"gx ls #{attempt + 1} after freeing space exited {later.returncode}: "
                                f"{later.stderr.decode()!r}")
        stale = sorted(str(p.relative_to(repo.path)) for p in objects.rglob("*.lock"))
        if stale:
            problems.append(f"stale lock files after later commands: {stale}")
        commits = run_commits(repo.path, "full")
        if len(commits) != 1 or metric_history(repo.path, commits[0][0], "loss") != [float(i) for i in range(20)]:
            problems.append(f"after space was freed the run is not recorded once with its 20 values: {commits}")
        fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo.path, capture_output=True,
                              timeout=30)
        if fsck.returncode != 0:
            problems.append(f"git fsck: {fsck.stderr.decode()}")
    assert not problems, "\n".join(problems)
