"""Names git gives a meaning of its own, in every spelling a filesystem treats as the same name.

``git fsck`` refuses a tree entry that NTFS or HFS+ would open as ``.git`` (hasDotgit), and reads a
``.gitmodules`` or ``.gitattributes`` lookalike as that file. These are git's rules (``path.c``
``is_ntfs_dotgit``/``is_ntfs_dot_generic`` and ``utf8.c`` ``is_hfs_dot_generic``) on raw entry names;
pure Python, so the API refuses an artifact name at the call with the same rules the store applies to
what it writes and what it receives (``gx.store.fsck``, ``gx.store.verify``).
"""

from __future__ import annotations

from collections.abc import Iterator

#: Code points HFS+ ignores when it compares names (is_hfs_dotgit in git's utf8.c).
_HFS_IGNORED = {0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF}
#: name -> the 8.3 short-name prefix NTFS may give it (git's path.c).
_NTFS_SHORT = {b"gitmodules": b"gi7eba", b"gitignore": b"gi250a", b"gitattributes": b"gi7d29",
               b"mailmap": b"maba30"}


def _hfs_chars(name: bytes) -> Iterator[int]:
    """Code points as HFS+ compares them; malformed UTF-8 ends the name, as in git."""
    for ch in name.decode("utf-8", "surrogateescape"):
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            return
        if cp not in _HFS_IGNORED:
            yield cp


def _is_hfs_dot(name: bytes, needle: bytes) -> bool:
    chars = _hfs_chars(name)
    if next(chars, 0) != ord("."):
        return False
    for want in needle:
        c = next(chars, 0)
        if c > 127 or chr(c).lower() != chr(want):
            return False
    return next(chars, 0) in (0, ord("/"))


def _only_spaces_and_periods(name: bytes, start: int) -> bool:
    for c in name[start:]:
        if c == ord(":"):
            return True
        if c not in b" .":
            return False
    return True


def is_ntfs_dotgit(name: bytes) -> bool:
    """``.git`` or ``git~1``, any case, with trailing spaces, periods or an alternate stream."""
    lower = name.lower()
    if lower.startswith(b".git"):
        rest = name[4:]
    elif lower.startswith(b"git~1"):
        rest = name[5:]
    else:
        return False
    for c in rest:
        if c in b"/\\:":
            return True
        if c not in b". ":
            return False
    return True


def _is_ntfs_dot(name: bytes, dotname: bytes) -> bool:
    """``.<dotname>``, its ``~1``..``~4`` short name, or its hashed 8.3 fallback (is_ntfs_dot_generic)."""
    lower = name.lower()
    if lower[:1] == b"." and lower[1:1 + len(dotname)] == dotname:
        return _only_spaces_and_periods(name, len(dotname) + 1)
    if lower[:6] == dotname[:6] and name[6:7] == b"~" and b"1" <= name[7:8] <= b"4":
        return _only_spaces_and_periods(name, 8)
    prefix, i, saw_tilde = _NTFS_SHORT[dotname], 0, False
    while i < 8:
        if i >= len(name):
            return False
        c = name[i]
        if saw_tilde:
            if not 0x30 <= c <= 0x39:
                return False
        elif c == ord("~"):
            i += 1
            if i >= len(name) or not 0x31 <= name[i] <= 0x39:
                return False
            saw_tilde = True
        elif i >= 6 or c & 0x80 or chr(c).lower() != chr(prefix[i]):
            return False
        i += 1
    return _only_spaces_and_periods(name, 8)


def is_dotgit(name: bytes) -> bool:
    return _is_hfs_dot(name, b"git") or is_ntfs_dotgit(name)


def is_ntfs_dotgitmodules(name: bytes) -> bool:
    return _is_ntfs_dot(name, b"gitmodules")


def is_dotgitmodules(name: bytes) -> bool:
    return _is_hfs_dot(name, b"gitmodules") or _is_ntfs_dot(name, b"gitmodules")


def is_dotgitattributes(name: bytes) -> bool:
    return _is_hfs_dot(name, b"gitattributes") or _is_ntfs_dot(name, b"gitattributes")


def is_symlink_to_special(name: bytes) -> list[str]:
    """The fsck ids for a symbolic link named like ``.gitignore`` or ``.mailmap``."""
    out = []
    if _is_hfs_dot(name, b"gitignore") or _is_ntfs_dot(name, b"gitignore"):
        out.append("gitignoreSymlink")
    if _is_hfs_dot(name, b"mailmap") or _is_ntfs_dot(name, b"mailmap"):
        out.append("mailmapSymlink")
    return out


def dotgit_lookalike(name: str) -> bool:
    """Would a checkout on any filesystem write into ``.git`` through this name (fsck: hasDotgit)?"""
    raw = name.encode("utf-8", "surrogateescape")
    return is_dotgit(raw) or any(is_ntfs_dotgit(part) for part in raw.split(b"\\")[1:])


def special_file_lookalike(name: str) -> str | None:
    """The git file (``.gitmodules``, ``.gitattributes``, ``.gitignore``, ``.mailmap``) a filesystem
    would take this name for, if any: fsck parses such blobs, or refuses them as symlinks."""
    raw = name.encode("utf-8", "surrogateescape")
    parts = raw.split(b"\\")
    for special in _NTFS_SHORT:
        if _is_hfs_dot(raw, special) or any(_is_ntfs_dot(part, special) for part in parts):
            return "." + special.decode()
    return None


def reserved_by_git(name: str) -> str | None:
    """Why git reserves this one path component (``None`` when it does not): what it would be taken for."""
    if not name.isascii() or "~" in name or "\\" in name or name.startswith("."):
        if dotgit_lookalike(name):
            return ".git"
        return special_file_lookalike(name)
    return None
