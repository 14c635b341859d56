"""The Run object the API hands out, shaped like MLflow's (``run.info.run_id``, ``run.data.params``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gx.records import RunRecord


@dataclass
class RunInfo:
    run_id: str
    experiment: str
    run_name: str
    status: str
    start_time: float | None  # seconds since the epoch
    end_time: float | None
    commit: str | None = None
    deleted: bool = False

    @property
    def experiment_id(self) -> str:
        """MLflow's name for it; in gx an experiment is identified by its name."""
        return self.experiment

    @property
    def lifecycle_stage(self) -> str:
        return "deleted" if self.deleted else "active"


@dataclass
class RunData:
    params: dict[str, Any] = field(default_factory=dict)  # typed values (MLflow gives strings)
    metrics: dict[str, float] = field(default_factory=dict)  # last value per key
    tags: dict[str, str] = field(default_factory=dict)


class Run:
    def __init__(self, info: RunInfo, data: RunData, record: RunRecord | None = None) -> None:
        self.info = info
        self.data = data
        self.record = record

    @classmethod
    def from_record(cls, rec: RunRecord) -> Run:
        info = RunInfo(rec.run_id, rec.experiment, rec.name, rec.status, rec.start_time, rec.end_time,
                       rec.commit, rec.deleted)
        return cls(info, RunData(dict(rec.params), rec.latest_metrics(), dict(rec.tags)), rec)

    def __repr__(self) -> str:
        return f"<Run {self.info.run_id[:8]} {self.info.run_name!r} {self.info.status}>"
