"""Make MLflow stores with the real MLflow (run as a script in a child process, so the tests never
import mlflow), and dump what MLflow's own client returns for every run, for field-by-field checks.

Usage: python mlflow_stores.py TRACKING_URI ARTIFACT_ROOT OUT.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"

import mlflow  # noqa: E402
import mlflow.data  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def make(uri: str, artifact_root: str) -> None:
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    for name in ("nyc taxi: duration", "second"):
        if client.get_experiment_by_name(name) is None:
            client.create_experiment(name, artifact_location=Path(artifact_root, name.split(":")[0]).as_uri(),
                                     tags={"team": name.split(":")[0]})
    mlflow.set_experiment("nyc taxi: duration")
    for alpha in (0.1, 0.5):
        with mlflow.start_run(run_name=f"alpha-{alpha}", tags={"mlflow.source.git.commit": "a" * 40}):
            mlflow.log_params({"alpha": alpha, "model": "lasso"})
            for step in range(5):
                mlflow.log_metric("rmse", 10 * alpha + 1 / (step + 1), step=step)
            mlflow.log_metric("nan_metric", float("nan"))
            mlflow.set_tag("team", "taxi")
            mlflow.log_text("features: [a, b]", "config/features.yaml")
            mlflow.log_dict({"w": [1, 2]}, "model/weights.json")
            if alpha == 0.1:
                import pandas as pd

                frame = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, 1.5, 2.5]})
                mlflow.log_input(mlflow.data.from_pandas(frame, source="data/taxi.csv", name="taxi"), context="training")
            with mlflow.start_run(run_name="child", nested=True):
                mlflow.log_metric("fold_rmse", alpha)
    mlflow.set_experiment("second")
    with mlflow.start_run(run_name="doomed") as doomed:
        mlflow.log_param("x", "1")
    client.delete_run(doomed.info.run_id)
    with mlflow.start_run(run_name="failed"):
        mlflow.log_metric("m", 1.0)
        mlflow.end_run("FAILED")


def dataset_input(d) -> dict:
    """A dataset input as plain values: source, schema and profile parsed (their JSON text's spacing
    is the writer's), tags as a mapping."""
    ds = d.dataset
    return {"name": ds.name, "digest": ds.digest, "source_type": ds.source_type,
            **{k: json.loads(getattr(ds, k)) if getattr(ds, k) else None for k in ("source", "schema", "profile")},
            "tags": {t.key: t.value for t in d.tags}}


def dump(uri: str) -> dict:
    client = MlflowClient(tracking_uri=uri)
    out = {}
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            info = run.info
            out[info.run_id] = {
                "experiment": exp.name, "run_name": info.run_name, "status": info.status,
                "start_time": info.start_time, "end_time": info.end_time, "user_id": info.user_id,
                "lifecycle_stage": info.lifecycle_stage, "params": run.data.params, "tags": run.data.tags,
                "metrics": {k: None if v != v else v for k, v in run.data.metrics.items()},
                "history": {k: [[m.step, m.timestamp, None if m.value != m.value else m.value]
                                for m in client.get_metric_history(info.run_id, k)] for k in run.data.metrics},
                "artifacts": sorted(a.path for a in client.list_artifacts(info.run_id)),
                "inputs": [dataset_input(d) for d in run.inputs.dataset_inputs],
            }
    return out


if __name__ == "__main__":
    make(sys.argv[1], sys.argv[2])
    Path(sys.argv[3]).write_text(json.dumps(dump(sys.argv[1]), indent=1))
    experiments = {e.name: [e.experiment_id, e.tags] for e in MlflowClient(tracking_uri=sys.argv[1]).search_experiments()}
    Path(sys.argv[3] + ".experiments").write_text(json.dumps(experiments))
