"""Core benchmarks (issue #2): log_metric, writing a run, gx run overhead, start-up.

Run by hand:  python tests/benchmarks/bench_core.py [--calls 100000] [--repeat 15]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_repo() -> Path:
    root = Path(tempfile.mkdtemp(prefix="gx-bench-"))
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "train.py").write_text("print('hi')\n")
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=root, check=True, env=env)
    return root


def bench_log_metric(calls: int) -> float:
    import gx

    times = []
    perf = time.perf_counter_ns
    with gx.start_run(experiment="bench-log"):
        for i in range(calls):
            t0 = perf()
            gx.log_metric("loss", 0.5, step=i)
            times.append(perf() - t0)
    return statistics.median(times) / 1000.0  # microseconds


def bench_write_run(repeat: int) -> float:
    import gx

    times = []
    for _ in range(repeat):
        gx.start_run(experiment="bench-write")
        gx.log_params({f"p{i}": i * 0.1 for i in range(10)})
        for step in range(100):
            for m in range(5):
                gx.log_metric(f"m{m}", step * 0.01 + m, step=step)
        t0 = time.perf_counter()
        gx.end_run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def command_ms(cmd: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    repo = make_repo()
    os.chdir(repo)
    py = sys.executable
    rows = [
        (f"log_metric, median of {args.calls} calls", bench_log_metric(args.calls), "µs", 5),
        ("end of run → ref moved (10 params, 5×100 metrics)", bench_write_run(args.repeat), "ms", 10),
    ]
    plain = command_ms([py, "train.py"], repo, args.repeat)
    under_gx = command_ms([py, "-m", "gx", "run", "-q", "train.py"], repo, args.repeat)
    rows += [
        ("python train.py (trivial script)", plain, "ms", None),
        ("gx run train.py", under_gx, "ms", None),
        ("gx run overhead", under_gx - plain, "ms", 200),
        ("gx --help", command_ms([py, "-m", "gx", "--help"], repo, args.repeat), "ms", 200),
        ("python -c 'import gx'", command_ms([py, "-c", "import gx"], repo, args.repeat), "ms", 150),
        ("python -c 'pass' (interpreter start-up)", command_ms([py, "-c", "pass"], repo, args.repeat), "ms", None),
    ]
    print(f"{'measure':52} {'median':>10}  target")
    for name, value, unit, target in rows:
        print(f"{name:52} {value:>8.2f} {unit:2}  {f'< {target} {unit}' if target else ''}")


if __name__ == "__main__":
    main()
