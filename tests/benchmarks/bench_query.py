"""Query benchmarks (issue #3) on synthetic stores of 10k and 100k runs.

    python tests/benchmarks/bench_query.py --dir /tmp/gx-bench [--sizes 10000,100000] [--mlflow-python PY]
    python tests/benchmarks/bench_query.py --cold --dir /tmp/gx-bench [--sizes 10000,100000] [--json out.json]

``--cold`` (issue 9) times the first command after a clone: a fresh repository that fetched the
store's experiment refs with plain git (one pack with deltas, as a clone has), no index yet; then
the same with git's batch reads turned off (``GX_GIT_READS=0``: dulwich object by object, the
previous gx), the warm listing, and the first listing after fetching 10 more runs.

Builds the stores once (10 params, 5 metrics per run) through the bulk path, then times
whole commands in fresh processes: cold = index deleted first, warm = index current.
With MLflow importable (here or in --mlflow-python), times mlflow.search_runs over the same
10k runs in a SQLite store and prints the ratio; otherwise that row says it was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import synthetic  # noqa: E402

LS = ["ls", "-f", "metrics.rmse < 0.5", "--sort", "metrics.rmse", "--limit", "20"]


#: CPU seconds (user + system, the command and its children) of the last ``timed`` call, median
LAST_CPU = [0.0]


def timed(cmd: list[str], cwd: Path, repeat: int, before=None, env: dict | None = None) -> float:
    times, cpu = [], []
    for _ in range(repeat):
        if before:
            before()
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime)
    LAST_CPU[0] = statistics.median(cpu)
    return statistics.median(times)


def drop_index(repo: Path) -> None:
    for p in (repo / ".git" / "gx").glob("index.sqlite*"):
        p.unlink()


def gx_rows(repo: Path, size: int, repeat: int) -> list[tuple[str, float, str]]:
    py = sys.executable
    rows = []
    if size <= 20_000:
        cold = timed([py, "-m", "gx", *LS], repo, 1, before=lambda: drop_index(repo))
        rows.append((f"gx ls -f … --sort … --limit 20, cold, {size} runs", cold, "< 10 s at 10k"))
    else:
        timed([py, "-m", "gx", "ls", "--limit", "1"], repo, 1)  # build the index once
    target = "< 0.5 s" if size <= 20_000 else "< 2 s"
    rows.append((f"gx ls -f … --sort … --limit 20, warm, {size} runs", timed([py, "-m", "gx", *LS], repo, repeat), target))
    code = "import gx; df = gx.search_runs(); assert len(df) > 0"
    rows.append((f"gx.search_runs() → DataFrame, warm, {size} runs (incl. start-up)",
                 timed([py, "-c", code], repo, repeat), "< 1 s at 10k"))
    rows.append((f"gx best rmse, warm, {size} runs", timed([py, "-m", "gx", "best", "rmse"], repo, repeat),
                 "< 1 s at 100k"))
    return rows


MLFLOW_CODE = r"""
import json, sys, time, random, tempfile, os, logging
logging.disable(logging.WARNING)
import mlflow
from mlflow.entities import Metric, Param, RunTag
n = int(sys.argv[1]); d = tempfile.mkdtemp()
mlflow.set_tracking_uri(f"sqlite:///{d}/mlflow.db")
client = mlflow.MlflowClient()
exp = client.create_experiment("bench")
rng = random.Random(0)
t0 = time.perf_counter()
for i in range(n):
    run = client.create_run(exp)
    ts = int(time.time() * 1000)
    client.log_batch(run.info.run_id,
        metrics=[Metric(m, rng.random(), ts, 0) for m in ("rmse", "mae", "r2", "loss", "acc")],
        params=[Param(f"p{j}", str(rng.random())) for j in range(10)], tags=[RunTag("developer", "jana")])
build = time.perf_counter() - t0
times = []
for _ in range(3):
    t = time.perf_counter()
    df = mlflow.search_runs(experiment_ids=[exp], max_results=100000)
    times.append(time.perf_counter() - t)
times.sort()
t = time.perf_counter()
df2 = mlflow.search_runs(experiment_ids=[exp], filter_string="metrics.rmse < 0.5", order_by=["metrics.rmse"], max_results=20)
filtered = time.perf_counter() - t
print(json.dumps({"build": build, "search_all": times[1], "search_filtered": filtered, "rows": len(df)}))
"""


def mlflow_row(python: str | None, size: int) -> dict | None:
    python = python or sys.executable
    try:
        check = subprocess.run([python, "-c", "import mlflow"], capture_output=True)
    except OSError:
        return None
    if check.returncode != 0:
        return None
    out = subprocess.run([python, "-c", MLFLOW_CODE, str(size)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fetched_copy(source: Path, dest: Path) -> Path:
    """A fresh repository holding ``source``'s experiments as a clone would (fetched with git)."""
    if not (dest / ".git").exists():
        shutil.rmtree(dest, ignore_errors=True)
        subprocess.run(["git", "init", "-q", str(dest)], check=True)
        subprocess.run(["git", "fetch", "-q", str(source), "+refs/experiments/*:refs/experiments/*"], cwd=dest, check=True)
    return dest


def figure(name: str, seconds: float, target: str, limit: float, peer: str | None = None,
           peer_s: float | None = None) -> dict:
    return {"figure": name, "gx_s": round(seconds, 3), "peer": peer, "peer_s": None if peer_s is None else round(peer_s, 3),
            "target": target, "met": seconds < limit, "gx_cpu_s": round(LAST_CPU[0], 3),
            "load": round(os.getloadavg()[0], 1)}


def cold_rows(source: Path, size: int, repeat: int) -> list[dict]:
    """The first listing after a clone or a big fetch, and after fetching 10 more runs (issue 9)."""
    py = sys.executable
    repo = fetched_copy(source, source.with_name(source.name + "-fetched"))
    ls = [py, "-m", "gx", "ls", "--limit", "20"]
    no_git = {**os.environ, "GX_GIT_READS": "0"}
    cold_repeat = repeat if size <= 20_000 else 1
    old = timed(ls, repo, 1, before=lambda: drop_index(repo), env=no_git) if size <= 20_000 else None
    cold = timed(ls, repo, cold_repeat, before=lambda: drop_index(repo))
    limit = 2.0 if size <= 20_000 else 15.0
    rows = [figure(f"gx ls, first command after a clone, no index, {size:,} runs", cold, f"< {limit:g} s", limit,
                   "gx with dulwich reads only (GX_GIT_READS=0)" if old else None, old)]
    rows.append(figure(f"gx ls, warm, {size:,} runs", timed(ls, repo, repeat), "< 0.5 s" if size <= 20_000 else "< 2 s",
                       0.5 if size <= 20_000 else 2.0))
    incremental = []
    for _ in range(min(repeat, 3)):
        synthetic.build(source, 10, seed=time.time_ns() % 2**32)
        subprocess.run(["git", "fetch", "-q", str(source), "+refs/experiments/*:refs/experiments/*"], cwd=repo, check=True)
        incremental.append(timed(ls, repo, 1))
    rows.append(figure(f"gx ls, first command after fetching +10 runs, {size:,} runs", statistics.median(incremental),
                       "< 0.5 s" if size <= 20_000 else "< 2 s", 0.5 if size <= 20_000 else 2.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("/tmp/gx-bench"))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mlflow-python", help="an interpreter with MLflow installed (default: this one)")
    parser.add_argument("--cold", action="store_true", help="the cold-listing figures of issue 9 only")
    parser.add_argument("--json", type=Path, help="also write the figures there (issue 9's benchmark contract)")
    args = parser.parse_args()
    if args.cold:
        figures = []
        for size in (int(s) for s in args.sizes.split(",")):
            source = args.dir / f"runs-{size}"
            if not (source / ".git").exists():
                synthetic.build(source, size)
            figures.extend(cold_rows(source, size, args.repeat))
        for f in figures:
            peer = f"{f['peer']} {f['peer_s']:.3f} s, ratio {f['gx_s'] / f['peer_s']:.2f}" if f["peer"] else ""
            print(f"{f['figure']:66} {f['gx_s']:7.3f} s (cpu {f['gx_cpu_s']:6.3f} s, load {f['load']:4.1f})  "
                  f"{f['target']:8} {'met' if f['met'] else 'NOT MET':8} {peer}")
        print(f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        repo = args.dir / f"runs-{size}"
        if not (repo / ".git").exists():
            shutil.rmtree(repo, ignore_errors=True)
            took = synthetic.build(repo, size)
            rows.append((f"build a synthetic store of {size} runs (bulk path)", took, "minutes, not hours"))
        rows.extend(gx_rows(repo, size, args.repeat))
        if size == 10_000:
            gx_search = rows[-2][1]
            ml = mlflow_row(args.mlflow_python, size)
            if ml is None:
                rows.append(("mlflow.search_runs, 10k runs, SQLite", float("nan"), "skipped: MLflow not installed"))
            else:
                rows.append(("mlflow.search_runs (all 10k runs → DataFrame), SQLite store", ml["search_all"],
                             f"ratio mlflow/gx = {ml['search_all'] / gx_search:.1f}x"))
                rows.append(("mlflow.search_runs filter+order_by, max_results=20", ml["search_filtered"], ""))
                rows.append(("MLflow: writing the 10k runs (log_batch each)", ml["build"], ""))
    print(f"{'measure':70} {'median s':>9}  note")
    for name, value, note in rows:
        print(f"{name:70} {value:9.3f}  {note}")
    print(f"\nmachine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
