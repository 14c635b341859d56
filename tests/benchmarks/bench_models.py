"""Models benchmarks (issue 11): log_model's cost in a run, load by alias over plain unpickling,
``gx models ls`` with 100 models x 50 versions.

Run by hand:  python tests/benchmarks/bench_models.py [--repeat 15] [--models 100] [--versions 50]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_core import make_repo


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_log_model(repeat: int) -> tuple[float, float]:
    """Median wall time of a whole run (start to recorded commit) without and with log_model."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import gx

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    plain, with_model = [], []
    for i in range(repeat + 1):
        for samples, log in ((plain, False), (with_model, True)):
            t0 = time.perf_counter()
            with gx.start_run(experiment="bench-models"):
                gx.log_param("i", i)
                if log:
                    gx.sklearn.log_model(model, name="model", input_example=X[:3])
            if i:  # the first round warms imports up
                samples.append(time.perf_counter() - t0)
    return _ms(plain), _ms(with_model)


def bench_load(repeat: int) -> tuple[float, float]:
    """Median in-process time of pickle.loads(bytes) and of gx.pyfunc.load_model('models:/m@champion')."""
    import gx

    with gx.start_run(experiment="bench-models") as run:
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        X = np.random.default_rng(1).normal(size=(200, 8))
        gx.sklearn.log_model(LogisticRegression().fit(X, X[:, 0] > 0), name="model")
    gx.register_model(f"runs:/{run.info.run_id}/model", "bench")
    gx.MlflowClient().set_registered_model_alias("bench", "champion", 1)
    raw = subprocess.run(["git", "show", "refs/experiments/bench-models:artifacts/model/model.pkl"],
                         capture_output=True, check=True).stdout
    unpickle, load = [], []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        pickle.loads(raw)
        unpickle.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        gx.pyfunc.load_model("models:/bench@champion")
        load.append(time.perf_counter() - t0)
    return _ms(unpickle[1:]), _ms(load[1:])


def build_registry(models: int, versions: int) -> None:
    """``models`` models with ``versions`` versions each (version i of every model on run i), one
    alias per model, written straight through the store (as register would, minus the checks)."""
    import gx
    from gx.models.events import format_message, subject
    from gx.store.history import walk
    from gx.store.repo import Store
    from gx.store.tags import build_tag, create_tag

    runs = []
    for i in range(versions):
        with gx.start_run(experiment="bench-registry") as run:
            gx.log_param("i", i)
        runs.append(run.info.run_id)
    with Store.open() as store:
        commits = {e.run_id: e.sha.decode() for e in walk(store, store.tip("bench-registry")) if e.run_id}
        now = time.time()
        for m in range(models):
            name = f"model-{m:03d}"
            for v in range(1, versions + 1):
                run_id = runs[v - 1]
                message = format_message(subject("register", name, v), "", version=v, path="model", run=run_id,
                                         experiment="bench-registry")
                create_tag(store, build_tag(store, f"{name}@v{v}.0.0", commits[run_id], message, now + v))
            message = format_message(subject("assign", name, versions, "champion"), "", version=versions)
            create_tag(store, build_tag(store, f"{name}#champion#1", commits[runs[-1]], message, now + versions + 1))


def bench_ls(models: int, versions: int, repeat: int) -> tuple[float, float]:
    """``gx models ls`` as a user runs it (a new process): the first run (parses every tag object and
    fills the cache) and the median of later ones."""
    build_registry(models, versions)
    cmd = [sys.executable, "-m", "gx", "models", "ls"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    samples = []
    for _ in range(repeat + 1):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, env=env, check=True).stdout
        samples.append(time.perf_counter() - t0)
    assert out.count(b"model-") == models, out[:200]
    return samples[0] * 1000, _ms(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--versions", type=int, default=50)
    args = parser.parse_args()
    os.chdir(make_repo())
    plain, with_model = bench_log_model(args.repeat)
    print(f"run without a model     {plain:8.1f} ms")
    print(f"run with log_model      {with_model:8.1f} ms   (+{with_model - plain:.1f} ms; goal < 50)")
    unpickle, load = bench_load(args.repeat)
    print(f"pickle.loads            {unpickle:8.2f} ms")
    print(f"load_model @champion    {load:8.2f} ms   (+{load - unpickle:.1f} ms; goal < 100)")
    first, warm = bench_ls(args.models, args.versions, min(args.repeat, 7))
    print(f"gx models ls, {args.models}x{args.versions} first {first:8.1f} ms, then {warm:.1f} ms (goal < 500)")


if __name__ == "__main__":
    main()
