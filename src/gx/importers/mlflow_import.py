"""``gx import mlflow``: every run of the chosen experiments becomes a gx run, written through the
store's writer (``write_runs_bulk``: the same encoding and fsck checks as every run). The MLflow
run id is the gx run id, so importing again adds only runs not imported yet."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from gx.errors import GxError, UnknownExperiment
from gx.importers.convert import gx_run_id, to_record
from gx.importers.mlflow_files import FileStore
from gx.importers.mlflow_sqlite import SqliteStore
from gx.importers.source import MlflowRun, MlflowSource, SkippedRun
from gx.query.runs import experiment_names, iter_run_refs, open_store
from gx.records import RunRecord
from gx.store import objects as gobj
from gx.store.experiment_numbers import NUMBER_TAG, next_free_number
from gx.store.experiment_tags import write_experiment_tags
from gx.store.refs import validate_experiment
from gx.store.repo import Store
from gx.store.write import write_runs_bulk, write_tombstone

#: Runs written per pack and ref update.
_BATCH = 500


@dataclass
class ImportSummary:
    experiments: int = 0
    runs: int = 0
    already: int = 0
    deleted: int = 0
    points: int = 0
    artifacts: int = 0
    skipped: list[str] = field(default_factory=list)  # "<run>: <reason>", runs and parts of runs

    def lines(self) -> list[str]:
        head = (f"imported {self.runs} run(s) from {self.experiments} experiment(s): {self.points:,} metric points, "
                f"{self.artifacts} artifact(s); {self.already} already imported; {self.deleted} deleted in MLflow "
                "(imported as deleted)")
        return [head, *(f"skipped {s}" for s in self.skipped)]


def _existing_ids(store: Store, experiment: str) -> set[str]:
    try:
        return {ref.run_id for ref in iter_run_refs(store, [experiment])}
    except UnknownExperiment:
        return set()


def open_source(tracking_uri: str) -> MlflowSource:
    """The reader for ``sqlite:///path.db``, a ``./mlruns`` folder, or ``file:///.../mlruns``."""
    text = str(tracking_uri).strip()
    if text.startswith("sqlite:///"):  # sqlite:///rel.db is relative, sqlite:////abs.db absolute
        return SqliteStore(Path(unquote(text[len("sqlite:///"):])))
    if text.startswith("file:"):
        return FileStore(Path(unquote(urlparse(text).path)))
    if "://" in text:
        raise GxError(f"cannot import from {text!r}: give sqlite:///PATH.db, a ./mlruns folder or file:///PATH/mlruns "
                      "(gx reads MLflow's stores directly, not its server)")
    path = Path(text)
    if path.is_file():
        return SqliteStore(path)
    return FileStore(path)


def import_mlflow(tracking_uri: str, experiments: Iterable[str] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Import the runs of ``experiments`` (all by default) from an MLflow store into this repository."""
    source = open_source(tracking_uri)
    known = source.experiments()
    chosen = list(experiments or [])
    for name in chosen:
        if name not in known:
            raise UnknownExperiment(f"no MLflow experiment named {name!r}; it has: {', '.join(known) or 'none'}")
    chosen = chosen or known
    summary = ImportSummary()
    total = source.count_runs(chosen)
    done = 0
    with open_store() as store:
        for experiment in chosen:
            try:
                validate_experiment(experiment)
            except GxError as exc:
                summary.skipped.append(f"experiment {experiment!r}: {exc}")
                continue
            existing = _existing_ids(store, experiment)
            pending: list[RunRecord] = []
            deleted: list[RunRecord] = []
            runs_here, seen, in_source = 0, 0, source.count_runs([experiment])
            if in_source and experiment not in experiment_names(store):
                _create_experiment(store, source, experiment, summary)
            for run in source.runs([experiment], existing):
                seen += 1
                done += 1
                if isinstance(run, SkippedRun):
                    summary.skipped.append(f"run {run.run_id[:12]} ({experiment}): {run.reason}")
                elif gx_run_id(run) in existing:  # exported from this repository
                    summary.already += 1
                else:
                    runs_here += _take(run, summary, pending, deleted)
                if len(pending) >= _BATCH:
                    _flush(store, pending, deleted)
                if progress is not None:
                    progress(done, total)
            _flush(store, pending, deleted)
            summary.already += in_source - seen  # the runs the source skipped by MLflow id
            done += in_source - seen
            summary.experiments += 1 if runs_here or existing else 0
    return summary


def _create_experiment(store: Store, source: MlflowSource, experiment: str, summary: ImportSummary) -> None:
    """The experiment with MLflow's tags and its MLflow id as its number (when no experiment here has
    that number), so course code's ``experiment_ids='1'`` keeps meaning the same experiment."""
    from gx.values import check_key, tag_value

    mlflow_id, mlflow_tags = source.experiment_details(experiment)
    tags: dict[str, str | None] = {}
    for key, value in mlflow_tags.items():
        try:
            tags[check_key("tag", key)] = tag_value(key, value)
        except GxError as exc:
            summary.skipped.append(f"experiment tag of {experiment!r}: {exc}")
    number = next_free_number(store, mlflow_id)
    if number != mlflow_id and mlflow_id != "0":
        summary.skipped.append(f"experiment id {mlflow_id} of {experiment!r}: taken here; it is number {number}")
    tags[NUMBER_TAG] = number
    store.check_new_experiment(experiment)
    write_experiment_tags(store, experiment, tags)


def _take(run: MlflowRun, summary: ImportSummary, pending: list[RunRecord], deleted: list[RunRecord]) -> int:
    try:
        converted = to_record(run)
    except GxError as exc:
        summary.skipped.append(f"run {run.run_id[:12]} ({run.experiment}): {exc}")
        return 0
    summary.skipped.extend(f"in run {run.run_id[:12]}: {note}" for note in converted.notes)
    summary.runs += 1
    summary.points += converted.points
    summary.artifacts += converted.artifacts
    pending.append(converted.record)
    if run.deleted:
        summary.deleted += 1
        deleted.append(converted.record)
    return 1


def _flush(store: Store, pending: list[RunRecord], deleted: list[RunRecord]) -> None:
    """Write the pending runs, then a tombstone for each one MLflow had deleted."""
    if pending:
        write_runs_bulk(store, pending)
    for rec in deleted:
        write_tombstone(store, rec.experiment, rec.run_id, gobj.KIND_DELETE, rec.name)
    pending.clear()
    deleted.clear()
