"""Issue 8, "tests that let this through": guards that count runs from the refs themselves.

The older tests count runs through ``gx.list_runs()``, which first records leftover journals
(recovery) and collapses a run id seen twice, so a lost compare-and-swap update or a run recorded
twice stays invisible. These count commits and ``Gx-Run`` trailers with plain git, and run no gx
command before counting.
"""

from __future__ import annotations

import collections
import json
import shutil
import signal
import subprocess
import sys
import time

import hostile
from conftest import Repo, make_repo

WORKER = """
import sys, time, gx
worker, runs, start_at = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
gx.set_experiment('shared')
while time.time() < start_at:  # every worker starts at once: the ref is contended
    time.sleep(0.001)
for i in range(runs):
    with gx.start_run(run_name=f'w{worker}-{i}') as run:
        gx.log_param('worker', worker)
        gx.log_metric('score', worker * 1000 + i)
    print(run.info.run_id, flush=True)
"""


def test_concurrent_writers_each_run_lands_once_counted_from_the_refs(repo):
    """Finding: the concurrency test counts runs through list_runs(), which recovers leftover journals,
    so removing the CAS retry entirely still passes. Here every run must be on the ref when its own
    process exits: counted from git, with no gx command run first, and no journal left behind."""
    workers, per_worker = 6, 12
    start_at = time.time() + 0.8
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), str(per_worker), str(start_at)], cwd=repo.path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(workers)]
    ids, errors = [], []
    for p in procs:
        out, err = p.communicate(timeout=60)
        ids += out.decode().split()
        if p.returncode != 0 or err.strip():
            errors.append(f"worker exit {p.returncode}: {err.decode().strip()[-300:]}")
    assert len(ids) == workers * per_worker, errors
    # no gx command from here on: what the writers left on the ref is all there is
    first_parent = int(repo.git("rev-list", "--first-parent", "--count", "refs/experiments/shared"))
    trailers = collections.Counter(hostile.run_trailers(repo.path, "refs/experiments/shared"))
    missing = sorted(set(ids) - set(trailers))
    twice = sorted(i for i, n in trailers.items() if n > 1)
    leftovers = sorted(p.name for p in (repo.path / ".git" / "gx" / "runs").glob("*")) \
        if (repo.path / ".git" / "gx" / "runs").is_dir() else []
    assert not missing and not twice, (
        f"{len(missing)} runs not on refs/experiments/shared, {len(twice)} recorded twice; "
        f"journals left for recovery: {len(leftovers)}; worker errors: {errors[:3]}")
    assert first_parent == workers * per_worker + 1, first_parent  # + the experiment's root
    assert not leftovers, f"journals left for a later command to record: {leftovers}"
    assert not errors, errors
    repo.fsck()


DOOMED = """
import time, gx
gx.set_experiment('crash')
with gx.start_run(run_name='doomed') as run:
    gx.log_param('alpha', 0.5)
    gx.log_metric('loss', 0.25)
    print(run.info.run_id, flush=True)
    time.sleep(60)
"""


def kill_a_run(repo: Repo) -> str:
    proc = subprocess.Popen([sys.executable, "-c", DOOMED], cwd=repo.path, stdout=subprocess.PIPE)
    try:
        run_id = proc.stdout.readline().decode().strip()
        time.sleep(0.8)  # the journal is flushed at least every 0.5 s
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    assert len(run_id) == 32, run_id
    return run_id


def test_sigkilled_run_is_recorded_exactly_once_counted_from_trailers(repo):
    """Finding: the recovery test cannot see a run recorded twice (list_runs() collapses duplicate ids).
    After a SIGKILL, two gx ls must leave exactly one commit with that Gx-Run on the experiment."""
    run_id = kill_a_run(repo)
    for _ in range(2):
        proc = hostile.gx("ls", cwd=repo.path)
        assert proc.returncode == 0, proc.stderr.decode()
    assert hostile.run_trailers(repo.path, "refs/experiments/crash") == [run_id]
    repo.fsck()


def test_crash_between_ref_update_and_journal_removal_is_not_recorded_twice(repo):
    """Finding: the same, when recovery itself dies after moving the ref but before deleting the journal
    (docs/format.md: meta.json is marked 'recovering' first). The next gx command must not add the run
    again; counted from the Gx-Run trailers, which list_runs() would hide."""
    run_id = kill_a_run(repo)
    run_dir = repo.path / ".git" / "gx" / "runs" / run_id
    assert (run_dir / "meta.json").is_file(), "the live run's journal is no longer at .git/gx/runs/<id>/"
    saved = repo.path.parent / "saved-journal"
    shutil.copytree(run_dir, saved)
    meta = json.loads((saved / "meta.json").read_text())
    (saved / "meta.json").write_text(json.dumps({**meta, "recovering": True}))
    assert hostile.gx("ls", cwd=repo.path).returncode == 0  # recovery records the run
    assert hostile.run_trailers(repo.path, "refs/experiments/crash") == [run_id]
    shutil.copytree(saved, run_dir, dirs_exist_ok=True)  # as if it had died before removing the journal
    proc = hostile.gx("ls", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert hostile.run_trailers(repo.path, "refs/experiments/crash") == [run_id], "the run was recorded twice"
    assert not run_dir.exists()
    repo.fsck()


def test_push_when_the_remotes_diverged_tip_is_already_local_keeps_both_sides(tmp_path):
    """Finding: no test pushes when the remote's diverged tip is already in the local object store
    (a plain git fetch brought it); there a one-line change overwrites the remote ref and deletes a
    teammate's runs while the suite stays green. Counted from the remote's refs."""
    remote = tmp_path / "remote.git"
    hostile.git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    a = make_repo(tmp_path / "a")
    a.git("remote", "add", "origin", str(remote))
    a.git("push", "-q", "origin", "main")
    hostile.git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "b"))
    b = Repo(tmp_path / "b")
    a_runs = [hostile.add_run(a.path, "shared", name=f"a{i}") for i in range(2)]
    b_runs = [hostile.add_run(b.path, "shared", name=f"b{i}") for i in range(2)]
    pushed = hostile.gx("push", cwd=a.path)
    assert pushed.returncode == 0, pushed.stderr.decode()
    # B fetches A's tip into its object store (remote-tracking ref), without merging it
    assert hostile.gx("remote", "setup", cwd=b.path).returncode == 0
    b.git("fetch", "-q", "origin")
    a_tip = hostile.rev(remote, "refs/experiments/shared")
    assert hostile.rev(b.path, "refs/remotes/origin/experiments/shared") == a_tip
    assert not hostile.is_ancestor(b.path, a_tip, "refs/experiments/shared")  # diverged, not merged
    pushed = hostile.gx("push", cwd=b.path)
    assert pushed.returncode == 0, pushed.stderr.decode()
    on_remote = collections.Counter(hostile.run_trailers(remote, "refs/experiments/shared"))
    assert sorted(on_remote) == sorted(a_runs + b_runs), f"the remote holds {sorted(on_remote)}"
    assert set(on_remote.values()) == {1}
    assert hostile.is_ancestor(remote, a_tip, "refs/experiments/shared"), "the remote ref was rewound"
    Repo(remote).fsck()
    b.fsck()
