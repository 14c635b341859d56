"""Sweep benchmark (issue 12): the runner's per-trial overhead over the script's own time, and the
throughput of -j 2 over -j 1 for CPU-bound trials.

Run by hand:  python tests/benchmarks/bench_sweep.py [--trials 8] [--work 0.5]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench_core import make_repo

SCRIPT = """import time, gx
end = time.process_time() + float(gx.params().get("work", 0))
while time.process_time() < end:
    pass
gx.log_metric("loss", gx.params()["x"])
"""


def timed(argv: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def cpu_seconds(argv: list[str], cwd: Path) -> float:
    """User + system CPU of the command and every process under it (less sensitive to load than wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--work", type=float, default=0.5, help="CPU seconds each trial burns")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    root = make_repo()
    (root / "train.py").write_text(SCRIPT)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "s"], cwd=root, check=True)
    gx = [sys.executable, "-m", "gx"]
    (root / "plain.py").write_text("import gx\n")  # the trivial trial's own cost: Python start-up and import gx
    plain = min(timed([sys.executable, "plain.py"], root) for _ in range(3))
    n = args.trials
    sweep_zero = timed([*gx, "sweep", "train.py", "-p", "x=uniform(0,1)", "-p", "work=0", "--trials", str(n)], root)
    plain_cpu = min(cpu_seconds([sys.executable, "plain.py"], root) for _ in range(3))
    sweep_cpu = cpu_seconds([*gx, "sweep", "train.py", "-p", "x=uniform(0,1)", "-p", "work=0", "--trials", str(n)], root)
    print(f"a trivial script alone (python, import gx, no run): {plain * 1000:.0f} ms, {plain_cpu * 1000:.0f} ms CPU")
    print(f"sweep of {n} trivial trials, CPU of every process: {sweep_cpu / n * 1000:.0f} ms a trial, "
          f"{(sweep_cpu / n - plain_cpu) * 1000:.0f} ms over the script")
    print(f"sweep of {n} trivial trials, -j 1: {sweep_zero:.2f} s = {sweep_zero / n * 1000:.0f} ms per trial, "
          f"{(sweep_zero / n - plain) * 1000:.0f} ms over the script")
    work = str(args.work)
    one = timed([*gx, "sweep", "train.py", "-p", "x=uniform(0,1)", "-p", f"work={work}", "--trials", str(n), "-j", "1"], root)
    two = timed([*gx, "sweep", "train.py", "-p", "x=uniform(0,1)", "-p", f"work={work}", "--trials", str(n), "-j", "2"], root)
    print(f"{n} CPU-bound trials of {work} s: -j 1 {one:.2f} s, -j 2 {two:.2f} s: {one / two:.2f}x the trials per minute"
          f" ({os.cpu_count()} CPUs)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
