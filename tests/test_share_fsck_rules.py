"""gx's object checks (gx.store.verify) against git's own ``git fsck --strict``, object by object.

Every case is a raw tree, commit or .gitmodules blob written byte for byte with ``git hash-object
--literally``; the test asserts that gx refuses exactly what makes ``git fsck --strict`` fail in a
repository holding it (fsck reads unreferenced objects too), and names git's message id.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import run_git
from gx.store import verify
from gx.store.fsckpolicy import FsckPolicy

BLOB_TEXT = b"x\n"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
BLOB = "587be6b4c3f93f93c489c0111bba5596147a26cb"  # BLOB_TEXT


def entry(mode: bytes, name: bytes, sha: str = BLOB) -> bytes:
    return mode + b" " + name + b"\0" + bytes.fromhex(sha)


def gitmodules(body: bytes) -> bytes:
    return b'[submodule "m"]\n\tpath = m\n' + body


IDENT = b"A U Thor <a@example.com> 1234567890 +0000"
HEAD = f"tree {EMPTY_TREE}\n".encode()


def commit(author: bytes = IDENT, extra: bytes = b"", message: bytes = b"subject\n", head: bytes = HEAD) -> bytes:
    return head + b"author " + author + b"\ncommitter " + IDENT + b"\n" + extra + b"\n" + message


# (kind, data, git's message id or None when git accepts it)
CASES: dict[str, tuple[str, bytes, str | None]] = {
    "tree-ok": ("tree", entry(b"100644", b"a") + entry(b"40000", b"d", EMPTY_TREE), None),
    "dotgit": ("tree", entry(b"100644", b".git"), "hasDotgit"),
    "dotgit-upper": ("tree", entry(b"40000", b".GIT", EMPTY_TREE), "hasDotgit"),
    "ntfs-short": ("tree", entry(b"100644", b"git~1"), "hasDotgit"),
    "ntfs-trailing": ("tree", entry(b"100644", b".git. . "), "hasDotgit"),
    "ntfs-stream": ("tree", entry(b"100644", b".git::$INDEX_ALLOCATION"), "hasDotgit"),
    "ntfs-backslash": ("tree", entry(b"100644", b"a\\.git"), "hasDotgit"),
    "hfs-zero-width": ("tree", entry(b"100644", ".g\u200cit".encode()), "hasDotgit"),
    "hfs-bom": ("tree", entry(b"100644", ".GI\ufeffT".encode()), "hasDotgit"),
    "hfs-leading-ignorable": ("tree", entry(b"100644", "\u200e.git".encode()), "hasDotgit"),
    "not-dotgit": ("tree", entry(b"100644", b".gitfoo") + entry(b"100644", b"git~2"), None),
    "dot": ("tree", entry(b"100644", b"."), "hasDot"),
    "dotdot": ("tree", entry(b"40000", b"..", EMPTY_TREE), "hasDotdot"),
    "empty-name": ("tree", entry(b"100644", b""), "badTree"),
    "full-path": ("tree", entry(b"100644", b"a/b"), "fullPathname"),
    "zero-padded": ("tree", entry(b"0100644", b"a"), "zeroPaddedFilemode"),
    "mode-664": ("tree", entry(b"100664", b"a"), None),  # badFilemode is only "info" in git
    "duplicate": ("tree", entry(b"100644", b"a") + entry(b"100644", b"a"), "duplicateEntries"),
    "duplicate-file-dir": ("tree", entry(b"100644", b"a") + entry(b"40000", b"a", EMPTY_TREE), "duplicateEntries"),
    "unsorted": ("tree", entry(b"100644", b"b") + entry(b"100644", b"a"), "treeNotSorted"),
    "null-sha": ("tree", entry(b"100644", b"a", "0" * 40), "nullSha1"),
    "truncated": ("tree", entry(b"100644", b"a")[:-3], "badTree"),
    "gitmodules-symlink": ("tree", entry(b"120000", b".gitmodules"), "gitmodulesSymlink"),
    "gitignore-symlink": ("tree", entry(b"120000", b".gitignore"), None),  # info in git
    "commit-ok": ("commit", commit(), None),
    "commit-no-body": ("commit", commit(message=b"")[:-1], None),
    "commit-encoding-gpgsig": ("commit", commit(extra=b"encoding latin1\ngpgsig -----BEGIN\n x\n -----END\n"), None),
    "nul-in-message": ("commit", commit(message=b"sub\0ject\n"), "nulInCommit"),
    "nul-in-header": ("commit", commit(extra=b"x-extra a\0b\n"), "nulInHeader"),
    "unterminated": ("commit", commit(message=b"")[:-2], "unterminatedHeader"),
    "no-tree": ("commit", commit(head=b""), "missingTree"),
    "bad-tree-id": ("commit", commit(head=b"tree 123\n"), "badTreeSha1"),
    "bad-parent-id": ("commit", commit(head=HEAD + b"parent zz\n"), "badParentSha1"),
    "no-author": ("commit", HEAD + b"committer " + IDENT + b"\n\nsubject\n", "missingAuthor"),
    "two-authors": ("commit", commit(author=IDENT + b"\nauthor " + IDENT), "multipleAuthors"),
    "no-name": ("commit", commit(author=b"<a@b> 1 +0000"), "missingNameBeforeEmail"),
    "bad-name": ("commit", commit(author=b"A> <a@b> 1 +0000"), "badName"),
    "no-email": ("commit", commit(author=b"A 1 +0000"), "missingEmail"),
    "no-space-email": ("commit", commit(author=b"A<a@b> 1 +0000"), "missingSpaceBeforeEmail"),
    "bad-email": ("commit", commit(author=b"A <a@b 1 +0000"), "badEmail"),
    "no-space-date": ("commit", commit(author=b"A <a@b>1 +0000"), "missingSpaceBeforeDate"),
    "bad-date": ("commit", commit(author=b"A <a@b> soon +0000"), "badDate"),
    "zero-padded-date": ("commit", commit(author=b"A <a@b> 0123 +0000"), "zeroPaddedDate"),
    "date-overflow": ("commit", commit(author=b"A <a@b> 99999999999999999999 +0000"), "badDateOverflow"),
    "bad-timezone": ("commit", commit(author=b"A <a@b> 1 +00"), "badTimezone"),
    "extra-spaces-before-date": ("commit", commit(author=b"A <a@b>   1 -0700"), None),
}
GITMODULES: dict[str, tuple[bytes, str | None]] = {
    "ok": (gitmodules(b"\turl = https://example.com/m.git\n\tupdate = rebase\n"), None),
    "relative-ok": (gitmodules(b"\turl = ../m.git\n"), None),
    "url-option": (gitmodules(b"\turl = -oProxyCommand=touch$IFS/tmp/x\n"), "gitmodulesUrl"),
    "url-newline": (gitmodules(b"\turl = ./%0ahost=evil\n"), "gitmodulesUrl"),
    "url-escapes-host": (gitmodules(b"\turl = ../../../:evil.com/m\n"), "gitmodulesUrl"),
    "url-no-host": (gitmodules(b"\turl = https:///m.git\n"), "gitmodulesUrl"),
    "url-quoted": (gitmodules(b'\turl = "-quoted" ; comment\n'), "gitmodulesUrl"),
    "path-option": (b'[submodule "m"]\n\tpath = -x\n', "gitmodulesPath"),
    "update-command": (gitmodules(b"\tupdate = !rm -rf /\n"), "gitmodulesUpdate"),
    "name-dotdot": (b'[submodule "../../hooks"]\n\tpath = m\n', "gitmodulesName"),
    "bad-url-before-parse-error": (gitmodules(b"\turl = -evil\n[broken\n"), "gitmodulesUrl"),
    "parse-error-only": (b"[broken\n", None),  # gitmodulesParse is only "info"
}
#: .gitmodules lookalikes git reads as .gitmodules on some filesystem
GITMODULES_NAMES = [b".gitmodules", b".GITMODULES", b"GITMOD~1", b"gi7eba~9", b".gitmodules ...", ".gitmodules\u200d".encode()]


def git_fsck_says(tmp_path: Path, kind: str, data: bytes, extra: list[tuple[str, bytes]] = ()) -> str | None:
    """The message id git fsck --strict fails with for a repository holding this object, or None."""
    repo = tmp_path / "r"
    run_git("init", "-q", str(repo))
    for other_kind, other in [("blob", BLOB_TEXT), ("tree", b""), *extra]:
        run_git("hash-object", "-t", other_kind, "-w", "--stdin", cwd=repo, input=other)
    run_git("hash-object", "-t", kind, "--literally", "-w", "--stdin", cwd=repo, input=data)
    proc = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo, capture_output=True)
    if proc.returncode == 0:
        return None
    text = proc.stderr.decode() + proc.stdout.decode()
    ids = [line.split(":")[1].strip() for line in text.splitlines() if line.startswith("error in ")]
    return ids[0] if ids and ids[0] != "broken links" else text


def gx_says(kind: str, data: bytes, blobs: dict[str, bytes] | None = None) -> str | None:
    policy = FsckPolicy(_NoConfig(), None)
    found = verify.check_raw(verify.TREE if kind == "tree" else verify.COMMIT, data)
    problems = [p for p in found.problems if policy.refuses(p)]
    for sha, role in found.special:
        problems += [p for p in verify.check_special_blob((blobs or {})[sha.decode()], role) if policy.refuses(p)]
    return problems[0].msg_id if problems else None


class _NoConfig:
    backends: list = []

    def get_boolean(self, section: tuple, name: bytes) -> bool:
        raise KeyError(name)


@pytest.mark.parametrize("case", sorted(CASES))
def test_gx_refuses_exactly_what_git_fsck_strict_refuses(tmp_path, case):
    kind, data, expected = CASES[case]
    git = git_fsck_says(tmp_path, kind, data)
    assert (git is None) == (expected is None), git
    if git is not None and " " not in git:  # objects git cannot parse at all fail without a message id
        assert git == expected
    assert gx_says(kind, data) == expected


@pytest.mark.parametrize("case", sorted(GITMODULES))
@pytest.mark.parametrize("name", GITMODULES_NAMES, ids=lambda n: n.decode("utf-8", "replace"))
def test_gitmodules_contents_under_every_spelling(tmp_path, case, name):
    content, expected = GITMODULES[case]
    blob = subprocess.run(["git", "hash-object", "--stdin"], input=content, capture_output=True,
                          check=True).stdout.decode().strip()
    tree = entry(b"100644", name, blob)
    assert git_fsck_says(tmp_path, "tree", tree, [("blob", content)]) == expected
    assert gx_says("tree", tree, {blob: content}) == expected
