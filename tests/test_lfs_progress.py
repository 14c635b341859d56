"""The LFS progress line: silent for quick transfers, then objects, bytes and rate on stderr."""

from __future__ import annotations

import io

from gx.lfs import progress
from gx.lfs.progress import Progress, human_bytes


def test_a_quick_transfer_prints_nothing() -> None:
    out = io.StringIO()
    bar = Progress("download", 2, 2_000_000, stream=out)
    bar.add(1_000_000)
    bar.object_done()
    bar.finish()
    assert out.getvalue() == ""


def test_a_slow_transfer_says_objects_bytes_and_rate(monkeypatch) -> None:
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)
    out = io.StringIO()
    bar = Progress("upload", 2, 3_000_000, stream=out)
    bar.add(1_500_000)
    bar.object_done()
    bar.rewind(500_000)  # a restarted download forgets what it counted
    bar.finish()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("LFS upload: 0/2 objects, 1.5 MB of 3.0 MB, ")
    assert lines[-1].startswith("LFS upload: 1/2 objects, 1.0 MB of 3.0 MB, ") and lines[-1].endswith("/s, done")


def test_sizes_read_like_git_lfs() -> None:
    assert [human_bytes(n) for n in (999, 1000, 52_400_000, 2_000_000_000_000)] == [
        "999 B", "1.0 KB", "52.4 MB", "2000.0 GB"]
