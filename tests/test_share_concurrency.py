"""Many clones pushing to one bare remote at once, races on the remote ref, and exact ancestry."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from conftest import Repo, count_git_calls, make_repo, run_git
from gx.errors import RemoteError
from gx.lfs.objects import lfs_dir
from gx.share import sync as share
from gx.store import objects as gobj
from gx.store.merge import relate
from gx.store.repo import Store
from test_share_sync import (
    names,
    record,
    team_fixture,  # noqa: F401 - the 'team' fixture
    tip,
    verb,
)


def test_four_clones_pushing_at_once_all_arrive(tmp_path):
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", "-b", "main", str(remote))
    seed = make_repo(tmp_path / "seed")
    seed.git("push", "-q", str(remote), "main")
    clones = []
    for i in range(4):
        run_git("clone", "-q", str(remote), str(tmp_path / f"c{i}"))
        clone = Repo(tmp_path / f"c{i}")
        for j in range(3):
            record(clone, "shared", f"c{i}-{j}", float(j))
        record(clone, f"own-{i}", f"solo-{i}")
        clones.append(clone)
    procs = [subprocess.Popen([sys.executable, "-m", "gx", "push"], cwd=c.path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for c in clones]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    expected = sorted(f"c{i}-{j}" for i in range(4) for j in range(3))
    checker = make_repo(tmp_path / "checker")
    checker.git("remote", "add", "origin", str(remote))
    verb(checker, "pull")
    assert names(checker, "shared") == expected  # every run arrived, exactly once
    assert names(checker) == sorted(expected + [f"solo-{i}" for i in range(4)])
    Repo(remote).fsck()
    checker.fsck()


@pytest.fixture
def listing_first(team):
    """Alice's clone has an LFS store, so her push lists the remote's refs before it sends (a race can
    fall between the two); without one it sends at once (the last test here)."""
    (lfs_dir(team.alice.path / ".git") / "objects").mkdir(parents=True)


def test_a_push_that_loses_the_race_is_merged_and_retried(team, listing_first, monkeypatch):
    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    record(team.alice, "lasso", "a2")
    record(team.bob, "lasso", "b1")
    real_decide, calls = share._decide, []

    def bob_pushes_in_between(store, tips, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # after alice read the remote's refs, before she updates them
            verb(team.bob, "push")
        return real_decide(store, tips, **kwargs)

    monkeypatch.setattr(share, "_decide", bob_pushes_in_between)
    monkeypatch.setattr(share.time, "sleep", lambda s: None)
    [result] = verb(team.alice, "push")
    assert len(calls) == 3  # refused (remote moved), then merged and pushed (bob's push re-entered _decide)
    assert result.merged and result.received == 1
    verb(team.bob, "pull")
    assert names(team.bob) == names(team.alice) == ["a1", "a2", "b1"]
    assert tip(team.alice, "lasso") == tip(team.bob, "lasso")
    Repo(team.remote).fsck()


def test_gives_up_after_a_bounded_number_of_attempts(team, listing_first, monkeypatch):
    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    real_decide = share._decide
    counter = iter(range(100))

    def someone_always_pushes_first(store, tips, **kwargs):
        decided = real_decide(store, tips, **kwargs)
        if store.paths.worktree == team.alice.path:
            record(team.bob, "lasso", f"b{next(counter)}")
            share.push(store=Store.open(team.bob.path))
        return decided

    record(team.alice, "lasso", "a2")
    monkeypatch.setattr(share, "_decide", someone_always_pushes_first)
    monkeypatch.setattr(share.time, "sleep", lambda s: None)
    with Store.open(team.alice.path) as store, pytest.raises(RemoteError, match="after 3 attempts"):
        share.push(store=store, attempts=3)


def test_a_push_without_listing_that_finds_new_runs_there_merges_and_retries_at_once(team, monkeypatch):
    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    record(team.alice, "lasso", "a2")
    record(team.bob, "lasso", "b1")
    verb(team.bob, "push")  # alice's clone cannot know: her push goes out blind and is refused
    calls, waits = count_git_calls(monkeypatch), []
    monkeypatch.setattr(share, "time", SimpleNamespace(sleep=waits.append))  # sync's own back-off only
    [result] = verb(team.alice, "push")
    assert calls == ["push", "upload-pack", "index-pack", "push"] and waits == []  # refused, fetched (its
    # listing serves the second push), merged, pushed: no back-off, it was no race
    assert (result.merged, result.received, result.sent, result.created) == (True, 1, 1, "")
    verb(team.bob, "pull")
    assert names(team.bob) == names(team.alice) == ["a1", "a2", "b1"]
    assert tip(team.alice, "lasso") == tip(team.bob, "lasso")
    Repo(team.remote).fsck()


def _commit(store: Store, parents: list[bytes], when: int, kind: str = gobj.KIND_RUN, run: str = "") -> bytes:
    tree = store.init_commit("skew").tree
    trailers = {"Gx-Kind": kind, "Gx-Run": run or None, "Gx-Experiment": "skew"}
    commit = gobj.make_commit(tree, parents, f"{kind} {run}", trailers, b"t <t@x>", when, tz=0)
    store.repo.object_store.add_object(commit)
    return commit.id


def test_relate_is_exact_despite_clock_skew(repo):
    with Store.open(repo.path) as store:
        root = store.init_commit("skew").id
        # one machine's clock is years behind: its runs look older than their own parents
        base = _commit(store, [root], 2_000_000_000, run="base")
        late = [base]
        for i in range(5):
            late.append(_commit(store, [late[-1]], 1_000_000_000 - i, run=f"late{i}"))
        ours = _commit(store, [base], 2_000_000_100, run="ours")
        merged = _commit(store, [ours, late[-1]], 1_500_000_000, kind=gobj.KIND_MERGE)
        assert relate(store, merged, late[-1]).local_has_remote
        assert relate(store, late[-1], merged).remote_has_local
        rel = relate(store, ours, late[-1])
        assert not rel.local_has_remote and not rel.remote_has_local
        assert (rel.local_only_runs, rel.remote_only_runs) == (1, 5)
        assert relate(store, merged, merged).local_has_remote
