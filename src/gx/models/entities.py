"""MLflow-shaped registry objects: ``ModelVersion`` and ``RegisteredModel``, with MLflow's attribute names.

Times are milliseconds since the epoch and versions are strings, as MLflow's REST API returns them;
``commit``, ``path``, ``experiment`` and ``tag`` are gx's additions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gx.models.state import STAGES, ModelState, VersionState


@dataclass
class ModelVersion:
    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str
    user_id: str
    current_stage: str
    source: str
    run_id: str | None
    status: str = "READY"
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    commit: str = ""
    path: str = "model"
    experiment: str | None = None
    tag: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RegisteredModel:
    name: str
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    description: str = ""
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    deprecated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["latest_versions"] = [v.to_dict() for v in self.latest_versions]
        return out


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def model_version(v: VersionState) -> ModelVersion:
    reg = v.registration
    source = f"runs:/{reg.run_id}/{reg.path}" if reg.run_id else f"commit:/{v.commit}/{reg.path}"
    return ModelVersion(
        name=v.model, version=str(v.version), creation_timestamp=_ms(reg.time) or 0,
        last_updated_timestamp=_ms(max(v.updated, reg.updated or 0.0)) or 0, description=reg.description,
        user_id=reg.who, current_stage=STAGES.get(v.stage or "", "None"), source=source, run_id=reg.run_id,
        tags=dict(reg.tags), aliases=sorted(v.aliases), commit=v.commit, path=reg.path,
        experiment=reg.experiment, tag=reg.tag.name,
    )


def latest_per_stage(model: ModelState, stages: list[str] | None = None) -> list[ModelVersion]:
    """MLflow's ``get_latest_versions``: the newest version in each stage ('None' included)."""
    wanted = None if not stages else {str(s).strip().lower() for s in stages}
    newest: dict[str, VersionState] = {}
    for v in model.active_versions:
        key = v.stage or "none"
        if wanted is None or key in wanted:
            newest[key] = v
    return [model_version(v) for v in sorted(newest.values(), key=lambda v: v.version)]


def registered_model(model: ModelState) -> RegisteredModel:
    times = [e.time for e in model.events] + ([model.meta.time] if model.meta else [])
    updated = [v.updated for v in model.versions.values()] + times
    meta = model.meta
    return RegisteredModel(
        name=model.name, creation_timestamp=_ms(min(times, default=None)) if times else None,
        last_updated_timestamp=_ms(max(updated)) if updated else None,
        description=meta.description if meta else "", latest_versions=latest_per_stage(model),
        tags=dict(meta.tags) if meta else {}, aliases={a: str(n) for a, n in sorted(model.aliases.items())},
        deprecated=model.deprecated,
    )
