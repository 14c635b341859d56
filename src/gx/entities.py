"""``from gx.entities import ViewType, Run, Experiment, Metric``: MLflow's ``mlflow.entities`` names."""

from gx.tracking.entities import Experiment, Metric, Run, RunData, RunInfo, ViewType

__all__ = ["Experiment", "Metric", "Run", "RunData", "RunInfo", "ViewType"]
