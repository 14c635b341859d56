"""Names git gives a meaning of its own, in every spelling a filesystem treats as the same name.

``git fsck`` refuses a tree entry that NTFS or HFS+ would open as ``.git`` (hasDotgit), and reads a
``.gitmodules`` or ``.gitattributes`` lookalike as that file. These are git's rules (``path.c``
``is_ntfs_dotgit``/``is_ntfs_dot_generic`` and ``utf8.c`` ``is_hfs_dot_generic``), written for
Python strings; pure Python, so the API can refuse an artifact name at the call.
"""

from __future__ import annotations

# Code points HFS+ ignores when it compares names: '.g\u200cit' opens '.git' on a Mac.
_HFS_IGNORED = frozenset(
    [0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
     0x206A, 0x206B, 0x206C, 0x206D, 0x206E, 0x206F, 0xFEFF]
)
# A file git reads for itself -> the first six letters of its NTFS fallback short name (git's table).
_SPECIAL_FILES = {"gitmodules": "gi7eba", "gitattributes": "gi7d29", "gitignore": "gi250a", "mailmap": "maba30"}


def _lower_ascii(c: str) -> str:
    return c.lower() if c < "\x80" else c


def _only_dots_and_spaces(rest: str, stop: str) -> bool:
    """NTFS trims trailing dots and spaces: the name ends here, or at a character in ``stop``."""
    for c in rest:
        if c in stop:
            return True
        if c not in ". ":
            return False
    return True


def is_ntfs_dotgit(name: str) -> bool:
    """``.git`` or its short name ``git~1``, with trailing dots/spaces or an NTFS stream (``:``)."""
    low = "".join(_lower_ascii(c) for c in name[:5])
    if low.startswith(".git"):
        rest = name[4:]
    elif low == "git~1":
        rest = name[5:]
    else:
        return False
    return _only_dots_and_spaces(rest, "/\\:")


def is_ntfs_dot(name: str, special: str) -> bool:
    """``.<special>`` as NTFS opens it: the name itself, ``gitmod~1``..``~4``, or the fallback ``gi7eba~N``."""
    prefix = _SPECIAL_FILES[special]
    low = "".join(_lower_ascii(c) for c in name[: len(special) + 1])
    if low == "." + special:
        return _only_dots_and_spaces(name[len(special) + 1 :], ":")
    if low[:6] == special[:6] and name[6:7] == "~" and "1" <= name[7:8] <= "4":
        return _only_dots_and_spaces(name[8:], ":")
    i, saw_tilde = 0, False
    while i < 8:
        if i >= len(name):
            return False
        c = name[i]
        if saw_tilde:
            if not "0" <= c <= "9":
                return False
        elif c == "~":
            i += 1
            if i >= len(name) or not "1" <= name[i] <= "9":
                return False
            saw_tilde = True
        elif i >= 6 or c >= "\x80" or c.lower() != prefix[i]:
            return False
        i += 1
    return _only_dots_and_spaces(name[8:], ":")


def is_hfs_dot(name: str, needle: str) -> bool:
    """``.<needle>`` as HFS+ compares names: ignorable code points skipped, ASCII case folded."""
    kept = [c for c in name if ord(c) not in _HFS_IGNORED]
    end = kept.index("/") if "/" in kept else len(kept)
    if end != len(needle) + 1 or kept[0] != ".":
        return False
    return all(c < "\x80" and c.lower() == n for c, n in zip(kept[1:end], needle))


def dotgit_lookalike(name: str) -> bool:
    """Would a checkout on any filesystem write into ``.git`` through this name (fsck: hasDotgit)?"""
    if is_hfs_dot(name, "git") or is_ntfs_dotgit(name):
        return True
    parts = name.split("\\")  # fsck also reads each backslash-separated part as an NTFS name
    return any(is_ntfs_dotgit(part) for part in parts[1:])


def special_file_lookalike(name: str) -> str | None:
    """The git file (``.gitmodules``, ``.gitattributes``, ``.gitignore``, ``.mailmap``) a filesystem
    would take this name for, if any: fsck parses such blobs, or refuses them as symlinks."""
    parts = name.split("\\")
    for special in _SPECIAL_FILES:
        if is_hfs_dot(name, special) or any(is_ntfs_dot(part, special) for part in parts):
            return "." + special
    return None


def reserved_by_git(name: str) -> str | None:
    """Why git reserves this one path component (``None`` when it does not): what it would be taken for."""
    if not name.isascii() or "~" in name or "\\" in name or name.startswith("."):
        if dotgit_lookalike(name):
            return ".git"
        return special_file_lookalike(name)
    return None
