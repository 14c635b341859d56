"""Reading many objects at once: one ``git cat-file --batch`` pipe when git is on PATH.

A cold index build reads about six objects per run. dulwich finds each one in the packs in Python
(~0.3 ms an object); git streams thousands in the time. This module is only ever a cache in front of
dulwich: what it cannot read (no git, git failing, an object missing or of an unexpected kind) is
left out, and the caller reads it through dulwich, so both paths give the same answers and errors.
git is asked not to follow replace refs nor fetch missing objects lazily, as dulwich does neither.
Set ``GX_GIT_READS=0`` to read through dulwich only, ``always`` to batch even a handful of objects.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import suppress

from dulwich.objects import Commit, parse_tree

from gx import limits
from gx.errors import BadRecord
from gx.store.repo import Store

#: Fewer objects than this are read through dulwich: starting git costs a few milliseconds.
MIN_BATCH = 48
#: Commits the first batch of a walk reads ahead.
FIRST_PREFETCH = 1024


def git_reads_enabled() -> bool:
    import shutil  # here and below: a warm listing starts no git and should not import for it

    return os.environ.get("GX_GIT_READS", "") not in ("0", "false", "no") and shutil.which("git") is not None


def min_batch() -> int:
    return 1 if os.environ.get("GX_GIT_READS") == "always" else MIN_BATCH


def _git(store: Store, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a read-only git command on the store's repository."""
    env = {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}
    env.pop("GIT_OBJECT_DIRECTORY", None)
    env.pop("GIT_ALTERNATE_OBJECT_DIRECTORIES", None)
    return ["git", "--git-dir", str(store.paths.git_dir), "--no-replace-objects", *args], env


class TooLarge(bytes):
    """Stands for the content of an object over ``cat_file``'s ``max_size``: never read into memory."""

    size: int


def _skip(read: Callable[[int], bytes], count: int) -> int:
    """Read and drop ``count`` bytes in bounded chunks; how many there were."""
    seen = 0
    while seen < count:
        chunk = read(min(1 << 20, count - seen))
        if not chunk:
            break
        seen += len(chunk)
    return seen


def cat_file(store: Store, names: list[bytes], max_size: int | None = None) -> list[tuple[bytes, bytes] | None]:
    """``(type, content)`` of each object name (an id, or ``tree:path``), None where git has none.
    An object over ``max_size`` bytes (a hostile run's huge file) is skipped unread: its content is a
    ``TooLarge`` carrying the size. Raises OSError when git cannot be run or stops early (the caller
    then uses dulwich)."""
    if not names:
        return []
    if any(b"\n" in n or b"\r" in n for n in names):
        raise OSError("an object name holds a line break")
    import subprocess
    import threading

    cmd, env = _git(store, "cat-file", "--batch")
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        with suppress(OSError):
            proc.stdin.write(b"".join(n + b"\n" for n in names))  # type: ignore[union-attr]
        with suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out: list[tuple[bytes, bytes] | None] = []
    read, readline = proc.stdout.read, proc.stdout.readline
    try:
        for _ in names:
            header = readline()
            if not header.endswith(b"\n"):
                raise OSError("git cat-file stopped early")
            parts = header.split()
            if len(parts) != 3:  # "<name> missing", "<name> ambiguous", ...
                out.append(None)
                continue
            size = int(parts[2])
            if max_size is not None and size > max_size:
                if _skip(read, size + 1) != size + 1:
                    raise OSError("git cat-file stopped early")
                too_large = TooLarge()
                too_large.size = size
                out.append((parts[1], too_large))
                continue
            content = read(size + 1)
            if len(content) != size + 1 or content[-1:] != b"\n":
                raise OSError("git cat-file stopped early")
            out.append((parts[1], content[:-1]))
    finally:
        proc.stdout.close()
        writer.join()
        proc.wait()
    return out


def first_parent_line(store: Store, tips: Iterable[bytes], stop: Iterable[bytes], limit: int) -> list[bytes]:
    """Up to ``limit`` commit ids on the first-parent lines from ``tips``, not reaching into ``stop``
    (``git rev-list``)."""
    import subprocess

    cmd, env = _git(store, "rev-list", "--first-parent", f"--max-count={limit}", "--stdin")
    lines = b"".join(t + b"\n" for t in tips) + b"".join(b"^" + s + b"\n" for s in stop)
    done = subprocess.run(cmd, input=lines, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise OSError("git rev-list failed")
    return done.stdout.split()


class CommitPrefetch:
    """Commits for a history walk: after a few single reads, the rest of the first-parent line in
    one batch (a walk down 10k runs then costs two git processes instead of 10k pack look-ups)."""

    def __init__(self, store: Store, stop: Iterable[bytes] = ()) -> None:
        self.store = store
        self.stop = stop
        self.cache: dict[bytes, Commit] = {}
        self.misses = 0
        self.enabled = git_reads_enabled()
        self.threshold = min_batch()
        # grows 4x a batch, so a walk that stops early reads little ahead ("always": tiny batches, for tests)
        self.budget = 2 if self.threshold == 1 else FIRST_PREFETCH

    def get(self, sha: bytes, frontier: Iterable[bytes] = ()) -> object:
        """The object ``sha`` (KeyError when missing), prefetching along ``frontier`` when worthwhile."""
        found = self.cache.pop(sha, None)
        if found is not None:
            return found
        self.misses += 1
        if self.enabled and self.misses >= self.threshold:
            self.misses = 0
            self._prefetch([sha, *frontier])
            found = self.cache.pop(sha, None)
            if found is not None:
                return found
        return self.store.repo[sha]

    def _prefetch(self, starts: list[bytes]) -> None:
        try:
            shas = [s for s in first_parent_line(self.store, starts, self.stop, self.budget) if s not in self.cache]
            self.budget *= 4
            objects = cat_file(self.store, shas)
        except (OSError, ValueError):
            self.enabled = False
            return
        for sha, found in zip(shas, objects):
            if found is not None and found[0] == b"commit":
                with suppress(Exception):  # unparsable: dulwich reads it again and decides
                    self.cache[sha] = Commit.from_raw_string(b"commit", found[1], sha=sha)


def top_level_files(store: Store, trees: list[bytes], names: tuple[str, ...]) -> list[dict[str, bytes | BadRecord | None]]:
    """For each tree, the files among ``names`` that git could settle: content, None when the tree has
    no such file (or it is not a file), or a ``BadRecord`` for a file over the document limit (never
    read). A name left out must be read through dulwich."""
    empty: list[dict[str, bytes | BadRecord | None]] = [{} for _ in trees]
    if not trees or len(trees) < min_batch() // 4 or not git_reads_enabled():
        return empty
    wanted = [(n, n.encode()) for n in names]
    try:
        raw_trees = cat_file(store, trees)
        out: list[dict[str, bytes | BadRecord | None]] = [{} for _ in trees]
        blob_of: list[tuple[int, str, bytes]] = []
        for i, found in enumerate(raw_trees):
            if found is None or found[0] != b"tree":
                continue
            try:
                entries = {name: sha for name, _mode, sha in parse_tree(found[1], 20)}  # as dulwich's Tree reads it
            except Exception:  # noqa: BLE001 - a malformed tree: dulwich reads it again and decides
                continue
            for name, key in wanted:
                if key in entries:
                    blob_of.append((i, name, entries[key]))
                else:
                    out[i][name] = None
        blobs = cat_file(store, [sha for _, _, sha in blob_of], max_size=limits.MAX_DOCUMENT_BYTES)
    except (OSError, ValueError):
        return empty
    for (i, name, _), found in zip(blob_of, blobs):
        if found is None:
            continue
        if isinstance(found[1], TooLarge):  # refused unread, as the decoder would refuse it after reading
            out[i][name] = BadRecord(f"{name} is {found[1].size:,} bytes; the limit is {limits.MAX_DOCUMENT_BYTES:,}")
        else:
            out[i][name] = found[1] if found[0] == b"blob" else None
    return out
