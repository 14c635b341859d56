"""Blobs read through one kept `git cat-file --batch` (commit hooks read every declared file this way):
one git process serves every blob read to its end, a blob left half-read ends it (the next read starts
another), a missing blob keeps it in step, and the dulwich path gives the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run_git
from gx.store.blobstream import BlobReader
from gx.store.repo import Store


def _blobs(repo) -> dict[bytes, bytes]:
    contents = [b"alpha: 1\n", b"x" * 3_000_000, b"", b"rmse: 0.5\n"]
    return {run_git("hash-object", "-w", "--stdin", cwd=repo.path, input=c).strip().encode(): c for c in contents}


def _git_children() -> set[int]:
    """This process's living `git` children (Linux: /proc/PID/task/PID/children)."""
    me = os.getpid()
    pids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
    out = set()
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "git":
                out.add(int(pid))
        except OSError:
            continue
    return out


@pytest.mark.parametrize("git_reads", ["1", "0"])
def test_one_reader_serves_every_blob_in_step(repo, monkeypatch, git_reads):
    monkeypatch.setenv("GX_GIT_READS", git_reads)
    blobs = _blobs(repo)
    big = next(sha for sha, c in blobs.items() if len(c) > 1000)
    seen: set[int] = set()
    with Store.open(repo.path) as store, BlobReader(store.paths.common_dir, lambda: store.repo.object_store) as reader:
        for sha, content in blobs.items():
            with reader.open(sha) as blob:
                seen |= _git_children()
                assert blob.size == len(content) and blob.read() == content
        with pytest.raises(KeyError):
            reader.open(b"0123456789" * 4)
        with reader.open(big) as blob:
            seen |= _git_children()
        assert len(seen) == (1 if git_reads == "1" else 0)  # one process for all of them, kept in step
        with reader.open(big) as blob:  # left half-read: it ends the process, the next read starts another
            assert next(iter(blob.chunks())) == b"x" * (1 << 20)
        for sha, content in reversed(list(blobs.items())):
            with reader.open(sha) as blob:
                seen |= _git_children()
                assert blob.read() == content
        assert len(seen) == (2 if git_reads == "1" else 0)
    assert not _git_children()  # closed with the reader
