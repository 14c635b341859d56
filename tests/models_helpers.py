"""Small synthetic data and models for the models tests (fast: a few rows, a few trees)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def table(rows: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"tenure": rng.uniform(0, 10, rows), "spend": rng.uniform(0, 100, rows),
                      "calls": rng.integers(0, 5, rows).astype("int64")})
    y = (X.tenure * 0.3 + X.spend * 0.02 - X.calls + rng.normal(0, 0.1, rows) > 1).astype(int).to_numpy()
    return X, y


def logged_sklearn_run(gx, name: str = "model", seed: int = 0, run_name: str | None = None):
    """Fit a small LogisticRegression, log it in a run; returns (run_id, model, X)."""
    from sklearn.linear_model import LogisticRegression

    X, y = table(seed=seed)
    model = LogisticRegression(max_iter=200).fit(X, y)
    with gx.start_run(run_name=run_name) as run:
        gx.log_param("seed", seed)
        gx.log_metric("accuracy", float(model.score(X, y)))
        gx.sklearn.log_model(model, name=name, input_example=X.head(3))
    return run.info.run_id, model, X
