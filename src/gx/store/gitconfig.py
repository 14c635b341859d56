"""The repository's git config: readers through dulwich, and marked lines edited as text.

``gx remote setup`` edits ``.git/config`` as text, not through dulwich's writer, so that its undo
removes exactly the lines it added (each ends in ``# <mark>``) and restores the file byte for byte.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from io import BytesIO
from typing import TYPE_CHECKING

from dulwich.config import ConfigFile

from gx.errors import BadFile, RemoteError
from gx.limits import read_regular_file

if TYPE_CHECKING:
    from gx.store.repo import Store


def remote_names(store: Store) -> list[str]:
    return remotes_in(store.repo.get_config())


def remotes_in(config: ConfigFile) -> list[str]:
    """The remotes a config names (``[remote "<name>"]`` sections)."""
    return [s[1].decode("utf-8", "replace") for s in config.sections() if len(s) == 2 and s[0] == b"remote"]


def config_values(store: Store, section: tuple[str, ...], key: str) -> list[str]:
    """Every value of a key in the repository's own config."""
    return values_in(store.repo.get_config(), section, key)


def values_in(config: ConfigFile, section: tuple[str, ...], key: str) -> list[str]:
    """Every value of a key in a config as read."""
    try:
        values = config.get_multivar(tuple(s.encode() for s in section), key.encode())
        return [v.decode("utf-8", "replace") for v in values]
    except KeyError:
        return []


def config_value(store: Store, section: tuple[str, ...], key: str) -> str | None:
    """A key's effective value across repository, global and system config."""
    try:
        return store.repo.get_config_stack().get(tuple(s.encode() for s in section), key.encode()).decode()
    except KeyError:
        return None


# -- editing .git/config as text, so that undo restores it byte for byte --------------------
_REMOTE_HEADER = re.compile(r'^\s*\[\s*remote\s+"((?:[^"\\]|\\.)*)"\s*\]')
_ANY_HEADER = re.compile(r"^\s*\[")


def _sections(lines: list[str], remote: str) -> Iterator[tuple[int, int]]:
    """(start, end) line ranges of every ``[remote "<remote>"]`` section."""
    for i, line in enumerate(lines):
        match = _REMOTE_HEADER.match(line)
        if match and re.sub(r"\\(.)", r"\1", match.group(1)) == remote:
            end = next((j for j in range(i + 1, len(lines)) if _ANY_HEADER.match(lines[j])), len(lines))
            yield i, end


def add_config_lines(path: str, remote: str, entries: list[tuple[str, str]], mark: str) -> None:
    """Append ``key = value # mark`` lines at the end of the remote's section, as git config --add does."""
    lines = _read_lines(path)
    ranges = list(_sections(lines, remote))
    if not ranges:
        raise RemoteError(f"no [remote \"{remote}\"] section in {path}")
    start, end = ranges[-1]
    at = max((j for j in range(start, end) if lines[j].strip() and not lines[j].lstrip().startswith(("#", ";"))),
             default=start) + 1
    if not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines[at:at] = [f"\t{key} = {value} # {mark}\n" for key, value in entries]
    _write_locked(path, "".join(lines))


def remove_config_lines(path: str, remote: str, mark: str) -> list[tuple[str, str]]:
    """Remove the remote's lines ending in ``# mark``; returns their ``(key, value)``."""
    lines = _read_lines(path)
    ours = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*?)\s*#\s*" + re.escape(mark) + r"\s*$")
    drop: dict[int, tuple[str, str]] = {}
    for start, end in _sections(lines, remote):
        for j in range(start + 1, end):
            match = ours.match(lines[j])
            if match:
                drop[j] = (match.group(1), match.group(2))
    if drop:
        _write_locked(path, "".join(line for j, line in enumerate(lines) if j not in drop))
    return list(drop.values())


def _read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read().splitlines(keepends=True)


def _write_locked(path: str, text: str) -> None:
    """Write through ``config.lock`` and rename, git's own locking protocol."""
    lock = path + ".lock"
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise RemoteError(f"{lock} exists: another git process is changing the config; retry") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        mode = os.stat(path).st_mode & 0o7777
        os.chmod(lock, mode)
        os.replace(lock, path)
    except BaseException:
        if os.path.exists(lock):
            os.unlink(lock)
        raise


def file_config_value(path: str, section: tuple[str, ...], key: str, limit: int = 1024 * 1024) -> str | None:
    """A key's value in a git-config-format file from the work tree (``.lfsconfig``), read bounded;
    None when the file or the key is absent, unreadable or malformed."""
    try:
        config = ConfigFile.from_file(BytesIO(read_regular_file(path, limit, "LFS config")))
        return config.get(tuple(s.encode() for s in section), key.encode()).decode("utf-8", "replace")
    except (BadFile, KeyError, ValueError):
        return None
