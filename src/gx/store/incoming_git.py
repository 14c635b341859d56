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

from gx.errors import RemoteError
from gx.store import gitwire, verify
from gx.store.incoming import Quarantine

_KINDS = {b"commit": verify.COMMIT, b"tree": verify.TREE, b"blob": verify.BLOB, b"tag": verify.TAG}


def _private_repository(quarantine: Quarantine, config: str) -> str:
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
    git_dir = _private_repository(quarantine, config)
    main = os.path.abspath(quarantine.main.path)
    fetched = gitwire.fetch_pack(git, git_dir, quarantine.path, main, url, refs, label, progress)
    _read_received(quarantine, git, git_dir)
    return fetched


def _read_received(quarantine: Quarantine, git: str, git_dir: str) -> None:
    """Every received object's type (``cat-file --batch-all-objects``: only the quarantine's own, it
    lists no alternate), then the raw trees, commits and tags, each checked as git fsck would."""
    env = gitwire.clean_env(GIT_DIR=git_dir, GIT_OBJECT_DIRECTORY=quarantine.path)
    listed = subprocess.run([git, "cat-file", "--batch-all-objects", "--unordered",
                             "--batch-check=%(objectname) %(objecttype)"], env=env, capture_output=True)
    if listed.returncode:
        raise RemoteError(f"cannot read what was fetched: {listed.stderr.decode('utf-8', 'replace').strip()}")
    wanted: list[bytes] = []
    for line in listed.stdout.splitlines():
        sha, _, kind = line.partition(b" ")
        type_num = _KINDS.get(kind)
        if type_num is None or len(sha) != 40:
            continue
        quarantine.types[sha] = type_num
        if type_num != verify.BLOB:
            wanted.append(sha)
    for sha, type_num, raw in _contents(git, env, wanted):
        quarantine.checked[sha] = verify.check_raw(type_num, raw)


def _contents(git: str, env: dict[str, str], ids: list[bytes]) -> Iterator[tuple[bytes, int, bytes]]:
    """``(id, type, raw)`` of each object through one ``git cat-file --batch`` (fed from a thread)."""
    if not ids:
        return
    proc = subprocess.Popen([git, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)

    def feed() -> None:
        try:
            proc.stdin.write(b"\n".join(ids) + b"\n")  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for _ in ids:
            header = out.readline()  # type: ignore[union-attr]
            sha, kind, size = (header.split() + [b"", b"", b""])[:3]
            if kind == b"missing" or not size.isdigit():
                raise RemoteError(f"cannot read what was fetched: {header.decode('utf-8', 'replace').strip()}")
            raw = out.read(int(size) + 1)[:-1]  # type: ignore[union-attr]
            yield sha, _KINDS[kind], raw
    finally:
        writer.join()
        out.close()  # type: ignore[union-attr]
        proc.wait()
