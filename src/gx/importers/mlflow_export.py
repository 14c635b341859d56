"""``gx export mlflow``: gx runs written into an MLflow store through the ``mlflow`` package, so
MLflow's own code decides the store's format. Each exported run carries the tag ``gx.run_id``;
exporting again skips runs already there. Artifacts go along up to the artifact limit; larger ones
and symbolic links are listed and left out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gx import limits
from gx.errors import GxError
from gx.importers.convert import GX_RUN_TAG
from gx.lfs.content import write_content
from gx.query.runs import experiments_named, iter_run_refs, load_record, open_store
from gx.records import ArtifactLink, LfsArtifact, RunRecord
from gx.store.experiment_numbers import NUMBER_TAG
from gx.store.experiment_tags import experiment_state
from gx.store.repo import Store

#: MLflow's limits per log_batch call.
_METRICS_PER_BATCH, _PARAMS_PER_BATCH = 1000, 100


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds * 1000))


def _client() -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise GxError("gx export mlflow writes through the mlflow package: pip install mlflow") from None
    return MlflowClient


def export_mlflow(tracking_uri: str, experiments: Iterable[str] | None = None) -> tuple[int, int, list[str]]:
    """Write every run of ``experiments`` (all by default) into the MLflow store; (exported, already
    there, what was left out and why)."""
    _client_class = _client()
    from mlflow.exceptions import MlflowException

    try:
        return _export(_client_class(tracking_uri=tracking_uri), experiments)
    except MlflowException as exc:
        raise GxError(f"MLflow refused the export: {str(exc).splitlines()[0][:300]}") from None


def _export(client: Any, experiments: Iterable[str] | None) -> tuple[int, int, list[str]]:
    from mlflow.entities import ViewType

    exported = already = 0
    left_out: list[str] = []
    with open_store() as store:
        for name in experiments_named(store, experiments):
            experiment = client.get_experiment_by_name(name)
            tags = {k: v for k, v in experiment_state(store, name).tags.items() if k != NUMBER_TAG}
            if experiment is None:
                exp_id = client.create_experiment(name, tags=tags or None)
            else:  # exported before: bring its tags up to date (tags MLflow has and gx does not stay)
                exp_id = experiment.experiment_id
                for key, value in tags.items():
                    if experiment.tags.get(key) != value:
                        client.set_experiment_tag(exp_id, key, value)
            there = {r.data.tags.get(GX_RUN_TAG) for r in client.search_runs(
                [exp_id], run_view_type=ViewType.ALL, max_results=50000)}
            for ref in reversed(iter_run_refs(store, [name])):  # oldest first, as they were made
                if ref.run_id in there:
                    already += 1
                    continue
                left_out += _export_run(client, exp_id, load_record(store, ref), store)
                there.add(ref.run_id)
                exported += 1
    return exported, already, left_out


def _artifacts(rec: RunRecord, left_out: list[str]) -> dict[str, bytes | LfsArtifact]:
    """The artifacts MLflow gets: regular files (Git LFS ones streamed, whatever their size); the rest
    noted in ``left_out``."""
    files: dict[str, bytes | LfsArtifact] = {}
    for path, content in rec.artifacts.items():
        where = f"artifact {path} of run {rec.run_id[:8]}"
        if isinstance(content, ArtifactLink):
            left_out.append(f"{where}: a symbolic link, which MLflow's artifact stores do not keep")
        elif isinstance(content, bytes) and len(content) > limits.MAX_ARTIFACT_BYTES:
            left_out.append(f"{where}: {len(content):,} bytes, over the artifact limit of "
                            f"{limits.MAX_ARTIFACT_BYTES:,} (GX_MAX_ARTIFACT_MB)")
        else:
            files[path] = content
    return files


def _export_run(client: Any, exp_id: str, rec: RunRecord, store: Store) -> list[str]:
    """Write one run; what was left out of it."""
    from mlflow.entities import Metric, Param

    tags = {**rec.tags, GX_RUN_TAG: rec.run_id, "mlflow.runName": rec.name or rec.run_id[:8]}
    if rec.author:
        tags.setdefault("mlflow.user", rec.author)
    if rec.source.get("commit"):
        tags.setdefault("mlflow.source.git.commit", str(rec.source["commit"]))
    run = client.create_run(exp_id, start_time=_ms(rec.start_time), tags=tags, run_name=rec.name or None)
    run_id = run.info.run_id
    params = [Param(k, "None" if v is None else str(v)) for k, v in rec.params.items()]
    for i in range(0, len(params), _PARAMS_PER_BATCH):
        client.log_batch(run_id, params=params[i:i + _PARAMS_PER_BATCH])
    metrics = [Metric(k, float(p.value), _ms(p.timestamp) or 0, p.step) for k, points in rec.metrics.items() for p in points]
    for i in range(0, len(metrics), _METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=metrics[i:i + _METRICS_PER_BATCH])
    left_out: list[str] = []
    if rec.inputs:
        if hasattr(client, "log_inputs"):
            from gx.importers.mlflow_inputs import mlflow_dataset_inputs

            client.log_inputs(run_id, datasets=mlflow_dataset_inputs(rec.inputs))
        else:
            left_out.append(f"inputs of run {rec.run_id[:8]}: this mlflow has no log_inputs (MLflow 2.4+)")
    files = _artifacts(rec, left_out)
    if files:
        with tempfile.TemporaryDirectory(prefix="gx-export-") as tmp:
            for path, content in files.items():
                target = Path(tmp, path)
                target.parent.mkdir(parents=True, exist_ok=True)
                write_content(store, content, target, f"artifact {path!r}")  # Git LFS content, streamed
            client.log_artifacts(run_id, tmp)
    client.set_terminated(run_id, rec.status if rec.status != "RUNNING" else "KILLED", end_time=_ms(rec.end_time))
    if rec.deleted:
        client.delete_run(run_id)
    return left_out
