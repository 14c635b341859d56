"""MLflow's file store (``./mlruns``), read as files: ``<exp>/meta.yaml``, ``<exp>/<run>/meta.yaml``,
``params/``, ``tags/``, ``metrics/`` (lines ``timestamp value step``), ``artifacts/`` and dataset
``inputs/`` (with the experiment's ``datasets/``). Every
file is read bounded; a run that cannot be read is skipped with its reason, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gx import limits, yamlio
from gx.errors import GxError
from gx.importers.source import MlflowRun, SkippedRun, local_artifact_dir
from gx.runinputs import MAX_INPUTS_PER_RUN

_MAX_META = 1 << 20


def _meta(path: Path) -> dict[str, Any]:
    data = yamlio.load(limits.read_regular_file(path, _MAX_META, str(path)))
    if not isinstance(data, dict):
        raise GxError(f"{path} is not an MLflow meta.yaml")
    return data


def _texts(folder: Path, limit: int) -> dict[str, str]:
    """``{key: file text}`` for the files below ``folder`` (keys may hold '/', as MLflow's do)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): limits.read_regular_file(p, limit, str(p)).decode("utf-8", "replace")
            for p in sorted(folder.rglob("*")) if p.is_file()}


class FileStore:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise GxError(f"no MLflow store at {root}: give sqlite:///PATH.db or the mlruns folder")
        self.root = root
        self._dirs: dict[str, Path] = {}
        for meta in sorted(root.glob("*/meta.yaml")):
            try:
                data = _meta(meta)
            except (GxError, ValueError, yamlio.YAMLError):
                continue
            if data.get("name") is not None:
                self._dirs[str(data["name"])] = meta.parent
        if not self._dirs:
            raise GxError(f"{root} holds no MLflow experiment (no <id>/meta.yaml)")

    def experiments(self) -> list[str]:
        return list(self._dirs)

    def experiment_details(self, experiment: str) -> tuple[str, dict[str, str]]:
        folder = self._dirs[experiment]
        try:
            tags = _texts(folder / "tags", limits.MAX_VALUE_LENGTH)
        except (GxError, OSError):
            tags = {}
        return folder.name, dict(list(tags.items())[:limits.MAX_KEYS_PER_RUN])

    def _run_dirs(self, experiments: list[str]) -> list[tuple[str, Path]]:
        return [(e, p.parent) for e in experiments for p in sorted(self._dirs[e].glob("*/meta.yaml"))]

    def count_runs(self, experiments: list[str]) -> int:
        return len(self._run_dirs(experiments))

    def runs(self, experiments: list[str], skip: set[str]) -> Iterator[MlflowRun | SkippedRun]:
        for experiment, folder in self._run_dirs(experiments):
            if folder.name in skip:
                continue
            try:
                yield self._run(experiment, folder)
            except (GxError, ValueError, OSError, yamlio.YAMLError) as exc:
                yield SkippedRun(folder.name, experiment, f"cannot be read: {exc}")

    def _run(self, experiment: str, folder: Path) -> MlflowRun:
        meta = _meta(folder / "meta.yaml")
        status = meta.get("status", "FINISHED")
        status = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}.get(status, status)
        tags = _texts(folder / "tags", limits.MAX_DOCUMENT_BYTES)
        run = MlflowRun(
            run_id=str(meta.get("run_id") or folder.name), experiment=experiment,
            name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""), status=str(status),
            start_time=meta.get("start_time"), end_time=meta.get("end_time"), user=str(meta.get("user_id") or ""),
            deleted=meta.get("lifecycle_stage") == "deleted", params=_texts(folder / "params", limits.MAX_DOCUMENT_BYTES),
            tags=tags, artifact_uri=str(meta.get("artifact_uri") or ""),
        )
        run.artifact_dir = local_artifact_dir(run.artifact_uri, self.root.parent) or folder / "artifacts"
        if not run.artifact_dir.is_dir() and (folder / "artifacts").is_dir():
            run.artifact_dir = folder / "artifacts"  # a store moved since: its own folder
        for key, text in _texts(folder / "metrics", limits.MAX_DOCUMENT_BYTES * 64).items():
            points = []
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    points.append((int(parts[2]) if len(parts) > 2 else 0, int(parts[0]), float(parts[1])))
            points.sort(key=lambda p: (p[0], p[1]))
            run.metrics[key] = points
        _add_inputs(run, folder)
        return run


def _add_inputs(run: MlflowRun, run_folder: Path) -> None:
    """The run's dataset inputs: ``inputs/<id>/meta.yaml`` naming ``<experiment>/datasets/<id>/meta.yaml``
    (MLflow 2.4+); models given as inputs (MLflow 3) are not datasets and are passed over."""
    for meta in sorted((run_folder / "inputs").glob("*/meta.yaml"))[:MAX_INPUTS_PER_RUN]:
        try:
            link = _meta(meta)
            source_id = str(link.get("source_id") or "")
            if link.get("source_type") != "DATASET":
                continue
            if not source_id.isalnum():
                raise GxError(f"dataset id {source_id[:40]!r} is not an MLflow dataset id")
            dataset = _meta(run_folder.parent / "datasets" / source_id / "meta.yaml")
            tags = link.get("tags") if isinstance(link.get("tags"), dict) else {}
            run.inputs.append((dataset, {str(k): str(v) for k, v in tags.items()}))
        except (GxError, ValueError, OSError, yamlio.YAMLError) as exc:
            run.notes.append(f"dataset input {meta.parent.name} skipped: {exc}")

