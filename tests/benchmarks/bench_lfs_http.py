"""LFS transfer benchmark (issue 14): peak memory and throughput of an upload + download round trip of
one large object through gx.lfs.transfer against the loopback giftless server (tests/lfsserver.py).

Run by hand:  python tests/benchmarks/bench_lfs_http.py [--size 1024]   (MB; needs about 4x that on disk)
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for lfsserver


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1024, help="object size in MB")
    args = parser.parse_args()
    from gx.lfs import objects, transfer
    from lfsserver import LfsServer

    with tempfile.TemporaryDirectory(prefix="gx-bench-lfs-") as tmp:
        root = Path(tmp)
        clones = []
        for name in ("alice", "bob"):
            subprocess.run(["git", "init", "-q", str(root / name)], check=True)
            clones.append(root / name / ".git")
        source = root / "model.bin"
        with open(source, "wb") as fh:
            block = os.urandom(1 << 20)
            for i in range(args.size):
                fh.write(block[i % 256:] + block[: i % 256])  # distinct blocks, cheap to make
        server = LfsServer(root / "server")
        try:
            for clone in clones:
                subprocess.run(["git", "config", "lfs.url", server.url], cwd=clone.parent, check=True)
            baseline = _peak_rss_mb()
            t0 = time.perf_counter()
            pointer = objects.store_file(clones[0], source)
            t1 = time.perf_counter()
            transfer.upload(clones[0], "https://unused.example/repo", [pointer])
            t2 = time.perf_counter()
            transfer.download(clones[1], "https://unused.example/repo", [pointer])
            t3 = time.perf_counter()
            assert objects.has_object(clones[1], pointer)
        finally:
            server.stop()
    mb = args.size
    print(f"object: {mb} MB; peak RSS {_peak_rss_mb():.0f} MB (after imports and setup: {baseline:.0f} MB)")
    print(f"store_file {t1 - t0:.1f} s ({mb / (t1 - t0):.0f} MB/s), upload {t2 - t1:.1f} s "
          f"({mb / (t2 - t1):.0f} MB/s), download {t3 - t2:.1f} s ({mb / (t3 - t2):.0f} MB/s)")


if __name__ == "__main__":
    main()
