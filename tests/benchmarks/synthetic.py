"""Build a synthetic store fast through the bulk path of the store code.

    python tests/benchmarks/synthetic.py /tmp/gx-100k --runs 100000

10 params and 5 metrics (10 steps each) per run, spread over experiments of 10k runs.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import time
import uuid
from pathlib import Path

from gx.records import FINISHED, MetricPoint, RunRecord

MODELS = ["lasso", "ridge", "elasticnet", "svr", "tree"]


def make_record(i: int, experiment: str, rng: random.Random, start: float) -> RunRecord:
    alpha = round(rng.uniform(0.001, 1.0), 4)
    rec = RunRecord(run_id=uuid.UUID(int=rng.getrandbits(128)).hex, experiment=experiment, name=f"run-{i}",
                    status=FINISHED if rng.random() > 0.05 else "FAILED", start_time=start + i * 10,
                    end_time=start + i * 10 + rng.uniform(1, 100))
    rec.params = {"alpha": alpha, "l1_ratio": round(rng.random(), 3), "model": rng.choice(MODELS),
                  "seed": rng.randrange(1000), "epochs": rng.choice([10, 20, 50]), "lr": 10 ** rng.uniform(-4, -1),
                  "batch": rng.choice([16, 32, 64]), "dropout": round(rng.random() / 2, 2),
                  "optimizer": rng.choice(["adam", "sgd"]), "layers": rng.randrange(1, 6)}
    base = rng.random()
    for m in ("rmse", "mae", "r2", "loss", "acc"):
        rec.metrics[m] = [MetricPoint(s, rec.start_time + s, base / (s + 1) + rng.random() * 0.01) for s in range(10)]
    rec.tags = {"developer": rng.choice(["jana", "omar", "li"])}
    return rec


def build(path: Path, runs: int, per_experiment: int = 10_000, seed: int = 0) -> float:
    from gx.store.repo import Store
    from gx.store.write import write_runs_bulk

    if not (path / ".git").exists():
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q"], cwd=path, check=True)
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "--allow-empty", "-m", "init"],
                       cwd=path, check=True)
    rng = random.Random(seed)
    started = time.perf_counter()
    store = Store.open(path)
    t0 = time.time() - runs * 10
    for e in range(0, runs, per_experiment):
        exp = f"synthetic-{e // per_experiment:02d}"
        write_runs_bulk(store, [make_record(i, exp, rng, t0) for i in range(e, min(runs, e + per_experiment))])
    store.close()
    return time.perf_counter() - started


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    took = build(args.path, args.runs)
    print(f"wrote {args.runs} runs in {took:.1f}s ({args.runs / took:.0f} runs/s) to {args.path}")
