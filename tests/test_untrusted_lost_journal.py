"""Issue 8, 'Nothing lost': journals of runs under ``.git/gx/runs/<run_id>/`` that are unreadable,
hold entries of the wrong type, or vanish while the run is live.

Dead runs are made by a child that logs and dies without ending its run (``os._exit``, as after
SIGKILL); the journal is then damaged on disk in the documented format (docs/format.md).
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import gx_subprocess
from untrusted_lost_support import (
    backdate,
    child,
    dead_run,
    files_containing,
    metric_history,
    run_commits,
)

VALID_LOSSES = [1.0 / (step + 1) for step in range(5)]


def kept_and_said_where(repo, err: str, run_id: str, content: bytes) -> list[str]:
    """Problems, if any, with 'the journal is kept aside with a message saying where'."""
    problems = []
    kept = files_containing(repo.path, content)
    if not kept:
        problems.append("the journal's content is nowhere in the repository any more (deleted)")
    if run_id[:8] not in err:
        problems.append(f"no message names run {run_id[:8]}: stderr {err!r}")
    places = {str(p.relative_to(repo.path)) for f in kept for p in [f, *f.parents]
              if repo.path in p.parents and len(p.relative_to(repo.path).parts) >= 3}
    places |= {str(repo.path / p) for p in places}
    if kept and not any(place in err for place in places):
        problems.append(f"stderr does not say where the journal is kept ({sorted(places)}): {err!r}")
    return problems


@pytest.mark.parametrize("damage", ["truncated", "not-utf8", "directory", "json-list", "missing-keys"])
def test_unreadable_meta_json_is_kept_aside_not_deleted(repo, damage):
    """Finding 'an unreadable meta.json makes the next command delete the run's journal after 60 s':
    a dead run whose meta.json is damaged (and whose files are older than the 60 s grace) is not
    deleted by the next gx commands, they do not exit 3, and a message names the run and says
    where its journal was kept."""
    run_id, run_dir = dead_run(repo.path)
    [segment] = sorted(run_dir.glob("journal-*.jsonl"))
    content = segment.read_bytes()
    meta = run_dir / "meta.json"
    if damage == "directory":
        meta.unlink()
        meta.mkdir()
    else:
        meta.write_bytes({"truncated": b'{"run_id": "' + run_id.encode() + b'", "experi',
                          "not-utf8": b"\xff\xfe\x00\x81 not json",
                          "json-list": b'["not", "a", "mapping"]',
                          "missing-keys": json.dumps({"run_id": 5}).encode()}[damage])
    backdate(run_dir, 600)
    problems, err = [], ""
    for attempt in range(2):
        proc = gx_subprocess("ls", cwd=repo.path, timeout=30)
        err += proc.stderr.decode()
        if proc.returncode != 0 or "Traceback" in err:
            problems.append(f"gx ls #{attempt + 1} exited {proc.returncode}: {proc.stderr.decode()!r}")
    problems += kept_and_said_where(repo, err, run_id, content)
    assert not problems, "\n".join(problems)


BAD_LINES = {
    "string-value": ["m", "loss", "notanumber", 5, 1700000000.0],
    "list-value": ["m", "loss", [1, 2], 6, 1700000000.0],
    "huge-int-value": ["m", "loss", 10**400, 7, 1700000000.0],
    "string-step": ["m", "loss", 0.5, "seven", 1700000000.0],
    "short-metric": ["m", "loss", 0.5],
    "list-param-key": ["p", ["alpha"], 1],
    "short-end": ["e"],
    "name-not-string": ["n", {"x": 1}],
}


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_wrong_type_journal_entry_does_not_lock_everyone_out(repo, kind):
    """Finding 'a journal entry of the wrong type leaves a run that can never be recorded, and
    every later command exits 3': a dead run whose journal has one entry of the wrong type (one
    flush line, in the documented array format) is recorded with what is valid, or set aside with
    a message; gx ls and gx experiments keep working, every time."""
    run_id, run_dir = dead_run(repo.path)
    [segment] = sorted(run_dir.glob("journal-*.jsonl"))
    with segment.open("ab") as fh:
        fh.write((json.dumps([BAD_LINES[kind]]) + "\n").encode())
    content = segment.read_bytes()
    problems, err = [], ""
    for args in (["ls"], ["ls"], ["experiments"]):
        proc = gx_subprocess(*args, cwd=repo.path, timeout=30)
        err += proc.stderr.decode()
        if proc.returncode != 0 or "Traceback" in proc.stderr.decode():
            problems.append(f"gx {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()!r}")
    commits = run_commits(repo.path, "dead")
    if commits:
        assert [rid for _, rid in commits] == [run_id], commits
        losses = metric_history(repo.path, commits[0][0], "loss")
        if not set(VALID_LOSSES) <= set(losses):
            problems.append(f"the run was recorded without its valid metric values: {losses}")
    else:
        problems += kept_and_said_where(repo, err, run_id, content)
    assert not problems, "\n".join(problems)


def test_journal_removed_during_run_is_reported(repo):
    """Finding '`rm -rf .git/gx` during a run loses it silently' (Python API): the run's end either
    records the run from memory or says on stderr that its journal vanished."""
    proc = child("""
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
    """, cwd=repo.path)
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "Traceback" not in err, err
    run_id = proc.stdout.decode().split()[0]
    commits = run_commits(repo.path, "gone")
    recorded = [c for c, rid in commits if rid == run_id]
    said = re.search(rf"^gx: .*{run_id[:8]}", err, re.M)
    assert recorded or said, f"run {run_id[:8]} was neither recorded nor reported; stderr {err!r}"
    if recorded:
        assert metric_history(repo.path, recorded[0], "loss") == [float(i) for i in range(20)]


def test_journal_removed_during_gx_run_is_reported(repo):
    """Same finding through `gx run`: the script's run directory vanishes mid-run; gx run neither
    crashes (exit 3, traceback) nor stays silent: the run is recorded, or stderr names it."""
    repo.write("train.py", """
import os, shutil, time, gx
print(os.environ["GX_RUN_ID"], flush=True)
gx.log_metric("loss", 1.0)
time.sleep(0.7)
shutil.rmtree(".git/gx")
gx.log_metric("loss", 2.0)
""")
    proc = gx_subprocess("run", "-e", "gone", "train.py", cwd=repo.path, timeout=30)
    err = proc.stderr.decode()
    run_id = proc.stdout.decode().split()[0]
    assert proc.returncode != 3 and "Traceback" not in err and "internal error" not in err, err
    recorded = [c for c, rid in run_commits(repo.path, "gone") if rid == run_id]
    said = re.search(rf"^gx: .*{run_id[:8]}.*(journal|vanish|missing|removed|deleted|lost)", err, re.M | re.I)
    assert recorded or said, f"run {run_id[:8]} was neither recorded nor reported; stderr {err!r}"
    if recorded:
        assert metric_history(repo.path, recorded[0], "loss") == [1.0, 2.0]
