"""Autolog benchmark (issue 12): what ``gx.autolog()`` adds to a fit of about one second (each case's
size is scaled to a second on this machine first) — scikit-learn
(a run started and recorded, params, training metrics, the pickled model), ``xgboost.train`` and
``lightgbm.train`` (params, evaluation histories, importance JSON and PNG, the model) — and what
``gx.autolog()`` itself costs in a fresh interpreter that has not imported the libraries.

Run by hand:  python tests/benchmarks/bench_autolog.py [--repeat 5] [--rows 3000] [--xgb-rounds N --lgb-rounds N --sk-trees N]
(fixed rounds compare two trees on the same work when the machine's load changes; the CPU column is
what other programs on the machine cannot inflate).
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from bench_core import make_repo

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _paired(fit, repeat: int) -> tuple[float, float, float, float]:
    """Median seconds without and with autolog, alternating so load on the machine hits both alike:
    wall-clock, then CPU (this process's, every thread: what other programs on the machine cannot inflate)."""
    import gx

    plain, logged, plain_cpu, logged_cpu = [], [], [], []
    for i in range(repeat + 1):
        for samples, cpu, on in ((plain, plain_cpu, False), (logged, logged_cpu, True)):
            if on:
                gx.autolog(silent=True)
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                fit()
            finally:
                if on:
                    gx.autolog(disable=True)
            if i:  # the first round warms imports and caches
                samples.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
    return tuple(statistics.median(s) for s in (plain, logged, plain_cpu, logged_cpu))  # type: ignore[return-value]


def _rounds_for_one_second(train: Callable[[int], object], start: int = 50) -> int:
    """Rounds (or trees) that make ``train`` take about a second on this machine now (after a warm-up
    call, scaled three times: a round's cost changes with the model's size)."""
    train(5)
    rounds = start
    for _ in range(3):
        t0 = time.perf_counter()
        train(rounds)
        rounds = max(10, int(rounds / max(time.perf_counter() - t0, 1e-3)))
    return rounds


def bench(repeat: int, rows: int, xgb_rounds: int | None = None, lgb_rounds: int | None = None,
          sk_trees: int | None = None) -> list[tuple[str, float, float, float, float]]:
    import lightgbm as lgb
    import numpy as np
    import xgboost as xgb
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=3000) > 0).astype(int)
    sk_X, sk_y = X, y  # the sklearn case keeps its 3000 rows whatever --rows says
    X = rng.normal(size=(rows, 20))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=rows) > 0).astype(int)
    dtrain = xgb.DMatrix(X, y)
    lgb_train = lgb.Dataset(X, y, free_raw_data=False)

    def xgb_fit(rounds: int) -> object:
        return xgb.train({"max_depth": 6, "nthread": 1}, dtrain, rounds, evals=[(dtrain, "train")], verbose_eval=False)

    def lgb_fit(rounds: int) -> object:
        return lgb.train({"num_leaves": 63, "num_threads": 1, "verbose": -1, "min_data_in_leaf": 5}, lgb_train,
                         rounds, valid_sets=[lgb_train])

    def sk_fit(trees: int) -> object:
        # a new estimator each time, its fit looked up when called (a method bound before autolog()
        # is the unpatched one, and its trees' fits would each be logged as a run of their own)
        return GradientBoostingClassifier(n_estimators=trees).fit(sk_X, sk_y)

    sk_trees = sk_trees or _rounds_for_one_second(sk_fit, start=60)
    xgb_rounds = xgb_rounds or _rounds_for_one_second(xgb_fit)
    lgb_rounds = lgb_rounds or _rounds_for_one_second(lgb_fit)
    cases = {
        f"sklearn GradientBoostingClassifier.fit ({sk_trees} trees)": lambda: sk_fit(sk_trees),
        f"xgboost.train ({xgb_rounds} rounds, 1 eval set)": lambda: xgb_fit(xgb_rounds),
        f"lightgbm.train ({lgb_rounds} rounds, 1 eval set)": lambda: lgb_fit(lgb_rounds),
    }
    return [(name, *_paired(fit, repeat)) for name, fit in cases.items()]


def autolog_call_cold(repeat: int) -> tuple[float, str]:
    """Median seconds of ``gx.autolog()`` in a fresh interpreter that has imported none of the libraries,
    and which of them that call imported."""
    code = ("import sys, time, gx; t = time.perf_counter(); gx.autolog(); print(time.perf_counter() - t);"
            "print(' '.join(m for m in ('sklearn', 'xgboost', 'lightgbm') if m in sys.modules) or 'none')")
    runs = [subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": SRC}).stdout.split("\n") for _ in range(repeat)]
    return statistics.median(float(out[0]) for out in runs), runs[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=3000,
                        help="training rows for the boosting cases (fewer rows: more rounds per second, a larger model)")
    parser.add_argument("--xgb-rounds", type=int, help="fixed xgboost rounds (default: about a second's worth now)")
    parser.add_argument("--lgb-rounds", type=int, help="fixed lightgbm rounds (default: about a second's worth now)")
    parser.add_argument("--sk-trees", type=int, help="fixed scikit-learn trees (default: about a second's worth now)")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    cold, imported = autolog_call_cold(args.repeat)
    print(f"gx.autolog() in a fresh interpreter, no library imported yet: {cold * 1000:.1f} ms (it imported: {imported})")
    os.chdir(make_repo())
    for name, plain, logged, plain_cpu, logged_cpu in bench(args.repeat, args.rows, args.xgb_rounds, args.lgb_rounds, args.sk_trees):
        print(f"{name:50s} plain {plain * 1000:7.0f} ms   autologged {logged * 1000:7.0f} ms   "
              f"overhead {100 * (logged / plain - 1):+5.1f} %   CPU {plain_cpu * 1000:5.0f} -> "
              f"{logged_cpu * 1000:5.0f} ms {100 * (logged_cpu / plain_cpu - 1):+5.1f} %")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
