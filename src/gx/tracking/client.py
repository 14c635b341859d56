"""``MlflowClient``: MLflow's client object. Reading calls (runs, experiments, artifacts) import
``gx.query`` and registry calls ``gx.models.client`` only when called — the declared upward imports
of gx.tracking (pyproject.toml) —, so a training process that only logs loads neither. Runs made
with ``create_run`` are live runs of this process until ``set_terminated`` records them."""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any

from gx.errors import BadValue, GxError
from gx.records import FINISHED
from gx.tracking.entities import Experiment, Metric, Run, ViewType
from gx.tracking.live import LiveRun, new_run
from gx.tracking.names import generate_run_name


def _registry() -> Any:
    from gx.models import client  # declared upward import (pyproject.toml)

    return client


def _runs() -> Any:
    from gx.query import client  # declared upward import (pyproject.toml)

    return client


def _experiments() -> Any:
    from gx.query import experiments  # declared upward import (pyproject.toml)

    return experiments


def last_active_run() -> Run | None:
    """The active run, else the last run this process started (read back once recorded), else None."""
    from gx.tracking import fluent, session

    active = fluent.active_run()
    if active is not None:
        return active
    run_id = session.last_run_id()
    return MlflowClient().get_run(run_id) if run_id else None


#: Runs created by ``MlflowClient.create_run`` in this process and not yet terminated, by id.
_open_runs: dict[str, LiveRun] = {}


def epoch_ms(what: str, value: Any) -> float:
    """MLflow's epoch milliseconds (``start_time``, ``end_time``) as seconds, between 1970 and 9999."""
    from gx.values import MAX_TIMESTAMP

    try:
        seconds = float(value) / 1000 if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    except OverflowError:
        seconds = math.inf
    if not 0 <= seconds < MAX_TIMESTAMP:  # NaN fails this too
        raise BadValue(f"{what} must be epoch milliseconds between 1970 and the year 9999 (as MLflow), got {value!r}")
    return seconds


def _open_run(run_id: str) -> LiveRun:
    live = _open_runs.get(str(run_id))
    if live is None:
        raise GxError(f"run {str(run_id)[:8]} is not open in this process: a recorded gx run is an immutable "
                      "commit; log to a run from client.create_run(...) before client.set_terminated(...)")
    return live


class MlflowClient:
    """MLflow's client over this repository (``tracking_uri``/``registry_uri`` are accepted and unused:
    the registry is the repository's git tags)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        self._registry_uri = registry_uri

    # -- experiments ----------------------------------------------------------------------
    def search_experiments(self, view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                           filter_string: str | None = None, order_by: list[str] | None = None,
                           page_token: str | None = None) -> list[Experiment]:
        return _experiments().search_experiments(view_type, max_results, filter_string, order_by)

    def list_experiments(self, view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                         page_token: str | None = None) -> list[Experiment]:
        """MLflow 1.x's name for ``search_experiments`` (the course's videos use it)."""
        return _experiments().search_experiments(view_type, max_results)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return _experiments().get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return _experiments().get_experiment_by_name(name)

    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict[str, Any] | None = None) -> str:
        """A new experiment (``artifact_location`` is accepted and unused: artifacts live in the runs)."""
        return _experiments().create_experiment(name, tags)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        _experiments().tag_experiment(experiment_id, {key: value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        _experiments().delete_experiment_tag(experiment_id, key)

    # -- runs: reading ----------------------------------------------------------------------
    def search_runs(self, experiment_ids: str | Sequence[str] | None = None, filter_string: str = "",
                    run_view_type: int = ViewType.ACTIVE_ONLY, max_results: int = 1000,
                    order_by: Sequence[str] | None = None, page_token: str | None = None) -> list[Run]:
        return _runs().search_runs(experiment_ids, filter_string, run_view_type, max_results, order_by, page_token)

    def get_run(self, run_id: str) -> Run:
        live = _open_runs.get(str(run_id))
        return live.to_run() if live is not None else _runs().get_run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return _runs().get_metric_history(run_id, key)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[Any]:
        return _runs().list_artifacts(run_id, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return _runs().download_artifacts(run_id, path, dst_path)

    def delete_run(self, run_id: str) -> None:
        from gx.query.deletion import delete_run  # declared upward import (pyproject.toml)

        delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        from gx.query.deletion import restore_run  # declared upward import (pyproject.toml)

        restore_run(run_id)

    # -- runs: writing ----------------------------------------------------------------------
    def create_run(self, experiment_id: str, start_time: int | None = None, tags: dict[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        """Start a run in this process (recorded as a commit by ``set_terminated``), started at
        ``start_time`` (epoch ms) or now."""
        from gx.paths import find_repo
        from gx.store.refs import local_experiment_names

        start = None if start_time is None else epoch_ms("start_time", start_time)
        name = str(experiment_id)
        if name not in local_experiment_names(find_repo().common_dir):
            name = self.get_experiment(name).name
        tag_values = {k: str(v) for k, v in (tags or {}).items()}
        live, _ = new_run(name, run_name or tag_values.get("mlflow.runName") or generate_run_name(),
                          [sys.executable, *sys.argv], tags=tag_values, start_time=start)
        _open_runs[live.run_id] = live
        return live.to_run()

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        return _open_run(run_id).log_param(key, value)

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None,
                   step: int | None = None, synchronous: bool | None = None, **_: Any) -> None:
        _open_run(run_id).log_metric(key, value, step, None if timestamp is None else timestamp / 1000)

    def log_batch(self, run_id: str, metrics: Sequence[Any] = (), params: Sequence[Any] = (),
                  tags: Sequence[Any] = (), synchronous: bool | None = None) -> None:
        """MLflow's ``Metric``/``Param``/``RunTag`` objects, or anything with the same attributes."""
        live = _open_run(run_id)
        for p in params:
            live.log_param(p.key, p.value)
        for m in metrics:
            live.log_metric(m.key, m.value, getattr(m, "step", None),
                            None if getattr(m, "timestamp", None) is None else m.timestamp / 1000)
        for t in tags:
            live.set_tag(t.key, t.value)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        _open_run(run_id).set_tag(key, value)

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        """End a run from ``create_run``: it becomes a commit on its experiment, ended at
        ``end_time`` (epoch ms, not before its start) or now."""
        live = _open_run(run_id)
        end = None if end_time is None else epoch_ms("end_time", end_time)
        if end is not None and end < live.start_time:
            raise BadValue(f"end_time {end_time!r} is before the run's start_time {round(live.start_time * 1000)}")
        live.finish((status or FINISHED).upper(), end_time=end)
        _open_runs.pop(live.run_id, None)

    # -- registered models ----------------------------------------------------------------
    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None, **kwargs: Any) -> Any:
        return _registry().create_registered_model(name, tags, description)

    def get_registered_model(self, name: str) -> Any:
        return _registry().get_registered_model(name)

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None, page_token: str | None = None) -> list[Any]:
        return _registry().search_registered_models(filter_string, max_results, order_by)

    def update_registered_model(self, name: str, description: str | None = None, **kwargs: Any) -> Any:
        return _registry().update_registered_model(name, description)

    def rename_registered_model(self, name: str, new_name: str) -> Any:
        return _registry().rename_registered_model(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        _registry().delete_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        _registry().set_registered_model_tag(name, key, value)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[Any]:
        return _registry().get_latest_versions(name, stages)

    # -- versions -------------------------------------------------------------------------
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, **kwargs: Any) -> Any:
        if not str(source).startswith("runs:/") and run_id:
            source = f"runs:/{run_id}/{str(source).rstrip('/').rsplit('/', 1)[-1]}"
        return _registry().register_model(source, name, tags, description or "")

    def get_model_version(self, name: str, version: str | int) -> Any:
        return _registry().get_model_version(name, version)

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None, page_token: str | None = None) -> list[Any]:
        return _registry().search_model_versions(filter_string, max_results, order_by)

    def update_model_version(self, name: str, version: str | int, description: str | None = None) -> Any:
        return _registry().update_model_version(name, version, description)

    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> Any:
        return _registry().transition_model_version_stage(name, version, stage, archive_existing_versions)

    def delete_model_version(self, name: str, version: str | int) -> None:
        _registry().delete_model_version(name, version)

    def set_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                              value: Any = None, stage: str | None = None) -> None:
        _registry().set_model_version_tag(name, version, key, value)

    def delete_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                                 stage: str | None = None) -> None:
        _registry().delete_model_version_tag(name, version, key)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return f"models:/{name}/{int(version)}"

    # -- aliases --------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        _registry().set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        _registry().delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        return _registry().get_model_version_by_alias(name, alias)
