"""``from gx.entities import ViewType, Run, Experiment, Metric, DatasetInput``: MLflow's ``mlflow.entities`` names."""

from gx.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    ViewType,
)

__all__ = ["Dataset", "DatasetInput", "Experiment", "InputTag", "Metric", "Run", "RunData", "RunInfo", "RunInputs",
           "ViewType"]
