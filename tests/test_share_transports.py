"""Both transports: the git binary's (the default when git is on PATH) and dulwich's (``GX_GIT_BINARY=0``).

The share tests run once more here with ``GX_GIT_BINARY=0``, so the pure-dulwich path keeps passing
the same tests as the git one; then what only the git path does: its quarantine leaves nothing
behind, the fetched objects are checked before they are stored, progress shows after a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import hostile
from conftest import Repo, count_git_calls
from gx.errors import GxWarning
from gx.share import sync as share
from gx.store import gitwire, transfer_dulwich
from test_share_concurrency import (  # noqa: F401
    listing_first,
    test_a_push_that_loses_the_race_is_merged_and_retried,
)
from test_share_receive import team as receive_team  # noqa: F401 - the fixture ``t``
from test_share_receive import (
    test_a_rejecting_hook_is_run_and_has_the_last_word,  # noqa: F401
    test_the_callers_git_environment_does_not_redirect_the_remote,  # noqa: F401
)
from test_share_sync import (  # noqa: F401
    lasso_merged_with_a_deletion,
    names,
    record,
    team_fixture,
    test_deletions_and_restores_travel,
    test_diverged_histories_end_as_the_union_in_either_push_order,
    test_fast_forward_when_one_side_contains_the_other,
    test_selected_experiments_and_unknown_ones,
    test_ssh_transport_and_a_refusing_remote,
    test_unreachable_or_unknown_remote_is_one_clear_line,
    tip,
    verb,
)


@pytest.fixture(autouse=True)
def dulwich_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The imported share tests run with dulwich's transport; this module's own tests with git's."""
    if request.function.__module__ != __name__:
        monkeypatch.setenv("GX_GIT_BINARY", "0")


def _leftovers(repo: Path) -> list[str]:
    git_dir = repo / ".git" if (repo / ".git").is_dir() else repo
    found = [p.name for p in (git_dir / "objects").iterdir() if p.name.startswith("incoming-")]
    return found + [name for name in ("FETCH_HEAD",) if (git_dir / name).exists()]


def test_the_git_transport_moves_the_runs_and_leaves_nothing_behind(team, monkeypatch):
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    calls = count_git_calls(monkeypatch)
    record(team.alice, "lasso", "a1")
    record(team.alice, "lasso", "a2")
    [pushed] = verb(team.alice, "push")
    assert pushed.sent == 2 and pushed.created == "remote"
    assert calls == ["push"]  # no LFS content, no registry tags: nothing to ask first, one connection
    calls.clear()
    record(team.alice, "lasso", "a3")
    [pushed] = verb(team.alice, "push")
    assert (pushed.sent, pushed.created) == (1, "")  # counted from the old tip git reported
    [pushed] = verb(team.alice, "push")
    assert pushed.sent == 0 and calls == ["push", "push"]  # the second found it up to date
    calls.clear()
    record(team.bob, "lasso", "b1")
    [synced] = verb(team.bob, "sync")
    assert (synced.received, synced.sent, synced.merged) == (3, 1, True)
    assert calls == ["upload-pack", "index-pack", "push"]  # one connection lists and fetches; its listing
    # serves the push: two connections, as git fetch + git push
    calls.clear()
    assert [r.sent + r.received for r in verb(team.bob, "sync")] == [0]
    assert calls == ["upload-pack"]  # nothing to send or fetch: one question
    assert names(team.bob) == names(team.alice) + ["b1"] == ["a1", "a2", "a3", "b1"]
    assert tip(team.bob, "lasso") == hostile.rev(team.remote, "refs/experiments/lasso")
    for repo in (team.alice.path, team.bob.path, team.remote):
        assert _leftovers(repo) == []
    hostile.git(team.bob.path, "fsck", "--strict", "--no-dangling")
    hostile.git(team.remote, "fsck", "--strict", "--no-dangling")


def test_fetched_objects_are_checked_in_the_quarantine_before_they_are_stored(tmp_path, monkeypatch):
    """git's fetch takes a tree named ``.git`` (git's pack-objects serves it); gx's checks refuse the
    one experiment holding it, before any of its objects reach the object store."""
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    h = hostile.make_team(tmp_path)
    hostile.add_run_with_entry(h.mate, "shared", b".git")
    bad = hostile.rev(h.mate, "refs/experiments/shared")
    hostile.add_run(h.mate, "good", name="g1")
    hostile.push_experiments(h.mate)
    calls = count_git_calls(monkeypatch)
    monkeypatch.setattr(transfer_dulwich, "_copy_from_repository", None)  # no fallback to dulwich's transport
    monkeypatch.chdir(h.victim)
    with pytest.warns(GxWarning, match="not pulling refs/experiments/shared from origin: .*hasDotgit"):
        results = share.pull()
    assert [(r.experiment, r.received) for r in results] == [("good", 1)]
    assert calls == ["upload-pack", "index-pack"]  # experiments and registry tags: one connection
    assert hostile.rev(h.victim, "refs/experiments/good") == hostile.rev(h.remote, "refs/experiments/good")
    assert subprocess.run(["git", "cat-file", "-e", bad], cwd=h.victim).returncode != 0, "the bad run was stored"
    assert _leftovers(h.victim) == []
    Repo(h.victim).fsck()


def test_a_pack_git_will_not_index_is_fetched_again_through_dulwich(team, tmp_path, monkeypatch):
    """The remote's pack-objects (through git's own ``uploadpack.packObjectsHook``) sends a pack with
    one byte flipped: ``git index-pack`` refuses it, nothing of it is stored, and dulwich's transport
    (which reads a repository on this machine directly) brings the runs, checked as ever."""
    record(team.alice, "lasso", "a1")
    record(team.alice, "lasso", "a2")
    verb(team.alice, "push")
    hook = tmp_path / "corrupting-pack-objects"
    flip = "import sys; d = bytearray(sys.stdin.buffer.read()); d[len(d) // 2] ^= 0xFF; sys.stdout.buffer.write(d)"
    hook.write_text(f'#!/bin/sh\n"$@" | "{sys.executable}" -c "{flip}"\n')
    hook.chmod(0o755)
    config = tmp_path / "global-config"
    config.write_text(f"[uploadpack]\n\tpackObjectsHook = {hook}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))  # protected config: the only place git reads it
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    calls = count_git_calls(monkeypatch)
    [pulled] = verb(team.bob, "pull")
    assert calls == ["upload-pack", "index-pack"]  # git's transport tried, and refused the pack
    assert pulled.received == 2 and names(team.bob) == ["a1", "a2"]
    assert tip(team.bob, "lasso") == hostile.rev(team.remote, "refs/experiments/lasso")
    assert _leftovers(team.bob.path) == []
    hostile.git(team.bob.path, "fsck", "--strict", "--no-dangling")


def test_a_pull_offers_a_bounded_number_of_commits_the_remote_does_not_know(team, tmp_path, monkeypatch):
    """Bob's branch has commits the remote never saw: the fetch offers them as haves and gives up
    after ``MAX_IN_VAIN`` unacknowledged ones, as git's fetch-pack does, instead of offering his whole
    history (counted in upload-pack's own packet trace)."""
    from gx.store import transfer_one

    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    for i in range(12):
        team.bob.git("commit", "-q", "--allow-empty", "-m", f"local {i}")
    for ref in ("refs/remotes/origin/HEAD", "refs/remotes/origin/main"):  # no head the remote knows
        team.bob.git("update-ref", "--no-deref", "-d", ref)
    trace = tmp_path / "packets"
    monkeypatch.setenv("GIT_TRACE_PACKET", str(trace))
    monkeypatch.setattr(transfer_one, "MAX_IN_VAIN", 5)
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    [pulled] = verb(team.bob, "pull")
    assert pulled.received == 1
    haves = [line for line in trace.read_text().splitlines() if "upload-pack< have " in line]
    assert 1 <= len(haves) <= 5, haves


def test_progress_shows_git_counters_only_for_transfers_over_a_second(team, monkeypatch):
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    for i in range(3):
        record(team.alice, "lasso", f"a{i}")
    shown: list[str] = []
    monkeypatch.setattr(gitwire, "PROGRESS_DELAY", 10.0)  # longer than this push, even on a loaded machine
    verb(team.alice, "push", progress=shown.append)
    assert shown == []
    monkeypatch.setattr(gitwire, "PROGRESS_DELAY", 0.0)
    verb(team.bob, "pull", progress=shown.append)
    text = "".join(shown)
    assert "Receiving objects: 100% (" in text, text  # git's counters: objects, then bytes and rate once measurable


def test_dulwich_transport_when_asked(team, monkeypatch):
    monkeypatch.setenv("GX_GIT_BINARY", "0")
    calls = count_git_calls(monkeypatch)
    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    assert calls == [] and names(team.bob) == ["a1"]
    assert os.environ["GX_GIT_BINARY"] == "0"


def test_runs_counted_through_git_log_equal_the_walk_in_python(team, monkeypatch):
    """A history with a merge, a deletion and runs whose source is another run's code: git's log and
    merge.relate agree on how many runs a new experiment brings."""
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    from gx.store.commitgraph import history_runs
    from gx.store.merge import relate
    from gx.store.repo import Store

    lasso_merged_with_a_deletion(team)
    with Store.open(team.bob.path) as store:
        tip_sha = store.tip("lasso")
        assert history_runs(store, tip_sha) == relate(store, tip_sha, None).local_only_runs == 4
