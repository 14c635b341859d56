"""A live run: the fluent API (``fluent``), the run's in-memory state and journal writer (``live``,
``journal``), turning a journal into a commit and recovering dead runs (``finalize``), what a run
captures by itself (``capture``), keeping secrets out (``redact``), logged files and links
(``artifacts``), ``gx run`` (``runner``), the MLflow-shaped Run object (``entities``), and
``MlflowClient`` (``client``).

This package runs inside training processes: it imports no query, plots, share, pandas or matplotlib.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """``from gx.tracking import MlflowClient`` without loading the client for every tracking import."""
    if name == "MlflowClient":
        from gx.tracking.client import MlflowClient

        return MlflowClient
    raise AttributeError(f"module 'gx.tracking' has no attribute {name!r}")
