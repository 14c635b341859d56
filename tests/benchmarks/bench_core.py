"""Core benchmarks (issues #2, #9): log_metric, writing a run, gx run overhead, start-up.

Run by hand:  python tests/benchmarks/bench_core.py [--calls 100000] [--repeat 15] [--stat min] [--json PATH]
              python tests/benchmarks/bench_core.py --against /path/to/other/src --repeat 25
Figures go to docs/performance.md; ``--json`` also writes them in the issue-9 benchmark contract's
shape (``tests/benchmarks/bench_speed.py`` collects them). Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: How repeated timings are summarised: the median, or the minimum (closer to an idle machine's
#: figure when other work competes for the two cores).
STAT = [statistics.median]


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
    return STAT[0](times) / 1000.0  # microseconds


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
    return STAT[0](times) * 1000.0


def command_ms(cmd: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return STAT[0](times) * 1000.0


def figure(name: str, gx_s: float, target: str, met: bool | None, peer: str | None = None,
           peer_s: float | None = None) -> dict:
    """One figure in the benchmark contract's shape (seconds; peer null for an absolute target)."""
    return {"figure": name, "gx_s": round(gx_s, 9), "peer": peer, "peer_s": None if peer_s is None else round(peer_s, 9),
            "target": target, "met": met}


def alternate(other_src: Path, repeat: int) -> None:
    """Before/after on a loaded machine: each command under this tree's gx and under ``other_src``'s,
    one after the other, ``repeat`` times, so drift in the machine's load hits both alike."""
    py = sys.executable
    trees = {"this tree": os.environ.get("PYTHONPATH", ""), str(other_src): str(other_src)}
    envs = {name: {**os.environ, "PYTHONPATH": src} for name, src in trees.items()}
    repos = {name: make_repo() for name in trees}
    commands = {"python train.py": [py, "train.py"], "gx run train.py": [py, "-m", "gx", "run", "-q", "train.py"],
                "gx --help": [py, "-m", "gx", "--help"], "python -c 'import gx'": [py, "-c", "import gx"]}
    times: dict[tuple[str, str], list[float]] = {}
    for name in trees:  # warm caches (byte code, the packages list) once
        subprocess.run(commands["gx run train.py"], cwd=repos[name], env=envs[name], capture_output=True)
    for _ in range(repeat):
        for label, cmd in commands.items():
            for name in trees:
                t0 = time.perf_counter()
                subprocess.run(cmd, cwd=repos[name], env=envs[name], check=True, capture_output=True)
                times.setdefault((label, name), []).append((time.perf_counter() - t0) * 1000)
    for (label, name), values in times.items():
        values.sort()
        print(f"{label:24} {name:28} min {values[0]:7.1f}  p25 {values[len(values) // 4]:7.1f}  "
              f"median {statistics.median(values):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures there as JSON (issue-9 contract)")
    parser.add_argument("--stat", choices=["median", "min"], default="median", help="how repeated timings are summarised")
    parser.add_argument("--against", type=Path, metavar="SRC",
                        help="instead: alternate the commands with another tree's src/ (before/after under load)")
    args = parser.parse_args()
    if args.against:
        alternate(args.against.resolve(), args.repeat)
        return
    STAT[0] = min if args.stat == "min" else statistics.median
    repo = make_repo()
    os.chdir(repo)
    py = sys.executable
    log_us = bench_log_metric(args.calls)
    end_ms = bench_write_run(args.repeat)
    plain = command_ms([py, "train.py"], repo, args.repeat)
    under_gx = command_ms([py, "-m", "gx", "run", "-q", "train.py"], repo, args.repeat)
    bare = command_ms([py, "-c", "pass"], repo, args.repeat)
    help_ms = command_ms([py, "-m", "gx", "--help"], repo, args.repeat)
    import_ms = command_ms([py, "-c", "import gx"], repo, args.repeat)
    rows = [
        (f"log_metric, median of {args.calls} calls", log_us, "µs", "< 5 µs"),
        ("end of run → ref moved (10 params, 5×100 metrics)", end_ms, "ms", "< 8 ms"),
        ("python train.py (trivial script)", plain, "ms", ""),
        ("gx run train.py", under_gx, "ms", ""),
        ("gx run overhead", under_gx - plain, "ms", "< 120 ms"),
        ("gx --help", help_ms, "ms", "< 100 ms"),
        ("python -c 'import gx'", import_ms, "ms", "< 60 ms"),
        ("python -c 'pass' (interpreter start-up)", bare, "ms", ""),
    ]
    print(f"{'measure':52} {args.stat:>10}  target")
    for name, value, unit, target in rows:
        print(f"{name:52} {value:>8.2f} {unit:2}  {target}")
    if args.json:
        figures = [
            figure("gx run train.py (trivial script): overhead < 120 ms over python", under_gx / 1000, "< python + 120 ms",
                   under_gx - plain < 120, "python train.py", plain / 1000),
            figure("end-of-run commit (10 params, 5x100 metrics)", end_ms / 1000, "< 8 ms", end_ms < 8),
            figure("python -c 'import gx'", import_ms / 1000, "< 60 ms", import_ms < 60, "python -c pass", bare / 1000),
            figure("gx --help", help_ms / 1000, "< 100 ms", help_ms < 100, "python -c pass", bare / 1000),
            figure("gx.log_metric, one call", log_us / 1e6, "< 5 µs", log_us < 5),
        ]
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
