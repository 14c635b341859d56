"""Autolog benchmark (issue 12): what ``gx.autolog()`` adds to a scikit-learn fit of about one second
(a run started and recorded, params, training metrics, the pickled model), and to an XGBoost train.

Run by hand:  python tests/benchmarks/bench_autolog.py [--repeat 5]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench_core import make_repo


def _paired(fit, repeat: int) -> tuple[float, float]:
    """Median seconds without and with autolog, alternating so load on the machine hits both alike."""
    import gx

    plain, logged = [], []
    for i in range(repeat + 1):
        for samples, on in ((plain, False), (logged, True)):
            if on:
                gx.autolog(silent=True)
            t0 = time.perf_counter()
            try:
                fit()
            finally:
                if on:
                    gx.autolog(disable=True)
            if i:  # the first round warms imports and caches
                samples.append(time.perf_counter() - t0)
    return statistics.median(plain), statistics.median(logged)


def bench(repeat: int) -> list[tuple[str, float, float]]:
    import numpy as np
    import xgboost as xgb
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 20))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=3000) > 0).astype(int)
    dtrain = xgb.DMatrix(X, y)
    cases = {
        "sklearn GradientBoostingClassifier.fit": lambda: GradientBoostingClassifier(n_estimators=60).fit(X, y),
        "xgboost.train (1 eval set, 200 rounds)": lambda: xgb.train(
            {"max_depth": 6, "nthread": 1}, dtrain, 200, evals=[(dtrain, "train")], verbose_eval=False),
    }
    return [(name, *_paired(fit, repeat)) for name, fit in cases.items()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.chdir(make_repo())
    for name, plain, logged in bench(args.repeat):
        print(f"{name:42s} plain {plain * 1000:7.0f} ms   autologged {logged * 1000:7.0f} ms   "
              f"overhead {100 * (logged / plain - 1):+5.1f} %")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
