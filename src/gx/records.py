"""The in-memory shape of one run: what the store encodes to a tree and decodes back."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from gx.runinputs import RunInput

Number = Union[int, float]
ParamValue = Union[int, float, bool, str, None]

#: Statuses a run can end with (MLflow's names).
FINISHED, FAILED, KILLED, RUNNING = "FINISHED", "FAILED", "KILLED", "RUNNING"
STATUSES = (FINISHED, FAILED, KILLED, RUNNING)
#: The tag naming a nested run's parent (MLflow's name); gx wrote the second one before.
PARENT_TAG = "mlflow.parentRunId"
LEGACY_PARENT_TAG = "gx.parent_run_id"
#: A run id as gx and MLflow write them: 32 lowercase hex digits.
RUN_ID = re.compile(r"[0-9a-f]{32}\Z")


class ArtifactLink(bytes):
    """An artifact that is a symbolic link: the bytes are its target text, stored with mode 120000."""


class LfsArtifact(bytes):
    """An artifact kept in Git LFS: the bytes are its pointer file, the run tree's ``.gitattributes``
    marks its path, and the content is in the LFS store (``gx.lfs``)."""


@dataclass
class MetricPoint:
    step: int
    timestamp: float  # seconds since the epoch
    value: float


@dataclass
class RunRecord:
    """Everything gx knows about one run.

    Times are seconds since the epoch (floats); the store writes them as ISO 8601 UTC.
    ``metrics`` holds the full history per key, oldest first; ``latest_metrics`` derives
    the last value of each.
    """

    run_id: str
    experiment: str
    name: str = ""
    status: str = RUNNING
    start_time: float | None = None
    end_time: float | None = None
    exit_code: int | None = None
    signal: str | None = None
    error: str | None = None
    command: list[str] | None = None
    author: str | None = None
    host: str | None = None
    python: str | None = None
    platform: str | None = None
    gx_version: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)  # commit, branch, dirty, snapshot
    params: dict[str, ParamValue] = field(default_factory=dict)
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)  # posix path -> content (or ArtifactLink)
    source_patch: bytes | None = None
    packages: list[str] = field(default_factory=list)  # "name==version", sorted
    stdout_tail: bytes | None = None
    stderr_tail: bytes | None = None
    inputs: list[RunInput] = field(default_factory=list)  # datasets and files the run read (inputs.yaml)
    # Filled when read back from the store:
    commit: str | None = None  # hex sha of the run commit
    deleted: bool = False

    @property
    def duration(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return max(0.0, self.end_time - self.start_time)

    def latest_metrics(self) -> dict[str, float]:
        return {k: pts[-1].value for k, pts in self.metrics.items() if pts}

    def latest_steps(self) -> dict[str, int]:
        return {k: pts[-1].step for k, pts in self.metrics.items() if pts}


def parent_run_id(tags: dict[str, str]) -> str | None:
    """A nested run's parent: MLflow's tag, or the one gx wrote before it used MLflow's name."""
    value = tags.get(PARENT_TAG) or tags.get(LEGACY_PARENT_TAG)
    return value if isinstance(value, str) and value else None


@dataclass
class RunSummary:
    """The light view of a run used for listing, search and sorting (no history, no blobs)."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: float | None
    end_time: float | None
    params: dict[str, ParamValue]
    metrics: dict[str, float]  # last value per key
    tags: dict[str, str]
    commit: str | None = None
    deleted: bool = False
    source_commit: str | None = None
    inputs: list[RunInput] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return max(0.0, self.end_time - self.start_time)

    @property
    def parent_run_id(self) -> str | None:
        return parent_run_id(self.tags)

    @classmethod
    def from_record(cls, rec: RunRecord) -> RunSummary:
        return cls(
            run_id=rec.run_id,
            experiment=rec.experiment,
            name=rec.name,
            status=rec.status,
            start_time=rec.start_time,
            end_time=rec.end_time,
            params=dict(rec.params),
            metrics=rec.latest_metrics(),
            tags=dict(rec.tags),
            commit=rec.commit,
            deleted=rec.deleted,
            source_commit=rec.source.get("commit"),
            inputs=list(rec.inputs),
        )


@dataclass
class BadRun:
    """A run whose files could not be read back (malformed, over a limit, missing): readers list it
    as one warning and go on with every other run; ``gx show`` of it says what is wrong."""

    experiment: str
    run_id: str
    commit: str
    reason: str

    def warning(self) -> str:
        return f"gx: skipping run {self.run_id[:8]} in {self.experiment!r}: {self.reason}"

    def warn(self) -> None:
        """Report it through ``warnings`` (the CLI prints GxWarnings as plain lines on stderr)."""
        from gx.errors import GxWarning

        warnings.warn(self.warning(), GxWarning, stacklevel=3)


@dataclass
class ExperimentInfo:
    name: str
    runs: int
    deleted: int
    last_activity: float | None  # when the newest (not deleted) run started


def format_time(ts: float | None) -> str | None:
    """Epoch seconds -> ISO 8601 UTC with microseconds, e.g. 2026-11-24T03:05:27.123456Z."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: Any) -> float | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    if isinstance(text, datetime):  # YAML may already have parsed it
        dt = text if text.tzinfo else text.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    value = str(text)
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value).timestamp()
