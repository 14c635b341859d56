"""The objects the API hands out, shaped like MLflow's: ``Run`` (``run.info.run_id``,
``run.data.params``), ``Experiment``, ``Metric`` and ``ViewType``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gx.records import RunRecord
from gx.runinputs import RunInput


def experiment_id(name: str) -> str:
    """The experiment's stable id (docs/format.md); dulwich loads only when an id is asked for."""
    from gx.store.experiments import experiment_id as from_init_commit

    return from_init_commit(name)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(round(seconds * 1000))


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage (MLflow's constants)."""

    ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3

    @classmethod
    def from_string(cls, text: str) -> int:
        return {"active_only": 1, "deleted_only": 2, "all": 3}[text.strip().lower()]


@dataclass(frozen=True)
class Metric:
    """One logged value, with MLflow's attribute names (timestamp in epoch milliseconds)."""

    key: str
    value: float
    timestamp: int
    step: int


def _stored_tags(name: str) -> dict[str, str]:
    """The experiment's tags as its history holds them (empty when it has none, or no repository)."""
    from gx.errors import GxError
    from gx.store.experiment_tags import experiment_state
    from gx.store.repo import Store

    try:
        with Store.open() as store:
            return dict(experiment_state(store, name).tags)
    except GxError:
        return {}


class Experiment:
    """An experiment as MLflow shows it; ``experiment_id`` is stable across clones. ``tags`` not
    given are read from the repository when first asked for (``set_experiment``'s result)."""

    def __init__(self, name: str, tags: dict[str, str] | None = None, lifecycle_stage: str = "active",
                 creation_time: int | None = None, last_update_time: int | None = None) -> None:
        self.name = name
        self._tags = tags
        self.lifecycle_stage = lifecycle_stage
        self.creation_time = creation_time  # ms
        self.last_update_time = last_update_time  # ms

    @property
    def tags(self) -> dict[str, str]:
        if self._tags is None:
            self._tags = _stored_tags(self.name)
        return self._tags

    @property
    def experiment_id(self) -> str:
        return experiment_id(self.name)

    @property
    def artifact_location(self) -> str:
        return f"gx:/{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and (self.name, self.tags) == (other.name, other.tags)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<Experiment: experiment_id={self.experiment_id!r}, name={self.name!r}>"


class RunInfo:
    """MLflow's run info. Built from seconds (gx's unit); ``start_time``/``end_time`` are epoch ms."""

    def __init__(self, run_id: str, experiment: str, run_name: str, status: str, start_time: float | None,
                 end_time: float | None, commit: str | None = None, deleted: bool = False,
                 user_id: str = "") -> None:
        self.run_id = self.run_uuid = run_id
        self.experiment = experiment
        self.run_name = run_name
        self.status = status
        self.start_time = _ms(start_time)
        self.end_time = _ms(end_time)
        self.commit = commit
        self.deleted = deleted
        self.user_id = user_id

    @property
    def experiment_id(self) -> str:
        """The experiment's stable id; gx also accepts its name wherever MLflow takes an id."""
        return experiment_id(self.experiment)

    @property
    def lifecycle_stage(self) -> str:
        return "deleted" if self.deleted else "active"

    @property
    def artifact_uri(self) -> str:
        """Where the run's artifacts are: a ``runs:/`` URI gx resolves (``.../model`` for a model)."""
        return f"runs:/{self.run_id}"

    def __repr__(self) -> str:
        return f"<RunInfo: run_id={self.run_id!r}, run_name={self.run_name!r}, status={self.status!r}>"


@dataclass
class RunData:
    params: dict[str, Any] = field(default_factory=dict)  # typed values; MlflowClient gives strings
    metrics: dict[str, float] = field(default_factory=dict)  # last value per key
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """MLflow's dataset entity: ``source``, ``schema`` and ``profile`` are JSON text, as MLflow's."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True)
class DatasetInput:
    dataset: Dataset
    tags: list[InputTag] = field(default_factory=list)


@dataclass(frozen=True)
class RunInputs:
    """``run.inputs``: the datasets a run read (``model_inputs`` is MLflow 3's; gx records none)."""

    dataset_inputs: list[DatasetInput] = field(default_factory=list)
    model_inputs: list[Any] = field(default_factory=list)


def dataset_input(inp: RunInput) -> DatasetInput:
    """A recorded input as MLflow's ``DatasetInput``."""
    if inp.source_type == "code":
        source = {"tags": {"mlflow.source.name": inp.source} if inp.source else {}}
    else:
        source = {"url" if inp.source_type == "http" else "uri": inp.source}
    dataset = Dataset(inp.name, inp.digest, inp.source_type, json.dumps(source),
                      None if inp.schema is None else json.dumps(inp.schema),
                      None if inp.profile is None else json.dumps(inp.profile))
    return DatasetInput(dataset, [InputTag(k, v) for k, v in inp.tags.items()])


class Run:
    def __init__(self, info: RunInfo, data: RunData, record: RunRecord | None = None,
                 inputs: list[RunInput] | None = None) -> None:
        self.info = info
        self.data = data
        self.record = record
        self.inputs = RunInputs([dataset_input(i) for i in inputs or (record.inputs if record else ())])

    @classmethod
    def from_record(cls, rec: RunRecord, string_params: bool = False) -> Run:
        """The run of a record; ``string_params`` gives params as MLflow's client does (``str(value)``)."""
        info = RunInfo(rec.run_id, rec.experiment, rec.name, rec.status, rec.start_time, rec.end_time,
                       rec.commit, rec.deleted, rec.author or "")
        params = {k: str(v) for k, v in rec.params.items()} if string_params else dict(rec.params)
        return cls(info, RunData(params, rec.latest_metrics(), dict(rec.tags)), rec)

    def __repr__(self) -> str:
        return f"<Run {self.info.run_id[:8]} {self.info.run_name!r} {self.info.status}>"
