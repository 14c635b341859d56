"""Issue 8, untrusted input on the read side: hostile refs and trees on the remote, through ``gx pull``.

The remote (a bare repository) is written with git plumbing (hostile.py), as a teammate with a broken
or hostile client could leave it. ``gx pull`` must never exit 3, must still bring every good experiment,
must never import objects that make the victim's repository fail ``git fsck --strict``, and must say in
one line what it refused.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import hostile
from conftest import Repo


def team_with_good_experiments(tmp_path: Path) -> SimpleNamespace:
    """The remote has experiments 'shared' and 'zeta' (good runs); the victim has 'mine'."""
    t = hostile.make_team(tmp_path)
    t.good = hostile.add_run(t.mate, "shared", name="good1")
    t.zeta = hostile.add_run(t.mate, "zeta", name="z1")
    hostile.push_experiments(t.mate)
    t.own = hostile.add_run(t.victim, "mine", name="own1")
    return t


@pytest.mark.parametrize("target", ["blob", "tree"])
def test_pull_survives_a_remote_experiment_ref_pointing_at_a_non_commit(tmp_path, target):
    """Finding: a remote ref refs/experiments/<x> pointing at a blob or a tree makes gx pull exit 3
    and pull nothing. The other experiments must be pulled, with one clear line about the bad ref."""
    t = team_with_good_experiments(tmp_path)
    getattr(hostile, f"point_ref_at_{target}")(t.remote, "weird")
    proc = hostile.gx("pull", cwd=t.victim)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode != 3, f"gx pull exited 3 (internal error): {err.strip()}"
    assert "Traceback" not in err, err
    for exp in ("shared", "zeta"):
        assert hostile.rev(t.victim, f"refs/experiments/{exp}") == hostile.rev(t.remote, f"refs/experiments/{exp}"), (
            f"experiment {exp!r} was not pulled: {out} {err}")
    assert hostile.rev(t.victim, "refs/experiments/weird") is None, "a non-commit became a local experiment"
    about = [line for line in (out + err).splitlines() if "weird" in line]
    assert len(about) == 1, f"expected one line about refs/experiments/weird, got: {out + err!r}"
    Repo(t.victim).fsck()


@pytest.mark.parametrize("fsck_objects", [True, False], ids=["transfer.fsckObjects", "no-fsck-config"])
@pytest.mark.parametrize("entry", sorted(hostile.BAD_ENTRY_NAMES))
def test_pull_refuses_a_run_whose_tree_fails_fsck(tmp_path, entry, fsck_objects):
    """Finding: gx pull imports trees with '.git', '..' or empty entry names, even with
    transfer.fsckObjects=true, and the victim's repository then fails git fsck --strict.

    The run must be refused: the local ref does not move to it, the victim's fsck stays clean,
    a message says so, and the good experiments are still pulled."""
    t = team_with_good_experiments(tmp_path)
    bad_run = hostile.add_run_with_entry(t.remote, "shared", hostile.BAD_ENTRY_NAMES[entry])
    bad_commit = hostile.rev(t.remote, "refs/experiments/shared")
    if fsck_objects:
        hostile.git(t.victim, "config", "transfer.fsckObjects", "true")
    proc = hostile.gx("pull", cwd=t.victim)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode != 3, f"gx pull exited 3 (internal error): {err.strip()}"
    assert "Traceback" not in err, err
    assert not hostile.is_ancestor(t.victim, bad_commit, "refs/experiments/shared"), (
        f"the run {bad_run[:8]} whose tree has an entry named {hostile.BAD_ENTRY_NAMES[entry]!r} was imported: {out}")
    assert hostile.rev(t.victim, "refs/experiments/zeta") == hostile.rev(t.remote, "refs/experiments/zeta"), (
        f"the good experiment 'zeta' was not pulled: {out} {err}")
    assert hostile.rev(t.victim, "refs/experiments/mine"), "the victim's own experiment is gone"
    assert any("shared" in line for line in err.splitlines()), f"no message about refusing 'shared': {out!r} {err!r}"
    Repo(t.victim).fsck()
