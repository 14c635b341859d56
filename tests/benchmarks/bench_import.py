"""Import benchmark (issue #10): an MLflow SQLite store of 1,000 runs x 5 metrics x 100 steps
(plus 10 params and 5 tags per run) imported with ``gx import mlflow``; target < 60 s.

    python tests/benchmarks/bench_import.py --dir /tmp/gx-bench-import [--runs 1000] [--steps 100]

MLflow (when importable) creates the database so the schema is MLflow's own; the rows are then
inserted with sqlite3 (MLflow's client would take minutes to log half a million points). Without
MLflow the script says so and stops.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path


def make_store(db: Path, runs: int, steps: int) -> None:
    code = ("import mlflow; from mlflow.tracking import MlflowClient; "
            f"MlflowClient(tracking_uri='sqlite:///{db}').create_experiment('bench')")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    con = sqlite3.connect(db)
    (exp_id,) = con.execute("SELECT experiment_id FROM experiments WHERE name = 'bench'").fetchone()
    rng = random.Random(0)
    start = 1_700_000_000_000
    for i in range(runs):
        run_id = uuid.UUID(int=rng.getrandbits(128)).hex
        t0 = start + i * 60_000
        con.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
                    "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) "
                    "VALUES (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', '', ?)",
                    (run_id, f"run-{i}", t0, t0 + 50_000, exp_id))
        con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(f"p{k}", str(rng.random()), run_id) for k in range(10)])
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(f"t{k}", f"v{k}", run_id) for k in range(5)])
        con.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                        [(f"m{k}", rng.random(), t0 + s * 100, run_id, s) for k in range(5) for s in range(steps)])
    con.commit()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("/tmp/gx-bench-import"))
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    try:
        import mlflow  # noqa: F401
    except ImportError:
        sys.exit("bench_import needs mlflow to create the store: pip install mlflow-skinny sqlalchemy alembic")
    db = args.dir / f"mlflow-{args.runs}x{args.steps}.db"
    if not db.exists():
        args.dir.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        make_store(db, args.runs, args.steps)
        print(f"store: {db} made in {time.perf_counter() - t:.1f} s")
    repo = args.dir / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for attempt in ("first import", "re-import (nothing new)"):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "gx", "import", "mlflow", "--tracking-uri", f"sqlite:///{db}"],
                             cwd=repo, capture_output=True, text=True, check=True)
        print(f"{attempt}: {time.perf_counter() - t:.1f} s  ({out.stdout.splitlines()[0]})")
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo, capture_output=True, text=True)
    print("git fsck --strict:", "ok" if fsck.returncode == 0 else fsck.stderr[:500])


if __name__ == "__main__":
    main()
