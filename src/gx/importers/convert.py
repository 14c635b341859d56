"""An MLflow run as a gx record, every value through the write boundary's rules (``gx.values``):
what does not pass is left out and listed, never written half-checked."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gx import limits
from gx.errors import GxError
from gx.importers.mlflow_inputs import input_from_mlflow
from gx.importers.source import MlflowRun
from gx.lfs import config as lfs_config
from gx.lfs.objects import store_file
from gx.paths import find_repo
from gx.records import RUN_ID, RUNNING, STATUSES, LfsArtifact, MetricPoint, RunRecord
from gx.runinputs import MAX_INPUTS_PER_RUN, merge_input
from gx.values import (
    FIXED_RUN_FILES,
    check_artifact_path,
    check_key,
    metric_value,
    param_value,
    run_name,
    step_value,
    tag_value,
    timestamp_seconds,
)

#: MLflow tags whose meaning gx records in its own fields too.
COMMIT_TAG = "mlflow.source.git.commit"
IMPORTED_TAG = "gx.imported_from"
#: The gx run an MLflow run was exported from (``gx export mlflow``): imported back, it is that run.
GX_RUN_TAG = "gx.run_id"


def gx_run_id(run: MlflowRun) -> str:
    """The gx id of an MLflow run: its own id, or the gx run it was exported from."""
    exported_from = run.tags.get(GX_RUN_TAG, "")
    return exported_from if RUN_ID.match(exported_from) else run.run_id


@dataclass
class Converted:
    record: RunRecord
    notes: list[str] = field(default_factory=list)  # what was left out, one line each
    artifacts: int = 0
    points: int = 0


def _seconds(ms: object) -> float | None:
    return None if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms <= 0 else ms / 1000


def to_record(run: MlflowRun) -> Converted:
    """The record for ``run``; GxError when the run as a whole cannot be imported."""
    run_id = gx_run_id(run)
    if not RUN_ID.match(run_id):
        raise GxError(f"run id {run_id[:40]!r} is not an MLflow run id (32 hex digits)")
    try:
        name = run_name(run.name or run.tags.get("mlflow.runName") or "")
    except GxError:
        name = ""
    status = run.status if run.status in STATUSES else RUNNING  # SCHEDULED
    rec = RunRecord(run_id, run.experiment, name, status, _seconds(run.start_time), _seconds(run.end_time),
                    author=run.user or None)
    out = Converted(rec, list(run.notes))
    for key, value in run.params.items():
        try:
            rec.params[check_key("param", key)] = param_value(key, value)
        except GxError as exc:
            out.notes.append(f"param skipped: {exc}")
    for key, value in run.tags.items():
        if key == GX_RUN_TAG:
            continue
        try:
            rec.tags[check_key("tag", key)] = tag_value(key, value)
        except GxError as exc:
            out.notes.append(f"tag skipped: {exc}")
    rec.tags[IMPORTED_TAG] = "mlflow"
    if re.fullmatch(r"[0-9a-f]{40}", run.tags.get(COMMIT_TAG, "")):
        rec.source = {"commit": run.tags[COMMIT_TAG]}
    for key, points in run.metrics.items():
        try:
            check_key("metric", key)
            rec.metrics[key] = [MetricPoint(step_value(key, s), timestamp_seconds(key, max(ts, 1)), metric_value(key, v))
                                for s, ts, v in points]
            out.points += len(points)
        except GxError as exc:
            out.notes.append(f"metric skipped: {exc}")
    for dataset, input_tags in run.inputs[:MAX_INPUTS_PER_RUN]:
        try:
            merge_input(rec.inputs, input_from_mlflow(dataset, input_tags))
        except GxError as exc:
            out.notes.append(f"dataset input skipped: {exc}")
    _add_artifacts(run, out)
    return out


def _add_artifacts(run: MlflowRun, out: Converted) -> None:
    """Regular files below the run's artifact folder, each within the artifact limit."""
    root = run.artifact_dir
    if root is None:
        if run.artifact_uri:
            out.notes.append(f"artifacts not imported: {run.artifact_uri} is not a local folder")
        return
    if not root.is_dir():
        return
    room = limits.MAX_FILES_PER_RUN - FIXED_RUN_FILES - len(out.record.metrics)
    repo = find_repo()
    lfs = lfs_config.settings(repo.worktree)
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for file in sorted(files):
            path = Path(folder, file)
            rel = path.relative_to(root).as_posix()
            try:
                check_artifact_path(rel)
                if path.is_symlink() or not path.is_file():
                    raise GxError("not a regular file")
                size = path.stat().st_size
                lfs_config.check_cap(rel, size, lfs.max_bytes)
                if out.artifacts >= room:
                    raise GxError("too many files in one run")
                if size > lfs.threshold:  # into Git LFS, streamed (issue 14)
                    out.record.artifacts[rel] = LfsArtifact(store_file(repo.common_dir, path).encode())
                else:
                    out.record.artifacts[rel] = limits.read_regular_file(path, limits.MAX_ARTIFACT_BYTES, rel)
                out.artifacts += 1
            except (GxError, OSError) as exc:
                out.notes.append(f"artifact {rel} skipped: {exc}")
