"""A large pull's own work made cheaper (issue 9): the same verdicts, counts and stored objects.

The plain trees and commits gx writes are checked by a pattern matched at once, every other one
entry by entry: both must say the same of any object. A new experiment's runs are counted from the
commits the pull already read, and git's log answers when its history goes on in older commits.
The quarantine accepts a clean fetch without a walk from each tip, and still stores only what the
accepted tips reach.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dulwich.objects import Blob, Tree
from dulwich.repo import Repo as DulwichRepo
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Repo, run_git
from gx.store import commitgraph, verify, verify_headers
from gx.store.fsckpolicy import FsckPolicy
from gx.store.incoming import Quarantine
from gx.store.merge import relate
from gx.store.repo import Store
from test_share_fsck_rules import CASES, EMPTY_TREE, commit, entry
from test_share_sync import lasso_merged_with_a_deletion, record, team_fixture, tip, verb  # noqa: F401 - the fixture ``team``

PLAIN_TREE = entry(b"100644", b"metrics.yaml") + entry(b"40000", b"metrics", EMPTY_TREE) + entry(b"100755", b"run sh")
PARENT = b"parent " + b"ab" * 20 + b"\n"
#: Objects near the edges of what the patterns take: each checked both ways must give one answer.
EDGES: dict[str, tuple[str, bytes]] = {
    "plain-tree": ("tree", PLAIN_TREE),
    "gitlink-and-symlink": ("tree", entry(b"120000", b"link") + entry(b"160000", b"sub")),
    "name-at-the-limit": ("tree", entry(b"100644", b"n" * 4096)),
    "name-over-the-limit": ("tree", entry(b"100644", b"n" * 4097)),
    "dir-sorts-after-file-prefix": ("tree", entry(b"100644", b"a.b") + entry(b"40000", b"a", EMPTY_TREE)),
    "file-then-dir-same-prefix": ("tree", entry(b"40000", b"a", EMPTY_TREE) + entry(b"100644", b"a.b")),
    "tilde-inside": ("tree", entry(b"100644", b"a~1")),
    "trailing-garbage": ("tree", PLAIN_TREE + b"1"),
    "two-parents": ("commit", commit(head=b"tree " + EMPTY_TREE.encode() + b"\n" + PARENT + PARENT)),
    "upper-case-parent": ("commit", commit(head=b"tree " + EMPTY_TREE.encode() + b"\nparent " + b"AB" * 20 + b"\n")),
    "date-zero": ("commit", commit(author=b"A <a@b> 0 +0000")),
    "date-19-digits": ("commit", commit(author=b"A <a@b> 1234567890123456789 +0000")),
    "tab-before-date": ("commit", commit(author=b"A <a@b> \t1 +0000")),
    "empty-name": ("commit", commit(author=b" <a@b> 1 +0000")),
    "zone-too-long": ("commit", commit(author=b"A <a@b> 1 +00000")),
    "no-newline-at-all": ("commit", commit(message=b"")[:-2]),
    "header-after-committer": ("commit", commit(extra=b"parent " + b"cd" * 20 + b"\n")),
    "message-without-header-end": ("commit", commit(message=b"")[:-1] + b"x"),
}


def both_ways(kind: str, raw: bytes) -> tuple[verify.Checked, verify.Checked]:
    if kind == "tree":
        return verify.check_tree(raw), verify.check_tree_entry_by_entry(raw)
    return verify_headers.check_commit(raw), verify_headers.check_commit_line_by_line(raw)


@pytest.mark.parametrize("case", sorted(CASES) + sorted(EDGES))
def test_the_pattern_and_the_entry_by_entry_check_agree(case):
    kind, raw = EDGES[case] if case in EDGES else CASES[case][:2]
    fast, full = both_ways(kind, raw)
    assert fast == full


def test_the_pattern_takes_the_objects_gx_writes():
    """Not vacuous: gx's own trees and commits, and plain ones with problems, go through the pattern."""
    plain = [PLAIN_TREE, CASES["duplicate"][1], CASES["unsorted"][1], CASES["null-sha"][1]]
    assert all(verify._check_plain_tree(raw) is not None for raw in plain)
    assert verify._check_plain_tree(CASES["dotgit"][1]) is None
    assert verify_headers._PLAIN_COMMIT.match(commit()) is not None


def test_a_new_experiments_runs_are_counted_from_the_received_commits(team, tmp_path, monkeypatch):
    """A history with a merge, a deletion and runs on another run's code: the pull reports the same
    count as the walk in Python, without running ``git log``."""
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    lasso_merged_with_a_deletion(team)
    verb(team.bob, "push")
    run_git("clone", "-q", "--no-local", str(team.remote), str(tmp_path / "carol"))  # no objects shared
    carol = Repo(tmp_path / "carol")
    commands = spy_on_git(monkeypatch)
    [result] = verb(carol, "pull")
    assert (result.experiment, result.received, result.created) == ("lasso", 4, "local")
    assert not [c for c in commands if "log" in c], commands
    with Store.open(carol.path) as store:
        assert relate(store, tip(carol, "lasso").encode(), None).local_only_runs == 4
    carol.fsck()


def test_the_count_asks_git_when_the_history_goes_on_in_older_commits(team):
    """Only the newest commit is known as received: git's log counts the rest."""
    for name in ("a1", "a2", "a3"):
        record(team.alice, "lasso", name)
    with Store.open(team.alice.path) as store:
        newest = store.tip("lasso")
        commitgraph.remember(store, {newest: store.repo.object_store.get_raw(newest)[1]})
        assert commitgraph.history_runs(store, newest) == 3


@pytest.mark.parametrize("strays", ["clean", "with-a-problem"])
def test_only_what_the_accepted_tips_reach_is_stored(tmp_path, strays):
    """A fetch that also brought objects no tip reaches (a clean blob; or with it a tree git fsck
    refuses, which sends the verdict to the walk): the tip is accepted, no stray object is stored."""
    source = make_source(tmp_path / "source")
    target = DulwichRepo.init(str(tmp_path / "target"), mkdir=True)
    with DulwichRepo(str(source)) as repo:
        tip_sha = repo.refs[b"refs/experiments/e"]
        reachable = reachable_ids(source, tip_sha)
        stray = [Blob.from_string(b"no tip names me\n")]
        if strays == "with-a-problem":
            hostile = Tree()
            hostile.add(b".git", 0o100644, stray[0].id)
            stray.append(hostile)
        for obj in stray:
            repo.object_store.add_object(obj)
        with Quarantine(target.object_store) as quarantine:
            quarantine.add_objects(repo.object_store, [*reachable, *(obj.id for obj in stray)], None)
            verdict = quarantine.admit({"refs/experiments/e": tip_sha}, FsckPolicy(target.get_config_stack(), None))
    assert verdict.accepted == {"refs/experiments/e": tip_sha} and not verdict.refused
    stored = target.object_store
    assert all(sha in stored for sha in reachable)
    assert not [obj for obj in stray if obj.id in stored]


def make_source(path: Path) -> Path:
    run_git("init", "-q", str(path))
    blob = run_git("hash-object", "-w", "--stdin", cwd=path, input=b"x: 1\n").strip()
    tree = run_git("mktree", cwd=path, input=f"100644 blob {blob}\trun.yaml\n".encode()).strip()
    sha = run_git("commit-tree", tree, "-m", "run", cwd=path).strip()
    run_git("update-ref", "refs/experiments/e", sha, cwd=path)
    return path


def reachable_ids(path: Path, sha: bytes) -> list[bytes]:
    listed = run_git("rev-list", "--objects", sha.decode(), cwd=path)
    return [line.split()[0].encode() for line in listed.splitlines()]


def spy_on_git(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command ``subprocess.run`` starts from now on (each still runs)."""
    commands: list[list[str]] = []
    real = subprocess.run

    def spying(args, *rest, **kw):
        commands.append([str(a) for a in args])
        return real(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "run", spying)
    return commands



_MODES = [b"100644", b"100755", b"40000", b"120000", b"160000", b"040000", b"100664", b"12", b"abc"]
_NAME_BYTES = st.sampled_from([b"a", b"b", b".", b"g", b"i", b"t", b"~", b"1", b"\\", b"/", b"\xc3", b"\x80",
                               b" ", b"G", b"m", b"o", b"d", b"u", b"l", b"e", b"s"])
_NAMES = st.one_of(st.lists(_NAME_BYTES, min_size=0, max_size=12).map(b"".join),
                   st.sampled_from([b".git", b"git~1", b".gitmodules", b"..", b".", b"GIT~1", b".git.", b"n" * 4097]))
_SHAS = st.sampled_from([bytes(20), bytes.fromhex(EMPTY_TREE), b"\xab" * 20, b"\0\n" * 10])
_ENTRIES = st.lists(st.tuples(st.sampled_from(_MODES), _NAMES, _SHAS), max_size=6)


@settings(max_examples=400, deadline=None)
@given(_ENTRIES, st.sampled_from([b"", b"1", b"\0", b"100644 x"]))
def test_any_tree_gets_the_same_verdict_both_ways(entries, tail):
    """Fuzzed trees near every rule (odd modes, names that are or look like .git, '/', non-ASCII,
    empty or too long names, null ids, order, duplicates, trailing bytes): pattern ≡ entry by entry."""
    raw = b"".join(mode + b" " + name + b"\0" + sha for mode, name, sha in entries) + tail
    fast, full = both_ways("tree", raw)
    assert fast == full


_IDENTS = st.one_of(st.sampled_from([b"A U Thor <a@b> 1 +0000", b" <a@b> 1 +0000", b"<a@b> 1 +0000",
                                     b"A <a@b> 01 +0000", b"A <a@b> 1 0000", b"A <a@b>1 +0000",
                                     b"A <a<b> 1 +0000", b"A <a@b> 99999999999999999999 +0000"]),
                    st.tuples(st.sampled_from([b"A", b"", b"A>B", b"A\tB"]), st.sampled_from([b"a@b", b"", b"a>b"]),
                              st.sampled_from([b"0", b"1", b"123456789012345678", b"-1", b"1e3"]),
                              st.sampled_from([b"+0000", b"-0130", b"+000", b"+00000", b"x0000"]))
                    .map(lambda p: p[0] + b" <" + p[1] + b"> " + p[2] + b" " + p[3]))


@settings(max_examples=400, deadline=None)
@given(_IDENTS, _IDENTS, st.sampled_from([b"", PARENT, PARENT * 2, b"parent " + b"AB" * 20 + b"\n", b"parent x\n"]),
       st.sampled_from([b"", b"encoding UTF-8\n", b"author A <a@b> 1 +0000\n", b"gx-summary {}\n"]),
       st.sampled_from([b"subject\n", b"", b"nul\0here\n", b"no newline"]), st.booleans())
def test_any_commit_gets_the_same_verdict_both_ways(author, committer, parents, extra, message, cut):
    raw = (b"tree " + EMPTY_TREE.encode() + b"\n" + parents + b"author " + author + b"\ncommitter " + committer
           + b"\n" + extra + b"\n" + message)
    if cut:  # no blank line after the header, or no final newline
        raw = raw[: raw.index(b"\n\n") + 1] if b"\n\n" in raw else raw[:-1]
    fast, full = both_ways("commit", raw)
    assert fast == full
