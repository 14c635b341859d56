"""The checks ``git fsck --strict`` makes, run on every tree and commit gx builds before a ref moves.

A server with ``receive.fsckObjects`` (GitHub) refuses a push carrying one bad object, and every
later push with it; so gx refuses to build one, naming the path, instead of finding out there.
The rules are git's (``fsck.c`` ``fsck_tree``/``fsck_commit``/``fsck_ident``). gx is stricter in one
place: it never writes a ``.gitmodules`` or ``.gitattributes`` (in any spelling), where git would
parse the blob and refuse only bad content.
"""

from __future__ import annotations

from dulwich.errors import ObjectFormatException
from dulwich.objects import Commit, Tree, check_hexsha, check_identity

from gx.errors import BadName
from gx.gitnames import reserved_by_git

#: git fsck's default ``fsck.largePathname``: longer tree entry names are refused.
MAX_ENTRY_NAME_BYTES = 4096
#: The modes fsck --strict accepts (0100664 is accepted without --strict only).
STRICT_MODES = frozenset({0o100644, 0o100755, 0o120000, 0o040000, 0o160000})
_SYMLINK = 0o120000
_NULL_SHA = b"0" * 40


def entry_problem(name: bytes, mode: int) -> str | None:
    """What fsck --strict says about one tree entry, or None when it is fine."""
    if not name:
        return "an empty name"
    if b"/" in name or b"\0" in name:
        return "a name holding '/' or NUL"
    if name in (b".", b".."):
        return f"the name {name.decode()!r}"
    if len(name) > MAX_ENTRY_NAME_BYTES:
        return f"a name of {len(name):,} bytes (git's limit is {MAX_ENTRY_NAME_BYTES:,})"
    if mode not in STRICT_MODES:
        return f"mode {mode:06o}"
    text = name.decode("utf-8", "surrogateescape")
    reserved = reserved_by_git(text)
    if reserved in (".git", ".gitmodules", ".gitattributes"):
        return f"a name git reads as {reserved!r} on some filesystems"
    if reserved is not None and mode == _SYMLINK:
        return f"a symlink git reads as {reserved!r}"
    return None


def check_tree(tree: Tree, where: str = "", content_checked: bytes | None = None) -> None:
    """Refuse a tree fsck --strict would flag; ``where`` is its path in the commit, for the message.
    ``content_checked`` names an exact ``.gitattributes`` file whose content passed fsck's blob checks
    (a run's marks for its LFS artifacts, issue 14): that name alone is allowed as a regular file."""
    for entry in tree.iteritems():
        allowed = entry.path == content_checked == b".gitattributes" and entry.mode == 0o100644
        problem = None if allowed else entry_problem(entry.path, entry.mode)
        if problem is None and entry.sha == _NULL_SHA:
            problem = "an entry pointing at the null object id"
        if problem is not None:
            path = where + entry.path.decode("utf-8", "replace")
            raise BadName(f"refusing to write {path!r}: git fsck refuses {problem}")


def check_commit(commit: Commit) -> None:
    """Refuse a commit fsck --strict would flag: NUL anywhere (nulInCommit), a malformed header,
    identity or date. Every field gx puts there is checked at its source; this is the last line."""
    subject = commit.message.split(b"\n", 1)[0][:60].decode("utf-8", "replace")
    what = f"commit {subject!r}"
    if b"\0" in commit.as_raw_string():
        raise BadName(f"refusing to write {what}: git fsck refuses NUL in a commit")
    try:  # what fsck_commit reads: the tree and parent ids, then author and committer (fsck_ident)
        for sha in (commit.tree, *commit.parents):
            check_hexsha(sha, f"bad object id {sha!r}")
        check_identity(commit.author, "bad author")
        check_identity(commit.committer, "bad committer")
    except ObjectFormatException as exc:
        raise BadName(f"refusing to write {what}: {exc}") from None
    for when, tz in ((commit.author_time, commit.author_timezone), (commit.commit_time, commit.commit_timezone)):
        if not 0 <= when < 2**63 or not -100 * 3600 < tz < 100 * 3600:
            raise BadName(f"refusing to write {what}: git fsck refuses the date {when} {tz:+d}")
