"""Fetching with the ``git`` binary into the quarantine (``incoming.py``), and reading back what came.

``git fetch-pack`` runs in a private repository inside the quarantine, with no refs: its object
directory is the quarantine's, the repository's own objects an alternate (bases of the thin pack,
and, through the repository's refs, the haves git offers). The repository's config is included, so
``url.*.insteadOf``, ``core.sshCommand`` and http settings apply as for the user's own ``git fetch``.
No ref of the repository moves and nothing in its object store changes until ``Quarantine.admit``.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from itertools import compress

from gx.errors import RemoteError
from gx.store import gitwire, verify
from gx.store.incoming import Quarantine

_KINDS = {b"commit": verify.COMMIT, b"tree": verify.TREE, b"blob": verify.BLOB, b"tag": verify.TAG}


def private_repository(quarantine: Quarantine, config: str) -> str:
    git_dir = os.path.join(quarantine.path, "fetch.git")
    os.makedirs(os.path.join(git_dir, "refs"))
    with open(os.path.join(git_dir, "HEAD"), "w", encoding="utf-8") as fh:
        fh.write("ref: refs/heads/gx-quarantine\n")
    with open(os.path.join(git_dir, "config"), "w", encoding="utf-8") as fh:
        include = f"[include]\n\tpath = {_quoted(config)}\n" if os.path.isfile(config) else ""
        fh.write(f"{include}[core]\n\tbare = true\n\trepositoryformatversion = 0\n")
    return git_dir


def _quoted(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_into(quarantine: Quarantine, git: str, config: str, url: str, refs: list[bytes], label: str,
               progress: gitwire.Progress | None) -> dict[bytes, bytes]:
    """Fetch the remote's ``refs`` into the quarantine; returns ``{ref: id}`` as fetched, and records
    every received object's type and the trees', commits' and tags' checks."""
    git_dir = private_repository(quarantine, config)
    main = os.path.abspath(quarantine.main.path)
    fetched = gitwire.fetch_pack(git, git_dir, quarantine.path, main, url, refs, label, progress)
    read_received(quarantine, git, git_dir)
    return fetched


def read_received(quarantine: Quarantine, git: str, git_dir: str) -> None:
    """Every received object's type (``cat-file --batch-all-objects``: only the quarantine's own, it
    lists no alternate), then the raw trees, commits and tags, each checked as git fsck would."""
    env = gitwire.clean_env(GIT_DIR=git_dir, GIT_OBJECT_DIRECTORY=quarantine.path)
    listed = subprocess.run([git, "cat-file", "--batch-all-objects", "--unordered",
                             "--batch-check=%(objectname) %(objecttype)"], env=env, capture_output=True)
    if listed.returncode:
        raise RemoteError(f"cannot read what was fetched: {listed.stderr.decode('utf-8', 'replace').strip()}")
    types = _listed_types(listed.stdout)
    objects = _contents(git, env, list(compress(types, map(verify.BLOB.__ne__, types.values()))))
    quarantine.types.update(types)  # while git reads the objects
    checked, commits = quarantine.checked, quarantine.commits
    for sha, type_num, raw in objects:
        checked[sha] = verify.check_raw(type_num, raw)
        if type_num == verify.COMMIT:
            commits[sha] = raw


def _listed_types(listing: bytes) -> dict[bytes, int]:
    """``{id: type}`` from ``<id> <type>`` lines (split in C: 110,000 lines at 10k runs); a line of
    another shape is left out."""
    fields = listing.split()
    ids, kinds = fields[0::2], fields[1::2]
    numbers = list(map(_KINDS.get, kinds))
    if len(ids) != len(kinds) or None in numbers or set(map(len, ids)) - {40}:
        lines = [line.split(b" ") for line in listing.splitlines()]
        return {parts[0]: _KINDS[parts[1]] for parts in lines
                if len(parts) == 2 and len(parts[0]) == 40 and parts[1] in _KINDS}
    return dict(zip(ids, numbers))


_CHUNK = 1 << 20


def _contents(git: str, env: dict[str, str], ids: list[bytes]) -> Iterator[tuple[bytes, int, bytes]]:
    """``(id, type, raw)`` of each object through one ``git cat-file --batch``, started now and fed
    from a thread (``--buffer``: git writes in blocks, not once an object)."""
    if not ids:
        return iter(())
    proc = subprocess.Popen([git, "cat-file", "--batch", "--buffer"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)

    def feed() -> None:
        try:
            proc.stdin.write(b"\n".join(ids) + b"\n")  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    return _cut(proc, writer, len(ids))


def _cut(proc: subprocess.Popen[bytes], writer: threading.Thread, count: int) -> Iterator[tuple[bytes, int, bytes]]:
    """``count`` objects from ``cat-file --batch``'s output, read a megabyte at a time and cut into
    objects as it comes."""
    out = proc.stdout
    buffer, pos, left = b"", 0, count
    try:
        while left:
            newline = buffer.find(b"\n", pos)
            header = buffer[pos:newline].split() if newline >= 0 else []
            size = int(header[2]) if len(header) == 3 and header[2].isdigit() else -1
            end = newline + 1 + size
            if newline < 0 or (size >= 0 and end >= len(buffer)):  # the object is not all here yet
                more = out.read1(max(_CHUNK, end + 1 - len(buffer) + pos))  # type: ignore[union-attr]
                if not more:
                    raise RemoteError("cannot read what was fetched: git cat-file stopped early")
                buffer, pos = buffer[pos:] + more, 0
                continue
            if size < 0 or header[1] not in _KINDS:
                raise RemoteError(f"cannot read what was fetched: {buffer[pos:newline].decode('utf-8', 'replace')}")
            yield header[0], _KINDS[header[1]], buffer[newline + 1:end]
            pos, left = end + 1, left - 1
    finally:
        writer.join()
        out.close()  # type: ignore[union-attr]
        proc.wait()
