"""Every issue-9 benchmark in one run, printed as one table: figure, gx, peer, ratio, target, met.

Run by hand:  python tests/benchmarks/bench_speed.py [--only core,hooks] [--json PATH]
              [--args share="--runs 10000 --more 10"]

Each benchmark runs as a child process with small sizes and ``--json``, per the benchmark contract
(a JSON list of ``{"figure", "gx_s", "peer", "peer_s", "target", "met"}``). A benchmark that is
absent or fails is one line in the output and the others still run. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> (script, small default arguments). Sizes are the goals' where a goal names one (10k runs).
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "core": ("bench_core.py", ["--calls", "20000", "--repeat", "11"]),
    "hooks": ("bench_hooks.py", ["--runs", "10000", "--commits", "3", "--rounds", "3"]),
    "share": ("bench_share.py", ["--runs", "1000", "--more", "10", "--transport", "path"]),
    "query": ("bench_query.py", ["--cold", "--sizes", "10000", "--repeat", "3"]),
    "ui": ("bench_ui.py", ["--after-move", "--runs", "10000", "--repeat", "15"]),
}


def run_benchmark(name: str, script: Path, extra: list[str], timeout: float) -> tuple[list[dict], str | None]:
    """The figures one benchmark wrote, or the line that says why there are none."""
    if not script.is_file():
        return [], f"{name}: {script.name} is absent; skipped"
    with tempfile.TemporaryDirectory(prefix="gx-bench-speed-") as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(script), *extra, "--json", str(out)]
        started = time.monotonic()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=_bench_env())
        except subprocess.TimeoutExpired:
            return [], f"{name}: {script.name} did not finish in {timeout:.0f} s; skipped"
        took = time.monotonic() - started
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            tail = lines[-1].strip() if lines else "no output"
            return [], f"{name}: {script.name} failed (exit {proc.returncode} after {took:.0f} s): {tail}"
        try:
            figures = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return [], f"{name}: {script.name} wrote no readable --json output ({exc}); skipped"
    if not isinstance(figures, list) or not all(isinstance(f, dict) and "figure" in f for f in figures):
        return [], f"{name}: {script.name}'s --json output is not a list of figures; skipped"
    print(f"{name}: {len(figures)} figures in {took:.0f} s", file=sys.stderr)
    return figures, None


def _bench_env() -> dict[str, str]:
    """Benchmarks run as users run gx: with byte-code caches written and read."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _seconds(value: object) -> str:
    if not isinstance(value, (int, float)):
        return "–"
    if value < 0.001:
        return f"{value * 1e6:.2f} µs"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def table(figures: list[dict]) -> list[str]:
    """The figures as aligned text rows: figure, gx, peer, ratio, target, met."""
    rows = [("figure", "gx", "peer", "ratio", "target", "met")]
    for f in figures:
        gx_s, peer_s = f.get("gx_s"), f.get("peer_s")
        ratio = f"{gx_s / peer_s:.2f}x" if isinstance(gx_s, (int, float)) and isinstance(peer_s, (int, float)) and peer_s else "–"
        peer = f"{f['peer']}: {_seconds(peer_s)}" if f.get("peer") else "–"
        met = {True: "yes", False: "NO", None: "–"}.get(f.get("met"), str(f.get("met")))
        rows.append((str(f["figure"]), _seconds(gx_s), peer, ratio, str(f.get("target", "")), met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--args", action="append", default=[], metavar="NAME=ARGS",
                        help="replace a benchmark's default arguments, e.g. share='--runs 10000'")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds each benchmark may take")
    parser.add_argument("--json", type=Path, help="also write every figure there as one JSON list")
    args = parser.parse_args()
    chosen = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    overrides = {}
    for item in args.args:
        name, sep, value = item.partition("=")
        if not sep or name not in BENCHMARKS:
            parser.error(f"--args takes NAME=ARGS with NAME among {', '.join(BENCHMARKS)}")
        overrides[name] = shlex.split(value)
    figures: list[dict] = []
    problems: list[str] = []
    for name in chosen:
        script, defaults = BENCHMARKS[name]
        found, problem = run_benchmark(name, HERE / script, overrides.get(name, defaults), args.timeout)
        figures += found
        if problem:
            problems.append(problem)
            print(problem, file=sys.stderr)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nissue-9 benchmarks, {len(figures)} figures (load average {load:.1f} at the end)")
    for line in table(figures):
        print(line)
    for problem in problems:
        print(f"not measured: {problem}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
