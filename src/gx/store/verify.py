"""The checks ``git fsck --strict`` makes, applied to raw objects received from another repository.

Fetched objects are someone else's input: a tree named ``.git`` or ``..``, a commit with a NUL in
its message or a malformed header would land in the local object store and make ``git fsck`` fail
there for good (fsck reads unreferenced objects too). Each check reports git's own message id
(``hasDotgit``, ``nulInCommit``, ...) so ``fsck.<id>`` / ``fetch.fsck.<id>`` settings apply as in git.
The parsers work on the raw bytes, as git's do, never on dulwich's reading of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dulwich.objects import ShaFile

from gx.store.gitpaths import (
    check_gitattributes,
    check_gitmodules,
    is_dotgit,
    is_dotgitattributes,
    is_dotgitmodules,
    is_ntfs_dotgit,
    is_ntfs_dotgitmodules,
    is_symlink_to_special,
)

COMMIT, TREE, BLOB, TAG = 1, 2, 3, 4
TYPE_NAMES = {COMMIT: "commit", TREE: "tree", BLOB: "blob", TAG: "tag"}
#: Problems no setting can allow: the object graph itself is broken (git fsck reports these as
#: "broken link" / "missing" / a wrong type, not as a message id).
BROKEN = "brokenLink"
_S_IFMT, _S_IFDIR, _S_IFREG, _S_IFLNK, _S_IFGITLINK = 0o170000, 0o040000, 0o100000, 0o120000, 0o160000
_STANDARD_MODES = {0o100755, 0o100644, 0o120000, 0o040000, 0o160000}
_MAX_ENTRY_NAME = 4096  # git's fsck.largePathname default
_NULL_SHA = b"\0" * 20


@dataclass(frozen=True)
class Problem:
    msg_id: str  # git's fsck message id (or BROKEN)
    text: str  # what is wrong, for one line of output

    def __str__(self) -> str:
        return f"{self.text} ({self.msg_id})"


@dataclass
class Checked:
    """One object's problems, and the objects it points at: ``(hex id, expected type, entry name)``
    (the name is empty for a commit's tree and parents)."""

    problems: list[Problem] = field(default_factory=list)
    links: list[tuple[bytes, int, bytes]] = field(default_factory=list)
    special: list[tuple[bytes, str]] = field(default_factory=list)  # blobs read as .gitmodules/.gitattributes

    def add(self, msg_id: str, text: str) -> None:
        self.problems.append(Problem(msg_id, text))


def check_object(obj: ShaFile) -> Checked:
    """Every check git fsck --strict makes on this object alone (blobs are checked by role, later)."""
    return check_raw(obj.type_num, obj.as_raw_string())


def check_raw(type_num: int, raw: bytes) -> Checked:
    """The same for an object's type number and raw content (no dulwich parsing involved)."""
    if type_num == TREE:
        return check_tree(raw)
    if type_num == COMMIT:
        return check_commit(raw)
    return Checked()


def check_special_blob(raw: bytes, role: str) -> list[Problem]:
    """A blob that some tree names ``.gitmodules`` or ``.gitattributes`` (or a lookalike)."""
    found = check_gitmodules(raw) if role == ".gitmodules" else check_gitattributes(raw)
    return [Problem(msg_id, text) for msg_id, text in found]


def check_tree(raw: bytes) -> Checked:
    """Entry names, modes, order and duplicates, as fsck_tree in git's fsck.c."""
    out = Checked()
    flags: set[str] = set()
    names: set[bytes] = set()
    links = out.links
    last_key = b""
    pos, size = 0, len(raw)
    while pos < size:
        space = raw.find(b" ", pos)
        nul = raw.find(b"\0", space + 1) if space > pos else -1
        if nul < 0 or nul + 21 > size:
            out.add("badTree", "cannot be parsed as a tree")
            return out
        mode_text, name, sha = raw[pos:space], raw[space + 1:nul], raw[nul + 1:nul + 21]
        pos = nul + 21
        mode = _USUAL_MODES.get(mode_text) or _unusual_mode(mode_text, flags)
        if mode is None or not name:
            out.add("badTree", "cannot be parsed as a tree" + ("" if name else " (empty filename in tree entry)"))
            return out
        if b"/" in name or len(name) > _MAX_ENTRY_NAME or _MAYBE_SPECIAL.search(name):
            _name_flags(name, mode, flags, out, sha.hex().encode())
        if sha == _NULL_SHA:
            flags.add("nullSha1")
        if name in names:
            flags.add("duplicateEntries")
        names.add(name)
        kind = mode & _S_IFMT
        key = name + b"/" if kind == _S_IFDIR else name
        if last_key > key:
            flags.add("treeNotSorted")
        last_key = key
        if kind == _S_IFDIR:
            links.append((sha.hex().encode(), TREE, name))
        elif kind in (_S_IFREG, _S_IFLNK):
            links.append((sha.hex().encode(), BLOB, name))
        elif kind != _S_IFGITLINK:
            out.add(BROKEN, f"entry {show_name(name)} has mode {mode:06o}, which is no kind of object")
    for msg_id in sorted(flags):
        out.add(msg_id, _TREE_TEXTS[msg_id])
    return out


_USUAL_MODES = {b"100644": 0o100644, b"100755": 0o100755, b"40000": 0o040000, b"120000": 0o120000,
                b"160000": 0o160000}


def _unusual_mode(text: bytes, flags: set[str]) -> int | None:
    """A mode git writes otherwise never: octal digits (else None: not a tree), kept to 16 bits."""
    if not text or not text.isdigit() or b"8" in text or b"9" in text:
        return None
    mode = int(text, 8) & 0xFFFF
    if text.startswith(b"0"):
        flags.add("zeroPaddedFilemode")
    if mode not in _STANDARD_MODES:
        flags.add("badFilemode")
    return mode


_TREE_TEXTS = {
    "nullSha1": "contains entries pointing to null sha1", "fullPathname": "contains full pathnames",
    "emptyName": "contains empty pathname", "hasDot": "contains '.'", "hasDotdot": "contains '..'",
    "hasDotgit": "contains '.git'", "zeroPaddedFilemode": "contains zero-padded file modes",
    "badFilemode": "contains bad file modes", "duplicateEntries": "contains duplicate file entries",
    "treeNotSorted": "not properly sorted", "largePathname": "contains excessively large pathname",
}


#: Only these names can be '.', '..' or a spelling of '.git', '.gitmodules'... on some filesystem:
#: a leading dot, a short-name tilde, a backslash, or non-ASCII (code points HFS+ ignores).
_MAYBE_SPECIAL = re.compile(rb"^\.|[~\\\x80-\xff]")


def _name_flags(name: bytes, mode: int, flags: set[str], out: Checked, sha: bytes) -> None:
    """The per-name rules: '/', '.', '..', '.git' and its NTFS/HFS+ spellings, special files."""
    if b"/" in name:
        flags.add("fullPathname")
    if len(name) > _MAX_ENTRY_NAME:
        flags.add("largePathname")
    if not _MAYBE_SPECIAL.search(name):
        return
    if name == b".":
        flags.add("hasDot")
    elif name == b"..":
        flags.add("hasDotdot")
    if is_dotgit(name):
        flags.add("hasDotgit")
    symlink = mode & _S_IFMT == _S_IFLNK
    if is_dotgitmodules(name):
        _special(out, sha, ".gitmodules", symlink, "gitmodulesSymlink")
    if is_dotgitattributes(name):
        _special(out, sha, ".gitattributes", symlink, "gitattributesSymlink")
    if symlink:
        for msg_id in is_symlink_to_special(name):
            out.add(msg_id, f"{show_name(name)} is a symbolic link")
    rest = name
    while b"\\" in rest:  # NTFS reads a backslash as a directory separator
        rest = rest.split(b"\\", 1)[1]
        if is_ntfs_dotgit(rest):
            flags.add("hasDotgit")
        if is_ntfs_dotgitmodules(rest):
            _special(out, sha, ".gitmodules", symlink, "gitmodulesSymlink")


def _special(out: Checked, sha: bytes, role: str, symlink: bool, symlink_id: str) -> None:
    if symlink:
        out.add(symlink_id, f"{role} is a symbolic link")
    else:
        out.special.append((sha, role))


def show_name(name: bytes) -> str:
    return repr(name.decode("utf-8", "backslashreplace"))


def check_commit(raw: bytes) -> Checked:
    """Header order and form, identities, dates and NUL bytes, as fsck_commit in git's fsck.c."""
    out = Checked()
    end_of_header = raw.find(b"\n\n")
    header = raw if end_of_header < 0 else raw[:end_of_header + 1]
    nul = header.find(b"\0")
    if nul >= 0:
        out.add("nulInHeader", f"unterminated header: NUL at offset {nul}")
        return out
    if end_of_header < 0 and not raw.endswith(b"\n"):
        out.add("unterminatedHeader", "unterminated header")
        return out
    lines = header.split(b"\n")
    i = 0
    if not lines[i].startswith(b"tree "):
        out.add("missingTree", "invalid format - expected 'tree' line")
        return out
    if not _is_hex_id(lines[i][5:]):
        out.add("badTreeSha1", "invalid 'tree' line format - bad sha1")
    else:
        out.links.append((lines[i][5:].lower(), TREE, b""))
    i += 1
    while lines[i].startswith(b"parent "):
        if not _is_hex_id(lines[i][7:]):
            out.add("badParentSha1", "invalid 'parent' line format - bad sha1")
        else:
            out.links.append((lines[i][7:].lower(), COMMIT, b""))
        i += 1
    authors = 0
    while lines[i].startswith(b"author "):
        authors += 1
        if not _ident(lines[i][7:], out):
            return out
        i += 1
    if authors != 1:
        out.add("missingAuthor" if not authors else "multipleAuthors",
                "invalid format - " + ("expected 'author' line" if not authors else "multiple 'author' lines"))
        return out
    if not lines[i].startswith(b"committer "):
        out.add("missingCommitter", "invalid format - expected 'committer' line")
        return out
    if _ident(lines[i][10:], out) and b"\0" in raw:
        out.add("nulInCommit", "NUL byte in the commit object body")
    return out


def _is_hex_id(text: bytes) -> bool:
    return _HEX_ID.fullmatch(text) is not None


_HEX_ID = re.compile(rb"[0-9a-fA-F]{40}")


_IDENT_TEXTS = {
    "missingNameBeforeEmail": "missing space before email", "missingEmail": "missing email",
    "badName": "bad name", "missingSpaceBeforeEmail": "missing space before email", "badEmail": "bad email",
    "missingSpaceBeforeDate": "missing space before date", "badDate": "bad date",
    "zeroPaddedDate": "zero-padded date", "badDateOverflow": "date causes integer overflow",
    "badTimezone": "bad time zone",
}


def _ident(line: bytes, out: Checked) -> bool:
    """``Name <email> 1234567890 +0000``, as fsck_ident; reports the first problem."""
    msg_id = _ident_problem(line)
    if msg_id:
        out.add(msg_id, f"invalid author/committer line - {_IDENT_TEXTS[msg_id]}")
    return msg_id is None


def _ident_problem(line: bytes) -> str | None:
    if line.startswith(b"<"):
        return "missingNameBeforeEmail"
    lt, gt = line.find(b"<"), line.find(b">")
    if lt < 0 and gt < 0:
        return "missingEmail"
    if gt >= 0 and (lt < 0 or gt < lt):
        return "badName"
    if line[lt - 1:lt] != b" ":
        return "missingSpaceBeforeEmail"
    close = line.find(b">", lt + 1)
    if close < 0 or b"<" in line[lt + 1:close]:
        return "badEmail"
    rest = line[close + 1:]
    if not rest.startswith(b" "):
        return "missingSpaceBeforeDate"
    rest = rest[1:].lstrip(b" \t")
    digits = len(rest) - len(rest.lstrip(b"0123456789"))
    if not digits:
        return "badDate"
    if rest.startswith(b"0") and rest[1:2] != b" ":
        return "zeroPaddedDate"
    if int(rest[:digits]) >= 2**63 - 1:
        return "badDateOverflow"
    if rest[digits:digits + 1] != b" ":
        return "badDate"
    zone = rest[digits + 1:]
    if len(zone) != 5 or zone[:1] not in (b"+", b"-") or not zone[1:].isdigit():
        return "badTimezone"
    return None
