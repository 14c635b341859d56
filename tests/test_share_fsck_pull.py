"""gx pull / sync / push against a hostile remote: what would break this repository is never stored.

The remote is written with git plumbing (hostile.py). Whatever it holds, the victim's repository
must stay clean for ``git fsck --strict``, the good experiments must arrive, and each refused one
is one line naming it and the problem.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import hostile
from conftest import Repo


@pytest.fixture(name="t")
def team(tmp_path: Path) -> SimpleNamespace:
    """A remote with the good experiments 'shared' and 'zeta'; the victim has 'mine'."""
    t = hostile.make_team(tmp_path)
    hostile.add_run(t.mate, "shared", name="good1")
    hostile.add_run(t.mate, "zeta", name="z1")
    hostile.push_experiments(t.mate)
    hostile.add_run(t.victim, "mine", name="own1")
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    fake_ssh.chmod(0o755)
    t.ssh_env = {"GIT_SSH_COMMAND": str(fake_ssh)}
    return t


def pull(t: SimpleNamespace, transport: str = "path", verb: str = "pull") -> tuple[int, str, str]:
    args = [verb] if transport == "path" else [verb, f"ssh://example.invalid{t.remote}"]
    proc = hostile.gx(*args, cwd=t.victim, env=t.ssh_env)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode != 3 and "Traceback" not in err, err
    return proc.returncode, out, err


def has_object(repo: Path, sha: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", sha], cwd=repo, capture_output=True).returncode == 0


def assert_only_good_arrived(t: SimpleNamespace, bad_exp: str, err: str, why: str) -> None:
    assert hostile.rev(t.victim, "refs/experiments/zeta") == hostile.rev(t.remote, "refs/experiments/zeta")
    assert hostile.rev(t.victim, "refs/experiments/mine"), "the victim's own experiment is gone"
    bad_tip = hostile.rev(t.remote, f"refs/experiments/{bad_exp}")
    assert not has_object(t.victim, bad_tip), "an object of the refused experiment was stored"
    lines = [line for line in err.splitlines() if f"refs/experiments/{bad_exp}" in line]
    assert len(lines) == 1 and why in lines[0], err
    assert not list((t.victim / ".git" / "objects").glob("incoming-*")), "the quarantine was left behind"
    Repo(t.victim).fsck()


@pytest.mark.parametrize("transport", ["path", "ssh"])
def test_a_tree_naming_dotgit_is_refused_over_every_transport(t, transport):
    hostile.add_run_with_entry(t.remote, "shared", b".git")
    code, out, err = pull(t, transport)
    assert code == 0, err
    assert hostile.rev(t.victim, "refs/experiments/shared") is None
    assert_only_good_arrived(t, "shared", err, "contains '.git' (hasDotgit)")


@pytest.mark.parametrize("transport", ["path", "ssh"])
def test_a_gitmodules_with_a_command_url_is_refused(t, transport):
    """The blob is checked for what the tree calls it (.gitmodules, here its NTFS short name)."""
    run_id = "f" * 32
    files = hostile.run_files(run_id, "shared", "sneaky")
    files["artifacts/GITMOD~1"] = b'[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n'
    hostile.add_run(t.remote, "shared", files, run_id=run_id, name="sneaky")
    code, out, err = pull(t, transport)
    assert code == 0, err
    assert_only_good_arrived(t, "shared", err, "gitmodulesUrl")


def test_broken_links_are_refused(t):
    """A parent that is a blob, a folder entry that is a blob (sent, or one the victim has), a tree
    that is not there."""
    blob = hostile.blob(t.remote, b"not a commit\n")
    good_tree = hostile.tree(t.remote, {"run.yaml": b"x: 1\n"})
    msg = b"run\n\nGx-Kind: run\nGx-Run: " + b"a" * 32 + b"\nGx-Experiment: %s\n"
    who = b"author T <t@example.com> 1700000000 +0000\ncommitter T <t@example.com> 1700000000 +0000\n\n"
    readme = hostile.blob(t.remote, b"project\n")  # the victim has it too (a blob, from main)
    cases = {
        "blobparent": f"tree {good_tree}\nparent {blob}\n".encode(),
        "localblobdir": f"tree {hostile.raw_tree(t.remote, [(hostile.DIR, b'artifacts', readme)])}\n".encode(),
        "missingtree": b"tree " + b"1" * 40 + b"\n",
        "blobdir": f"tree {hostile.raw_tree(t.remote, [(hostile.DIR, b'artifacts', blob)])}\n".encode(),
    }
    for name, head in cases.items():
        sha = hostile.git(t.remote, "hash-object", "-t", "commit", "--literally", "-w", "--stdin",
                          input=head + who + msg % name.encode()).strip()
        hostile.git(t.remote, "update-ref", f"refs/experiments/{name}", sha)
    code, out, err = pull(t)
    assert code == 0, err
    for name in cases:
        assert hostile.rev(t.victim, f"refs/experiments/{name}") is None
        assert_only_good_arrived(t, name, err, "(brokenLink)")
    assert hostile.rev(t.victim, "refs/experiments/shared") == hostile.rev(t.remote, "refs/experiments/shared")


def test_an_unreadable_object_on_the_remote_refuses_only_its_experiment(t):
    """A corrupt loose object in the remote repository (a disk error, or on purpose)."""
    hostile.add_run(t.remote, "broken", {"run.yaml": b"corrupt me\n"})
    sha = hostile.git(t.remote, "hash-object", "--stdin", input=b"corrupt me\n").strip()
    loose = t.remote / "objects" / sha[:2] / sha[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")
    code, out, err = pull(t)
    assert code == 0, err
    assert hostile.rev(t.victim, "refs/experiments/broken") is None
    assert_only_good_arrived(t, "broken", err, "(brokenLink)")


def test_a_ref_at_an_annotated_tag_is_refused(t):
    tip = hostile.rev(t.remote, "refs/experiments/zeta")
    tag = hostile.git(t.remote, "mktag", input=f"object {tip}\ntype commit\ntag v1\ntagger T <t@example.com> "
                      "1700000000 +0000\n\nv1\n".encode()).strip()
    hostile.git(t.remote, "update-ref", "refs/experiments/tagged", tag)
    code, out, err = pull(t)
    assert code == 0, err
    assert hostile.rev(t.victim, "refs/experiments/tagged") is None
    assert_only_good_arrived(t, "tagged", err, "points at a tag, not a commit")


CONFIGS = {  # git config -> whether a tree holding '.git' is pulled
    "default": ({}, False),
    "fsck-ignores-it": ({"fsck.hasDotgit": "ignore"}, True),
    "fetch-checks-on": ({"fsck.hasDotgit": "ignore", "transfer.fsckObjects": "true"}, False),
    "fetch-checks-ignore-it": ({"fsck.hasDotgit": "ignore", "transfer.fsckObjects": "true",
                                "fetch.fsck.hasDotgit": "ignore"}, True),
    "fetch-overrides-transfer": ({"fsck.hasDotgit": "ignore", "transfer.fsckObjects": "true",
                                  "fetch.fsckObjects": "false"}, True),
    "warn-is-not-an-error": ({"fsck.hasDotgit": "warn"}, True),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_fsck_settings_are_honoured(t, case):
    """fsck.<id> sets what this repository's own fsck accepts; with fetch checks on, fetch.fsck.<id>
    must accept it too. Nothing that fails the repository's own fsck is ever pulled."""
    config, pulled = CONFIGS[case]
    for key, value in config.items():
        hostile.git(t.victim, "config", key, value)
    hostile.add_run_with_entry(t.remote, "shared", b".GIT")
    code, out, err = pull(t)
    assert code == 0, err
    got = hostile.rev(t.victim, "refs/experiments/shared") == hostile.rev(t.remote, "refs/experiments/shared")
    assert got == pulled, err
    if not pulled:
        assert_only_good_arrived(t, "shared", err, "hasDotgit")
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=t.victim, capture_output=True)
    assert fsck.returncode == 0, fsck.stderr.decode()


def test_sync_and_push_skip_an_experiment_whose_remote_copy_is_refused(t):
    """The victim has runs in 'shared' too; the remote's 'shared' is poisoned. sync must not give up
    after ten rounds saying the remote kept moving: it says why, and pushes everything else."""
    hostile.add_run(t.victim, "shared", name="mine-in-shared")
    hostile.add_run_with_entry(t.remote, "shared", b"..")
    for verb in ("sync", "push"):
        code, out, err = pull(t, verb=verb)
        assert code == 0, err
        assert "refs/experiments/shared" in out + err and "hasDotdot" in out + err, out + err
        assert "gave up" not in out + err
    assert hostile.rev(t.remote, "refs/experiments/mine") == hostile.rev(t.victim, "refs/experiments/mine")
    assert hostile.rev(t.victim, "refs/experiments/zeta") == hostile.rev(t.remote, "refs/experiments/zeta")
    Repo(t.victim).fsck()


def test_a_clean_pull_leaves_one_pack_and_no_quarantine(t):
    code, out, err = pull(t, "ssh")
    assert code == 0 and err == "", err
    assert not list((t.victim / ".git" / "objects").glob("incoming-*"))
    assert hostile.rev(t.victim, "refs/experiments/shared") == hostile.rev(t.remote, "refs/experiments/shared")
    Repo(t.victim).fsck()
