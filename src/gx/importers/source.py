"""What an MLflow store holds, read without mlflow: experiments and runs as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse


@dataclass
class MlflowRun:
    """One MLflow run: times in ms, params and tags as MLflow keeps them (strings), metric
    histories as ``(step, timestamp ms, value)`` points, artifacts on the local disk if any."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int | None
    end_time: int | None
    user: str
    deleted: bool
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)
    artifact_dir: Path | None = None
    artifact_uri: str = ""
    #: MLflow dataset inputs: (dataset fields as stored, input tags); checked by the conversion
    inputs: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # parts of the run the reader could not read


@dataclass
class SkippedRun:
    """A run that is not imported, and why."""

    run_id: str
    experiment: str
    reason: str


class MlflowSource(Protocol):
    def experiments(self) -> list[str]: ...

    def experiment_details(self, experiment: str) -> tuple[str, dict[str, str]]:
        """The experiment's MLflow id and its tags."""
        ...

    def count_runs(self, experiments: list[str]) -> int: ...

    def runs(self, experiments: list[str], skip: set[str]) -> Iterator[MlflowRun | SkippedRun]: ...


def local_artifact_dir(uri: str | None, base: Path) -> Path | None:
    """The folder of a ``file:`` or plain-path artifact URI (relative ones from ``base``), else None
    (``mlflow-artifacts:``, ``s3:`` and other remote stores cannot be read here)."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # 'C:' is a Windows drive, not a scheme
        return None
    path = Path(uri)
    return path if path.is_absolute() else base / path
