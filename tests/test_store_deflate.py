"""Large blobs deflated ahead of their pack (gx.store.deflate): valid zlib streams whoever deflates
them, git reads the packs they go into, nothing deflated twice, nothing held forever."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import zlib

import pytest

import gx
from gx.store import deflate


def _blob_sha(data: bytes) -> bytes:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).digest()


def _text(size: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    return b"".join(b"tree=%d leaf=%.6f split=%d\n" % (i, rng.random(), i % 97) for i in range(size // 20 + 1))[:size]


@pytest.mark.parametrize("size", [deflate.MIN_BYTES, deflate.PIECE * 3, deflate.PIECE * 3 + 1, 2_700_001])
@pytest.mark.parametrize("level", [1, 6])  # 1: ISA-L where installed; 6: zlib
@pytest.mark.parametrize("kind", ["text", "random"])
def test_pieces_join_into_the_blob_s_zlib_stream(size, level, kind):
    data = _text(size) if kind == "text" else os.urandom(size)
    deflate.prepare(data, level)
    stream = deflate.take(_blob_sha(data), len(data), level)
    assert stream is not None and zlib.decompress(stream) == data
    assert stream[:2] == zlib.compress(b"", level)[:2]  # the header zlib writes for that level
    assert len(stream) <= len(zlib.compress(data, level)) * 1.01 + 64
    assert deflate.take(_blob_sha(data), len(data), level) is None  # taken once


def test_small_blobs_other_levels_and_strangers_are_left_alone():
    small = _text(deflate.MIN_BYTES - 1)
    deflate.prepare(small, 1)
    assert deflate.take(_blob_sha(small), len(small), 1) is None
    data = _text(deflate.MIN_BYTES * 2, seed=1)
    deflate.prepare(data, 1)
    assert deflate.take(_blob_sha(data), len(data), 6) is None  # prepared at another level
    other = _text(len(data), seed=2)  # same size, other content: not mistaken for it
    assert deflate.take(_blob_sha(other), len(other), 1) is None
    assert zlib.decompress(deflate.take(_blob_sha(data), len(data), 1)) == data


def test_the_same_bytes_given_twice_are_deflated_once():
    data = _text(deflate.MIN_BYTES * 2, seed=3)
    deflate.prepare(data, 1)
    deflate.prepare(data, 1)  # the flavor's bytes, then the run staging the same object
    assert sum(job.source is data for job in list(deflate._jobs.values())) == 1
    assert deflate.take(_blob_sha(data), len(data), 1) is not None
    assert not any(job.source is data for job in list(deflate._jobs.values()))


def test_what_is_never_taken_is_dropped_past_the_cap_and_nobody_waits_for_it(monkeypatch):
    monkeypatch.setattr(deflate, "HELD_MAX_BYTES", deflate.MIN_BYTES * 3)
    blobs = [_text(deflate.MIN_BYTES * 2, seed=10 + i) for i in range(4)]
    for data in blobs:
        deflate.prepare(data, 1)
    held = list(deflate._jobs.values())
    assert sum(job.size for job in held) <= deflate.MIN_BYTES * 3 + deflate.MIN_BYTES * 2
    assert deflate.take(_blob_sha(blobs[0]), len(blobs[0]), 1) is None  # the oldest went
    assert zlib.decompress(deflate.take(_blob_sha(blobs[-1]), len(blobs[-1]), 1)) == blobs[-1]
    for thread in [t for t in threading.enumerate() if t.name == "gx-deflate"]:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_a_waiting_thread_helps_deflate():
    data = _text(deflate.PIECE * 8, seed=20)
    deflate.prepare(data, 6)
    stop = threading.Event()
    helper = threading.Thread(target=deflate.help_while, args=(lambda: not stop.is_set(),))
    helper.start()
    stream = deflate.take(_blob_sha(data), len(data), 6)
    stop.set()
    helper.join(timeout=10)
    assert not helper.is_alive() and zlib.decompress(stream) == data


def test_a_logged_model_sized_artifact_goes_through_a_pack_git_reads(repo):
    data = _text(1_500_000, seed=30)
    with gx.start_run(experiment="big") as run:
        gx.log_text(data.decode(), "model/model.txt")
        assert any(job.size == len(data) for job in list(deflate._jobs.values()))  # deflating since it was logged
    assert not any(job.size == len(data) for job in list(deflate._jobs.values()))  # taken by the run's pack
    shown = repo.git("show", "refs/experiments/big:artifacts/model/model.txt")
    assert shown.encode() == data
    pack = next((repo.path / ".git" / "objects" / "pack").glob("*.idx"))
    assert ": ok" in repo.git("verify-pack", "-v", str(pack))
    repo.fsck()
    assert gx.get_run(run.info.run_id).info.status == "FINISHED"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_does_not_wait_for_its_parent_s_pieces():
    """The threads deflating a blob stay in the parent: a child forked meanwhile (multiprocessing's
    default on Linux) that writes a pack with the same blob deflates it itself instead of hanging."""
    data = _text(deflate.PIECE * 24, seed=40)
    deflate.prepare(data, 6)
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if it got nothing prepared, at once
        os._exit(0 if deflate.take(_blob_sha(data), len(data), 6) is None and not deflate._jobs else 1)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert done[0] == pid and os.waitstatus_to_exitcode(done[1]) == 0
    assert zlib.decompress(deflate.take(_blob_sha(data), len(data), 6)) == data  # the parent's is intact


def test_without_isal_zlib_deflates_and_git_reads_it(repo):
    """A machine where isal has no wheel: the same run, deflated by zlib alone."""
    import subprocess
    import sys

    script = ("import sys; sys.modules['isal'] = None\n"  # importing isal now fails, as where it is not installed
              "import gx\n"
              "from gx.store import deflate\n"
              "with gx.start_run(experiment='plain'):\n"
              "    gx.log_text('tree=1 leaf=0.5\\n' * 100000, 'model/model.txt')\n"
              "assert deflate._fast() is False, 'isal was used'\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert repo.git("show", "refs/experiments/plain:artifacts/model/model.txt") == "tree=1 leaf=0.5\n" * 100000
    repo.fsck()
