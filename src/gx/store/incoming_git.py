"""Fetching with the ``git`` binary into the quarantine (``incoming.py``), and reading back what came.

``git fetch-pack`` runs in a private repository inside the quarantine, with no refs: its object
directory is the quarantine's, the repository's own objects an alternate (bases of the thin pack,
and, through the repository's refs, the haves git offers). The repository's config is included, so
``url.*.insteadOf``, ``core.sshCommand`` and http settings apply as for the user's own ``git fetch``.
No ref of the repository moves and nothing in its object store changes until ``Quarantine.admit``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from itertools import compress

from gx.errors import RemoteError
from gx.store import gitwire, verify
from gx.store.incoming import Quarantine, Vouched

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
    lists no alternate), then the raw trees, commits and tags, each checked as git fsck would. A
    large fetch has a forked helper check 11/16 of its trees on the other core (``_Helper``)."""
    env = gitwire.clean_env(GIT_DIR=git_dir, GIT_OBJECT_DIRECTORY=quarantine.path)
    listed = subprocess.run([git, "cat-file", "--batch-all-objects", "--unordered",
                             "--batch-check=%(objectname) %(objecttype)"], env=env, capture_output=True)
    if listed.returncode:
        raise RemoteError(f"cannot read what was fetched: {listed.stderr.decode('utf-8', 'replace').strip()}")
    types = _listed_types(listed.stdout)
    ids = list(compress(types, map(verify.BLOB.__ne__, types.values())))
    split_at = _split_at()
    # fork only a process with no other thread: one of those could hold a lock the helper then needs
    alone = hasattr(os, "fork") and threading.active_count() == 1
    helper = _Helper.start(git, env, ids, types) if alone and split_at and len(ids) >= split_at else None
    if helper is not None:
        ids = [sha for sha in ids if sha not in helper.share]
    objects = _contents(git, env, ids)
    quarantine.types.update(types)  # while git reads the objects
    try:
        _check_into(quarantine, objects)
    except BaseException:
        if helper is not None:
            helper.abandon()
        raise
    if helper is not None:
        quarantine.vouch(helper.result(), lambda: _check_into(quarantine, _contents(git, env, helper.ids)))


def _check_into(quarantine: Quarantine, objects: Iterator[tuple[bytes, int, bytes]]) -> None:
    checked, commits = quarantine.checked, quarantine.commits
    for sha, type_num, raw in objects:
        checked[sha] = verify.check_raw(type_num, raw)
        if type_num == verify.COMMIT:
            commits[sha] = raw


#: Trees, commits and tags received from which a helper process checks a share of the trees
#: (``GX_SPLIT_CHECKS=N`` sets it; 0: never).
SPLIT_AT = 6000


def _split_at() -> int:
    raw = os.environ.get("GX_SPLIT_CHECKS", "").strip()
    return int(raw) if raw.isdigit() else SPLIT_AT


#: The trees a helper checks: those whose id starts with one of these (11 of 16: it is slower to start).
_SHARE = frozenset(b"0123456789a")


class _Helper:
    """A forked process that checks a share of the received trees on the other core and answers with
    a verdict only: the links to objects not received as the type named (the parent checks those
    against the repository) and every id its trees name — or nothing, when any of its trees has a
    problem, a blob to read by its role, or cannot be read: the parent then checks that share itself
    and the quarantine's walk has every object's links, as without a helper. Results of the checks
    themselves never cross (pickling them costs more than checking)."""

    def __init__(self, pid: int, fd: int, ids: list[bytes]) -> None:
        self.pid, self._fd, self.ids, self.share = pid, fd, ids, frozenset(ids)

    @classmethod
    def start(cls, git: str, env: dict[str, str], ids: list[bytes], types: dict[bytes, int]) -> _Helper | None:
        share = [sha for sha in ids if sha[0] in _SHARE and types[sha] == verify.TREE]
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        if pid == 0:  # the helper: no return from here
            code = 1
            try:
                os.close(read)
                answer = _vouch(git, env, share, types)
                with os.fdopen(write, "wb") as out:
                    out.write(answer)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        return cls(pid, read, share)

    def abandon(self) -> None:
        """Stop the helper and reap it (the parent's own checks failed: its verdict is not needed)."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        os.close(self._fd)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)

    def result(self) -> Vouched | None:
        """The helper's verdict, once it has ended; None: the parent checks the share itself."""
        import pickle  # (the helper's answer only: a large fetch's)

        with os.fdopen(self._fd, "rb") as answer:
            data = answer.read()
        _, status = os.waitpid(self.pid, 0)
        if status != 0 or not data:
            return None
        elsewhere, named = pickle.loads(data)  # from our own fork: no one else writes this pipe
        return None if named is None else Vouched(frozenset(named.split(b"\n")) - {b""}, elsewhere)


def _vouch(git: str, env: dict[str, str], ids: list[bytes], types: dict[bytes, int]) -> bytes:
    """The helper's answer, pickled: the links to objects not received as the type named, and every
    id its trees name joined by newlines; ``(None, None)`` at the first tree with a problem or a blob
    to read by its role, or when not every tree could be read."""
    import pickle

    kind_of, elsewhere, named = types.get, set(), []
    count = 0
    for _, type_num, raw in _contents(git, env, ids):
        found = verify.check_raw(type_num, raw)
        if found.problems or found.special or type_num != verify.TREE:
            return pickle.dumps((None, None))
        elsewhere.update((child, kind) for child, kind, _ in found.links if kind_of(child) != kind)
        named.extend(child for child, _, _ in found.links)
        count += 1
    if count != len(ids):
        return pickle.dumps((None, None))
    return pickle.dumps((sorted(elsewhere), b"\n".join(named)), protocol=pickle.HIGHEST_PROTOCOL)


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
