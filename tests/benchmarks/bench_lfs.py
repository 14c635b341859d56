"""Large-artifact benchmark (issue 14): wall time and peak memory (max RSS) of each step of a round trip
of one large artifact through Git LFS — log it, ``gx push`` to a bare path remote, ``gx pull`` into a
second clone (pointers only), ``gx artifacts get`` (fetched on demand, verified, written).

Run by hand:  python tests/benchmarks/bench_lfs.py [--size-mb 1024]
Every step is its own ``python`` process measured by ``resource.getrusage(RUSAGE_CHILDREN)``, so the
figure is that process's peak. Figures go to docs/performance.md. Not collected by pytest.
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

LOG = "import gx, sys\nwith gx.start_run() as run:\n    gx.log_artifact(sys.argv[1])\nprint(run.info.run_id)\n"


def _step(label: str, args: list[str], cwd: Path) -> tuple[str, float, float, str]:
    """(label, seconds, peak RSS MiB, stdout) of one child process; the children's peak is cumulative,
    so each step runs in a fresh intermediate process that reports only its own child."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.perf_counter()\n"
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "assert p.returncode == 0, p.stderr\n"
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
             "print(p.stdout, end='')\n")
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True, text=True, check=True)
    first, _, rest = out.stdout.partition("\n")
    seconds, kib = first.split()
    return label, float(seconds), int(kib) / 1024, rest


def bench(size_mb: int) -> list[tuple[str, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="gx-bench-lfs-") as tmp:
        root = Path(tmp)
        env_git = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
                       GIT_COMMITTER_EMAIL="b@x")
        subprocess.run(["git", "init", "-q", "--bare", str(root / "remote.git")], check=True)
        subprocess.run(["git", "clone", "-q", str(root / "remote.git"), str(root / "a")], check=True)
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=root / "a", check=True, env=env_git)
        subprocess.run(["git", "push", "-q", "origin", "HEAD"], cwd=root / "a", check=True)
        subprocess.run(["git", "clone", "-q", str(root / "remote.git"), str(root / "b")], check=True)
        big = root / "a" / "weights.bin"
        with open(big, "wb") as fh:  # random-looking content costs as much to hash as real weights
            block = os.urandom(2**20)
            for _ in range(size_mb):
                fh.write(block)
        label, secs, rss, out = _step("log_artifact", [sys.executable, "-c", LOG, str(big)], root / "a")
        run_id = out.strip().splitlines()[-1]
        rows.append((label, secs, rss))
        rows.append(_step("gx push", [sys.executable, "-m", "gx", "push"], root / "a")[:3])
        rows.append(_step("gx pull", [sys.executable, "-m", "gx", "pull"], root / "b")[:3])
        rows.append(_step("gx artifacts get", [sys.executable, "-m", "gx", "artifacts", "get", run_id,
                                               "weights.bin", "-o", "got"], root / "b")[:3])
        assert (root / "b" / "got" / "weights.bin").stat().st_size == size_mb * 2**20
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(f"one {args.size_mb} MiB artifact, {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    print(f"{'step':<18} {'seconds':>8} {'peak RSS MiB':>13}")
    for label, secs, rss in bench(args.size_mb):
        print(f"{label:<18} {secs:>8.2f} {rss:>13.1f}")
    print(f"total {time.perf_counter() - t0:.1f} s; {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB here")


if __name__ == "__main__":
    main()
