"""gx's copy of git's fsck rules (gx.gitnames, gx.store.fsck) against git fsck itself.

Every tricky name goes into real tree objects made with git plumbing, as a regular file holding
content fsck refuses (a bad .gitmodules url, an over-long .gitattributes line) and as a symlink;
``git fsck --strict`` then says which ones it flags, and gx must flag exactly those.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from dulwich.objects import Blob, Commit, Tree

from conftest import run_git
from gx.errors import BadName
from gx.gitnames import reserved_by_git
from gx.store import objects as gobj
from gx.store.fsck import check_commit, check_tree, entry_problem
from gx.values import check_artifact_path

Z, ZJ, BOM = "\u200c", "\u200d", "\ufeff"
NAMES = [
    # .git and what NTFS (trailing dots/spaces, streams, short names) and HFS+ (ignorables) open as it
    ".git", ".GIT", ".Git", ".git.", ".git ", ".git. .", ".git::$INDEX_ALLOCATION", ".git:x", "git~1", "GIT~1",
    "Git~1", "git~1.", "git~1 ", "git~1:x", f".g{Z}it", f".G{Z}IT", f"{Z}.git", f".git{ZJ}", f".g{BOM}it",
    f".git{Z}.", "a\\.git", "a\\git~1", "a\\b\\.GIT",
    # .gitmodules and its spellings
    ".gitmodules", ".GITMODULES", ".gitmodules.", ".gitmodules ", ".gitmodules:$DATA", "gitmod~1", "GITMOD~4",
    "gi7eba~1", "GI7EBA~9", "gi7eba~12", f".g{Z}itmodules", f".gitmodules{Z}", "x\\.gitmodules",
    # .gitattributes, .gitignore, .mailmap (fsck minds the last two only as symlinks)
    ".gitattributes", "gitatt~1", "gi7d29~2", f".gitattri{Z}butes", ".gitignore", "gitign~1", "gi250a~1",
    f".g{Z}itignore", ".mailmap", "mailma~1", "maba30~1", f".mail{Z}map",
    # near misses: none of these is special to git
    "git", "gitmodules", ".gitx", "git~10", "git~2", "git~1x", "xgit~1", ".gi", "~1", "git~", "gitmod~5",
    "gitmod~0", "gi7eba~", "gi7eba~0", "gi7eb~1", "..git", "é.git", ".gït", f".g{Z}itx", "gitattributes",
    ".mailmapx", "mailma~5", "readme.md", "GIT-1", "maba30~x",
]
BAD_GITMODULES = b'[submodule "x"]\n\tpath = x\n\turl = -bad\n'
LONG_ATTRIBUTES = b"*.bin " + b"x" * 3000 + b"\n"


def hash_objects(repo, contents: list[bytes]) -> list[str]:
    paths = []
    for i, content in enumerate(contents):
        path = repo.path.parent / f"blob-{i}"
        path.write_bytes(content)
        paths.append(str(path))
    out = run_git("hash-object", "-w", "--stdin-paths", cwd=repo.path, input="\n".join(paths).encode() + b"\n")
    return out.split()


def make_trees(repo, entries: list[tuple[str, str, str]]) -> list[str]:
    """One tree per ``(mode, blob id, name)``, through ``git mktree --batch -z``."""
    records = b"".join(f"{mode} blob {sha}\t".encode() + name.encode() + b"\0\0" for mode, sha, name in entries)
    return run_git("mktree", "-z", "--batch", cwd=repo.path, input=records).split()


def flagged_by_git(repo) -> set[str]:
    """Ids of the objects ``git fsck --strict`` reports (every object is checked, unreachable ones too)."""
    proc = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo.path, capture_output=True)
    return set(re.findall(r"(?:error|warning) in (?:tree|blob) ([0-9a-f]{40})", proc.stderr.decode()))


def test_gx_flags_exactly_the_tree_entries_git_fsck_flags(repo):
    contents = []
    for i, _ in enumerate(NAMES):  # a distinct blob per name, so each finding is attributed to one name
        contents += [BAD_GITMODULES + LONG_ATTRIBUTES + b"# %d\n" % i, b"target-%d" % i]
    blobs = hash_objects(repo, contents)
    entries = []
    for i, name in enumerate(NAMES):
        entries += [("100644", blobs[2 * i], name), ("120000", blobs[2 * i + 1], name)]
    trees = make_trees(repo, entries)
    flagged = flagged_by_git(repo)
    mismatches = []
    for i, name in enumerate(NAMES):
        as_file = trees[2 * i] in flagged or blobs[2 * i] in flagged
        as_link = trees[2 * i + 1] in flagged
        ours = (entry_problem(name.encode(), 0o100644) is not None, entry_problem(name.encode(), 0o120000) is not None)
        if (as_file, as_link) != ours:
            mismatches.append((name, "git", (as_file, as_link), "gx", ours))
    assert mismatches == []
    assert sum(1 for t in trees if t in flagged) > 40  # the check above saw real findings


@pytest.mark.parametrize("name", [n for n in NAMES if reserved_by_git(n) is not None])
def test_check_artifact_path_refuses_every_name_git_reserves(name):
    """The API refuses at the call what the tree check would refuse at the end (as any part)."""
    for path in (name, f"plots/{name}", f"{name}/x.txt"):
        if "\\" in path:
            continue  # refused for its backslash already
        with pytest.raises(BadName, match="artifact"):
            check_artifact_path(path)


@pytest.mark.parametrize("path", ["plots/roc.png", "git", "gitmodules", "git~2/x", "a~1", "é/ü.txt", "x" * 255])
def test_check_artifact_path_keeps_ordinary_names(path):
    assert check_artifact_path(path) == path


@pytest.mark.parametrize("path", ["a/\x01b", "tab\there", "x" * 256, "é" * 128, "a/\udcff"])
def test_check_artifact_path_refuses_control_characters_overlong_parts_and_bad_text(path):
    with pytest.raises(BadName, match="artifact"):
        check_artifact_path(path)


@pytest.mark.parametrize("name, mode", [(b"", 0o100644), (b".", 0o040000), (b"..", 0o040000),
                                        (b"a" * 4097, 0o100644), (b"ok", 0o100664), (b"ok", 0o100600)])
def test_entry_problem_covers_names_and_modes(name, mode):
    assert entry_problem(name, mode) is not None


def test_build_tree_refuses_a_lookalike_naming_its_path():
    with pytest.raises(BadName, match="artifacts/plots/GIT~1"):
        gobj.build_tree({"run.yaml": b"x", "artifacts/plots/GIT~1/notes.txt": b"y"}, [])


def test_check_tree_refuses_a_bad_mode():
    tree = Tree()
    tree.add(b"file", 0o100664, Blob.from_string(b"x").id)
    with pytest.raises(BadName, match="mode 100664"):
        check_tree(tree, "artifacts/")


def commit_with(**fields) -> Commit:
    commit = gobj.make_commit(Tree(), [], "subject", {"Gx-Kind": "run"}, b"Ada <ada@example.com>", 1_700_000_000)
    for key, value in fields.items():
        setattr(commit, key, value)
    return commit


def test_make_commit_turns_control_characters_of_the_subject_into_spaces():
    commit = gobj.make_commit(Tree(), [], "a\x00b\nc\rd", {"Gx-Kind": "run"}, b"Ada <ada@example.com>", 1_700_000_000)
    assert commit.message.startswith(b"a b c d\n\n")


@pytest.mark.parametrize("fields", [
    {"message": b"subject\x00\n"},
    {"author": b"Ada <ada@example.com"},
    {"committer": b"Ada<ada@example.com>"},
    {"author_time": -1},
    {"commit_timezone": 100 * 3600},
])
def test_check_commit_refuses_what_fsck_refuses(fields):
    with pytest.raises(BadName, match="refusing to write commit"):
        check_commit(commit_with(**fields))
