"""The registry as of now, computed from its tags: models, their versions, aliases and stages.

Rules (docs/models.md): a version exists from its registration tag until its deregistration tag;
alias and stage events apply in the order of the model's event counter ``#K``; an alias names one
version (the last assignment wins), a stage may hold several versions, and each version is in at
most one stage. Stages are the reserved aliases ``staging``, ``production`` and ``archived``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from gx.errors import BadRecord, GxWarning
from gx.models.events import Event, parse_event
from gx.store.repo import Store
from gx.store.tagnames import (
    ASSIGN,
    COUNTED,
    DEPRECATE,
    DEREGISTER,
    META,
    REGISTER,
    UNASSIGN,
    is_foreign_registry_tag,
    model_tag_prefixes,
    parse_tag_name,
)
from gx.store.tags import list_tag_refs, read_registry_tags

#: MLflow's stage names, and the reserved aliases that hold them in tags.
STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}


@dataclass
class VersionState:
    """One registered version: its registration event and what happened to it since."""

    model: str
    version: int
    registration: Event
    deregistered: Event | None = None
    stage: str | None = None  # a key of STAGES
    aliases: list[str] = field(default_factory=list)
    updated: float = 0.0

    @property
    def commit(self) -> str:
        return self.registration.tag.target

    @property
    def active(self) -> bool:
        return self.deregistered is None


@dataclass
class ModelState:
    """One model: every version ever registered, current aliases, and its event history."""

    name: str
    versions: dict[int, VersionState] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)  # every tag, oldest first
    meta: Event | None = None
    max_counter: int = 0
    last_time: float = 0.0

    @property
    def active_versions(self) -> list[VersionState]:
        return [v for _, v in sorted(self.versions.items()) if v.active]

    @property
    def latest(self) -> VersionState | None:
        active = self.active_versions
        return active[-1] if active else None

    @property
    def next_version(self) -> int:
        return max(self.versions, default=0) + 1

    @property
    def deprecated(self) -> bool:
        deprecations = [e.time for e in self.events if e.name.kind == DEPRECATE]
        registrations = [e.time for e in self.events if e.name.kind == REGISTER]
        return bool(deprecations) and max(deprecations) >= max(registrations, default=0.0)

    def version_at(self, commit: str) -> VersionState | None:
        """The newest active version registered at ``commit`` (how GTO ties a stage tag to a version)."""
        matches = [v for v in self.active_versions if v.commit == commit]
        return matches[-1] if matches else None


def _order(event: Event) -> tuple:
    return (event.name.counter or 0, event.time, event.tag.name)


def build_model(name: str, events: list[Event]) -> ModelState:
    """Apply one model's events: registrations first, then counted events in counter order."""
    model = ModelState(name)
    for event in sorted(events, key=lambda e: (e.time, e.tag.name)):
        kind = event.name.kind
        model.last_time = max(model.last_time, event.time)
        model.max_counter = max(model.max_counter, event.name.counter or 0)
        if kind == META:
            model.meta = event
            continue
        model.events.append(event)
        if kind == REGISTER and event.version not in model.versions:
            model.versions[event.version] = VersionState(name, event.version, event, updated=event.updated or event.time)  # type: ignore[index]
    for event in model.events:
        if event.name.kind == DEREGISTER and event.version in model.versions:
            model.versions[event.version].deregistered = event  # type: ignore[index]
    for event in sorted((e for e in model.events if e.name.kind in COUNTED), key=_order):
        kind, alias = event.name.kind, event.name.alias
        if kind == DEPRECATE:
            continue
        target = model.versions.get(event.version) if event.version is not None else model.version_at(event.tag.target)
        if target is None or target.commit != event.tag.target:
            continue  # an alias tag for a version gx does not know: shown in history only
        event.version = target.version
        target.updated = max(target.updated, event.time)
        if alias in STAGES:
            if kind == ASSIGN:
                target.stage = alias
            elif target.stage == alias:
                target.stage = None
        elif kind == ASSIGN:
            model.aliases[alias] = target.version  # type: ignore[index]
        elif kind == UNASSIGN and model.aliases.get(alias) == target.version:  # type: ignore[arg-type]
            del model.aliases[alias]  # type: ignore[arg-type]
    for alias, number in list(model.aliases.items()):
        version = model.versions[number]
        if version.active:
            version.aliases.append(alias)
        else:
            del model.aliases[alias]
    for version in model.versions.values():
        if not version.active:
            version.stage = None
    return model


def read_events(store: Store, model: str | None = None, warn: bool = True) -> dict[str, list[Event]]:
    """Every readable registry event by model (only ``model``'s when given); bad tags are warnings."""
    prefixes = model_tag_prefixes(model) if model is not None else None
    names, refs, foreign = {}, {}, []
    for ref, sha in list_tag_refs(store.paths).items():
        if prefixes is not None and not ref.startswith(prefixes):
            continue
        parsed = parse_tag_name(ref)
        if parsed is not None and (model is None or parsed.model == model):
            names[ref], refs[ref] = parsed, sha
        elif parsed is None and warn and is_foreign_registry_tag(ref):
            foreign.append(ref)
    tags, problems = read_registry_tags(store, refs=refs)
    out: dict[str, list[Event]] = {}
    for tag in tags:
        try:
            event = parse_event(names[tag.name], tag)
        except BadRecord as exc:
            problems[tag.name] = str(exc)
            continue
        out.setdefault(event.name.model, []).append(event)
    if warn:
        for tag_name, reason in sorted(problems.items()):
            warnings.warn(f"gx: skipping tag {tag_name}: {reason}", GxWarning, stacklevel=2)
        if foreign:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            warnings.warn(f"gx: skipping tag {sorted(foreign)[0]}{more}: gx reads model versions written "
                          "vN.0.0 and aliases written name#alias#N", GxWarning, stacklevel=2)
    return out


def read_registry(store: Store, model: str | None = None, warn: bool = True) -> dict[str, ModelState]:
    """Models by name (all, or only ``model``), computed from the tags."""
    return {name: build_model(name, events) for name, events in sorted(read_events(store, model, warn).items())}
