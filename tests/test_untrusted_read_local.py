"""Issue 8, untrusted input on the read side: a poisoned index cache, a tombstone from the future, and
a run too big to list. The data is written with git plumbing or sqlite3 directly (hostile.py), never
through gx's own writer.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time

import pytest

import hostile

# -- the index cache: valid SQLite, garbage payloads ------------------------------------------------
GARBAGE = {
    "binary": b"\xff\x00garbage\x80",
    "json-scalar": b"7",  # valid JSON and a valid-looking scalar, the wrong shape for any payload
    "marshal-none": b"N",  # marshal's None: loads fine, unpacks to nothing
}


def corrupt_payloads(index_path, garbage: bytes) -> list[str]:
    """Overwrite every BLOB column of every table (the encoded summaries) with ``garbage``."""
    conn = sqlite3.connect(str(index_path))
    done = []
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for _cid, column, decl, *_ in conn.execute(f"PRAGMA table_info({table})").fetchall():
                if decl.upper() == "BLOB":
                    conn.execute(f"UPDATE {table} SET {column} = ?", (garbage,))  # noqa: S608
                    done.append(f"{table}.{column}")
        conn.commit()
    finally:
        conn.close()
    return done


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_index_with_garbage_payloads_is_rebuilt(repo, garbage):
    """Finding: an index file with valid SQLite structure but garbage payloads makes gx ls and
    gx best exit 3 until someone deletes .git/gx/index.sqlite by hand. The index is only a cache:
    it must be rebuilt from the refs and the right runs listed."""
    ids = {name: hostile.add_run(repo.path, "shared", name=name, metrics={"rmse": rmse})
           for name, rmse in (("first", 0.9), ("second", 0.3), ("third", 0.6))}
    warm = hostile.gx("ls", cwd=repo.path)
    assert warm.returncode == 0, warm.stderr.decode()
    index = repo.path / ".git" / "gx" / "index.sqlite"
    assert index.is_file(), "gx ls no longer writes .git/gx/index.sqlite; adapt this test to the new cache"
    corrupted = corrupt_payloads(index, GARBAGE[garbage])
    assert corrupted, "the index has no BLOB payload columns any more; adapt corrupt_payloads()"

    listed = hostile.gx("ls", cwd=repo.path)
    assert listed.returncode == 0, f"gx ls exit {listed.returncode}: {listed.stderr.decode().strip()}"
    out = listed.stdout.decode()
    for name, run_id in ids.items():
        line = next((line for line in out.splitlines() if line.startswith(run_id[:8])), None)
        assert line is not None and name in line, f"run {run_id[:8]} ({name}) not listed right:\n{out}"
    assert hostile.gx("ls", cwd=repo.path).returncode == 0  # builds the index again
    assert corrupt_payloads(index, GARBAGE[garbage])  # and damage it again, now for gx best to meet first
    best = hostile.gx("best", "rmse", cwd=repo.path)
    assert best.returncode == 0, f"gx best exit {best.returncode}: {best.stderr.decode().strip()}"
    assert ids["second"] in best.stdout.decode(), best.stdout.decode()


# -- a delete tombstone dated in the future ----------------------------------------------------------
FUTURE = 10 * 365 * 86400  # a teammate whose clock is ten years ahead


def check_restore(where, run_id: str, name: str) -> None:
    """gx restore must make the run visible again, or say (exit 1, one line) why it cannot."""
    hidden = hostile.gx("ls", cwd=where)
    assert hidden.returncode == 0, hidden.stderr.decode()
    assert run_id[:8] not in hidden.stdout.decode(), "the tombstone did not hide the run to begin with"
    restored = hostile.gx("restore", run_id[:8], cwd=where)
    err = restored.stderr.decode()
    if restored.returncode == 0:
        listed = hostile.gx("ls", cwd=where)
        assert listed.returncode == 0, listed.stderr.decode()
        assert run_id[:8] in listed.stdout.decode(), (
            f"gx restore said {restored.stdout.decode().strip()!r} but run {run_id[:8]} ({name}) is still hidden")
    else:
        lines = [line for line in err.splitlines() if line.strip()]
        assert restored.returncode == 1 and len(lines) == 1 and lines[0].startswith("gx: error: "), err


def test_restore_after_a_local_tombstone_dated_in_the_future(repo):
    """Finding: a delete tombstone whose Gx-Time is in the future hides the run for good, and
    gx restore prints 'restored' while the run stays hidden."""
    hostile.add_run(repo.path, "shared", name="keep")
    run_id = hostile.add_run(repo.path, "shared", name="victim")
    hostile.add_tombstone(repo.path, "shared", run_id, "delete", when=time.time() + FUTURE, name="victim")
    check_restore(repo.path, run_id, "victim")


def test_restore_after_a_fetched_tombstone_dated_in_the_future(tmp_path):
    """Finding: the same, when the tombstone comes from a teammate with a clock ten years ahead
    through gx remote setup and a plain git fetch."""
    t = hostile.make_team(tmp_path)
    hostile.add_run(t.mate, "shared", name="keep")
    run_id = hostile.add_run(t.mate, "shared", name="victim")
    hostile.add_tombstone(t.mate, "shared", run_id, "delete", when=time.time() + FUTURE, name="victim")
    hostile.push_experiments(t.mate)
    assert hostile.gx("remote", "setup", cwd=t.victim).returncode == 0
    hostile.git(t.victim, "fetch", "-q")
    check_restore(t.victim, run_id, "victim")


# -- a run with 200k metric keys ----------------------------------------------------------------------
def test_ls_with_a_fetched_run_of_200k_metric_keys_is_bounded(tmp_path):
    """Finding: a run with 200k metric keys, fetched from a teammate, makes gx ls take minutes
    (196 s measured). It must finish well under 10 s, listing the run or warning that it exceeds a limit."""
    t = hostile.make_team(tmp_path)
    good = hostile.add_run(t.mate, "shared", name="good1")
    wide = hostile.add_run_with_many_metrics(t.mate, "shared", 200_000)
    hostile.push_experiments(t.mate)
    own = hostile.add_run(t.victim, "mine", name="own1")
    assert hostile.gx("remote", "setup", cwd=t.victim).returncode == 0
    hostile.git(t.victim, "fetch", "-q")
    started = time.monotonic()
    try:
        proc = hostile.gx("ls", cwd=t.victim, timeout=10)
    except subprocess.TimeoutExpired as exc:  # subprocess.run killed the child
        raise AssertionError(f"gx ls did not finish within 10 s ({type(exc).__name__})") from None
    elapsed = time.monotonic() - started
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err
    assert good[:8] in out and own[:8] in out, out[:500]
    warned = any(wide[:8] in line for line in err.splitlines())
    assert wide[:8] in out or warned, f"the wide run {wide[:8]} is neither listed nor reported: {err[:300]}"
    assert elapsed < 10

