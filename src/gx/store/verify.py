"""The checks ``git fsck --strict`` makes, applied to raw objects received from another repository.

Fetched objects are someone else's input: a tree named ``.git`` or ``..``, a commit with a NUL in
its message or a malformed header would land in the local object store and make ``git fsck`` fail
there for good (fsck reads unreferenced objects too). Each check reports git's own message id
(``hasDotgit``, ``nulInCommit``, ...) so ``fsck.<id>`` / ``fetch.fsck.<id>`` settings apply as in git.
The parsers work on the raw bytes, as git's do, never on dulwich's reading of them.
"""

from __future__ import annotations

import re
from binascii import hexlify

from dulwich.objects import ShaFile

from gx.gitnames import (
    is_dotgit,
    is_dotgitattributes,
    is_dotgitmodules,
    is_ntfs_dotgit,
    is_ntfs_dotgitmodules,
    is_symlink_to_special,
)
from gx.store.fsck_types import BLOB, BROKEN, COMMIT, TAG, TREE, TYPE_NAMES, Checked, Problem  # noqa: F401 - the checks' vocabulary, re-exported
from gx.store.gitpaths import check_gitattributes, check_gitmodules
from gx.store.verify_headers import check_commit, check_tag

_S_IFMT, _S_IFDIR, _S_IFREG, _S_IFLNK, _S_IFGITLINK = 0o170000, 0o040000, 0o100000, 0o120000, 0o160000
_STANDARD_MODES = {0o100755, 0o100644, 0o120000, 0o040000, 0o160000}
_MAX_ENTRY_NAME = 4096  # git's fsck.largePathname default
_NULL_SHA = b"\0" * 20


def check_object(obj: ShaFile) -> Checked:
    """Every check git fsck --strict makes on this object alone (blobs are checked by role, later)."""
    return check_raw(obj.type_num, obj.as_raw_string())


def check_raw(type_num: int, raw: bytes) -> Checked:
    """The same for an object's type number and raw content (no dulwich parsing involved)."""
    if type_num == TREE:
        return check_tree(raw)
    if type_num in (COMMIT, TAG):
        return check_commit(raw) if type_num == COMMIT else check_tag(raw)
    return Checked()


def check_special_blob(raw: bytes, role: str) -> list[Problem]:
    """A blob that some tree names ``.gitmodules`` or ``.gitattributes`` (or a lookalike)."""
    found = check_gitmodules(raw) if role == ".gitmodules" else check_gitattributes(raw)
    return [Problem(msg_id, text) for msg_id, text in found]


def check_tree(raw: bytes) -> Checked:
    """Entry names, modes, order and duplicates, as fsck_tree in git's fsck.c."""
    plain = _check_plain_tree(raw)
    return plain if plain is not None else check_tree_entry_by_entry(raw)


#: A tree whose every entry has a mode git writes and a name no per-name rule can flag (no '/', no
#: leading dot, nothing ``_MAYBE_SPECIAL`` matches, under the length limit): matched in C at once.
_USUAL_MODES = {b"100644": 0o100644, b"100755": 0o100755, b"40000": 0o040000, b"120000": 0o120000,
                b"160000": 0o160000}
_PLAIN_NAME = rb"[^\0/.~\\\x80-\xff][^\0/~\\\x80-\xff]{0,%d}" % (_MAX_ENTRY_NAME - 1)
_PLAIN_MODE = b"|".join(_USUAL_MODES)
_PLAIN_ENTRY = re.compile(rb"(%s) (%s)\0(.{20})" % (_PLAIN_MODE, _PLAIN_NAME), re.DOTALL)
_PLAIN_TREE = re.compile(rb"(?:(?:%s) %s\0.{20})*" % (_PLAIN_MODE, _PLAIN_NAME), re.DOTALL)
_LINK_KINDS = {b"40000": TREE, b"100644": BLOB, b"100755": BLOB, b"120000": BLOB}


def _check_plain_tree(raw: bytes) -> Checked | None:
    """``check_tree``'s answer for a plain tree (the trees gx writes), found by C loops over the
    entries (no Python statement per entry); None for any other tree (checked entry by entry)."""
    if _PLAIN_TREE.fullmatch(raw) is None:
        return None
    out = Checked()
    if not raw:
        return out
    modes, names, shas = zip(*_PLAIN_ENTRY.findall(raw))
    keys = [name + b"/" if mode == b"40000" else name for mode, name in zip(modes, names)] \
        if b"40000" in modes else list(names)
    flags = []
    if len(set(names)) != len(names):
        flags.append("duplicateEntries")
    if _NULL_SHA in shas:
        flags.append("nullSha1")
    if keys != sorted(keys):
        flags.append("treeNotSorted")
    links = zip(map(hexlify, shas), map(_LINK_KINDS.get, modes), names)
    out.links.extend(links if b"160000" not in modes else (link for link in links if link[1] is not None))
    for msg_id in flags:  # in sorted order, as the entry-by-entry check reports them
        out.add(msg_id, _TREE_TEXTS[msg_id])
    return out


def check_tree_entry_by_entry(raw: bytes) -> Checked:
    """``check_tree`` for any tree: each entry parsed and checked in turn."""
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
