"""A large fetch's trees checked partly by a forked helper (``incoming_git._Helper``): the verdict is
the one gx reaches alone, hostile objects included. The share tests run once more here with the
helper on for every fetch (``GX_SPLIT_CHECKS=1``); then a pack git indexes (as a hostile server could
send it) whose trees name objects that did not arrive, or a blob as a folder, read with and without
the helper."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import hostile
from conftest import make_repo
from gx.store.fsckpolicy import FsckPolicy
from gx.store.incoming import Quarantine
from gx.store.incoming_git import _SHARE, private_repository, read_received
from gx.store.repo import Store
from gx.store.transfer_one import _Indexer
from test_share_fsck_pull import (  # noqa: F401
    team,
    test_a_clean_pull_leaves_one_pack_and_no_quarantine,
    test_a_gitmodules_with_a_command_url_is_refused,
    test_a_tree_naming_dotgit_is_refused_over_every_transport,
    test_broken_links_are_refused,
    test_fsck_settings_are_honoured,
)
from test_share_pull_checks import test_a_new_experiments_runs_are_counted_from_the_received_commits  # noqa: F401
from test_share_sync import team_fixture  # noqa: F401 - the 'team' fixture
from test_share_transports import (
    test_fetched_objects_are_checked_in_the_quarantine_before_they_are_stored,  # noqa: F401
)


@pytest.fixture(autouse=True)
def helper_on_every_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GX_SPLIT_CHECKS", "1")  # subprocesses (gx pull) inherit it


def _in_share(repo, make) -> str:
    """``make(i)`` again with another ``i`` until the tree it writes is one the helper checks."""
    for i in range(200):
        sha = make(i)
        if sha.encode()[0] in _SHARE:
            return sha
    raise AssertionError("no tree in the helper's share")


def _run_commit(repo, tree: str, name: str) -> str:
    msg = b"run\n\nGx-Kind: run\nGx-Run: " + b"a" * 32 + b"\nGx-Experiment: " + name.encode() + b"\n"
    who = b"author T <t@example.com> 1700000000 +0000\ncommitter T <t@example.com> 1700000000 +0000\n\n"
    return hostile.git(repo, "hash-object", "-t", "commit", "--literally", "-w", "--stdin",
                       input=f"tree {tree}\n".encode() + who + msg).strip()


def test_trees_the_helper_vouches_for_still_have_every_link_followed(tmp_path, monkeypatch):
    victim = make_repo(tmp_path / "victim")
    readme = hostile.git(victim.path, "rev-parse", "HEAD:README.md").strip()  # the victim has this blob
    other = tmp_path / "other"
    hostile.git(tmp_path, "init", "-q", "--bare", str(other))
    hostile.blob(other, (victim.path / "README.md").read_bytes())
    good_blob = hostile.blob(other, b"x: 1\n")
    trees = {
        "missing": _in_share(other, lambda i: hostile.raw_tree(other, [(hostile.FILE, b"f%d" % i, "1" * 40)])),
        "blobdir": _in_share(other, lambda i: hostile.raw_tree(other, [(hostile.DIR, b"d%d" % i, readme)])),
        "good": _in_share(other, lambda i: hostile.raw_tree(other, [(hostile.FILE, b"g%d" % i, good_blob)])),
    }
    tips = {name: _run_commit(other, tree, name) for name, tree in trees.items()}
    ids = [*tips.values(), *trees.values(), good_blob]
    git = shutil.which("git")
    pack = subprocess.run([git, "pack-objects", "--stdout"], cwd=other, input="\n".join(ids).encode() + b"\n",
                          capture_output=True, check=True).stdout
    verdicts = []
    for split in ("1", "0"):
        monkeypatch.setenv("GX_SPLIT_CHECKS", split)
        with Store.open(victim.path) as store, Quarantine(store.repo.object_store, alternate=False) as q:
            git_dir = private_repository(q, str(store.paths.common_dir / "config"))
            indexer = _Indexer(git, git_dir, q, None)
            indexer.write(pack)
            assert indexer.finish("other")
            read_received(q, git, git_dir)
            assert (q.vouched is not None) == (split == "1")  # the helper had all three trees
            verdict = q.admit({n: s.encode() for n, s in tips.items()}, FsckPolicy.for_fetch(store.repo.get_config_stack()))
            verdicts.append((verdict.accepted, {n: "brokenLink" in why for n, why in verdict.refused.items()}))
    assert verdicts[0] == verdicts[1] == ({"good": tips["good"].encode()}, {"missing": True, "blobdir": True})
