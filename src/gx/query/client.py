"""The reading calls behind ``MlflowClient`` (runs, histories, artifacts), with MLflow's shapes.

Params come back as strings and times in milliseconds, as MLflow's client gives them; the
experiment's stable id or its name is accepted wherever MLflow takes an experiment id.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gx.errors import BadValue, UnknownRun
from gx.lfs.content import artifact_size, ensure_local, pointer_of, write_content
from gx.query.experiments import resolve_experiments
from gx.query.runs import load_record, open_store, resolve_run
from gx.records import ArtifactLink, RunRecord, RunSummary
from gx.tracking.entities import Metric, Run, RunData, RunInfo, ViewType


class PagedList(list):  # type: ignore[type-arg]
    """A page of results; ``token`` asks for the next page (None on the last), as MLflow's."""

    def __init__(self, items: Iterable[object], token: str | None) -> None:
        super().__init__(items)
        self.token = token


@dataclass(frozen=True)
class FileInfo:
    """An artifact or folder of artifacts, as MLflow's ``list_artifacts`` returns them."""

    path: str
    is_dir: bool
    file_size: int | None


def run_from_summary(summary: RunSummary) -> Run:
    info = RunInfo(summary.run_id, summary.experiment, summary.name, summary.status, summary.start_time,
                   summary.end_time, summary.commit, summary.deleted)
    params = {k: str(v) for k, v in summary.params.items()}
    return Run(info, RunData(params, dict(summary.metrics), dict(summary.tags)))


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    if not page_token.isdigit():
        raise BadValue(f"bad page_token {page_token!r}: pass the token of the previous page")
    return int(page_token)


def search_runs(experiment_ids: str | Sequence[str] | None = None, filter_string: str = "",
                run_view_type: int = ViewType.ACTIVE_ONLY, max_results: int = 1000,
                order_by: Sequence[str] | None = None, page_token: str | None = None) -> PagedList:
    """Runs as MLflow's ``MlflowClient.search_runs``: a page of ``Run`` objects, ``.token`` for the next."""
    from gx.query.search import search

    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 0:
        raise BadValue(f"max_results must be a whole number >= 0, not {max_results!r}")
    if run_view_type not in (ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY, ViewType.ALL):
        raise BadValue(f"run_view_type must be a ViewType (ACTIVE_ONLY, DELETED_ONLY or ALL), not {run_view_type!r}")
    start = _offset(page_token)
    with open_store() as store:
        names = resolve_experiments(store, experiment_ids)
        runs = search(names, filter_string or "", [order_by] if isinstance(order_by, str) else list(order_by or []),
                      start + max_results + 1, include_deleted=run_view_type == ViewType.ALL,
                      deleted_only=run_view_type == ViewType.DELETED_ONLY, store=store)
    page = runs[start:start + max_results]
    more = len(runs) > start + max_results
    return PagedList([run_from_summary(r) for r in page], str(start + max_results) if more else None)


def get_record(run_id: str) -> RunRecord:
    with open_store() as store:
        return load_record(store, resolve_run(store, str(run_id)))


def get_run(run_id: str) -> Run:
    """The full run by id, with params as strings (MLflow's client)."""
    return Run.from_record(get_record(run_id), string_params=True)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    points = get_record(run_id).metrics.get(key, [])
    return [Metric(key, float(p.value), int(round(p.timestamp * 1000)), int(p.step)) for p in points]


def _folder(path: str | None) -> str:
    return (path or "").strip("/")


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    """The files and folders directly under ``path`` of the run's artifacts."""
    folder = _folder(path)
    prefix = folder + "/" if folder else ""
    entries: dict[str, FileInfo] = {}
    for name, content in get_record(run_id).artifacts.items():
        if not name.startswith(prefix):
            continue
        head, sep, _ = name[len(prefix):].partition("/")
        child = prefix + head
        entries[child] = FileInfo(child, True, None) if sep else FileInfo(child, False, artifact_size(content))
    return [entries[k] for k in sorted(entries)]


def download_artifacts(run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None) -> str:
    """Write the artifact (or folder) at ``path`` under ``dst_path`` (a new temporary folder if none);
    the local path of what was written."""
    folder = _folder(path)
    with open_store() as store:
        rec = load_record(store, resolve_run(store, str(run_id)))
        files = {name: content for name, content in rec.artifacts.items()
                 if not folder or name == folder or name.startswith(folder + "/")}
        if not files:
            raise UnknownRun(f"run {str(run_id)[:8]} has no artifact {folder!r}; see client.list_artifacts(run_id)")
        ensure_local(store, [p for p in map(pointer_of, files.values()) if p is not None], f"run {rec.run_id[:8]}'s artifacts")
        root = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="gx-artifacts-"))
        for name, content in files.items():
            target = root / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                continue  # never written outside dst_path, whatever a fetched run holds
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, ArtifactLink):
                target.unlink(missing_ok=True)
                target.symlink_to(bytes(content).decode("utf-8", "surrogateescape"))
            else:  # an LFS artifact streams from its verified object
                write_content(store, content, target, f"artifact {name!r} of run {rec.run_id[:8]}")
    return str(root / folder) if folder else str(root)


__all__ = ["FileInfo", "PagedList", "download_artifacts", "get_metric_history", "get_run", "list_artifacts",
           "run_from_summary", "search_runs"]
