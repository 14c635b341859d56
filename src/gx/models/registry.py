"""Registry writes: register, alias, stage, deregister, deprecate, describe, rename — each a new tag.

Every operation reads the model's tags, decides, and creates its tags only if their names are still
free (compare-and-swap on the refs); losing a race to another process re-reads and decides again.
Tag times are kept strictly increasing per model so GTO, which orders events by time, sees the
order gx's event counter records.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from gx.errors import BadName, GxError, StoreConflict
from gx.models.events import format_message, subject
from gx.models.state import STAGES, ModelState, VersionState, read_registry
from gx.store.repo import Store
from gx.store.tagnames import (
    ASSIGN,
    DEPRECATE,
    DEREGISTER,
    META,
    REGISTER,
    UNASSIGN,
    TagName,
    format_tag_name,
    validate_alias,
    validate_model_name,
    validate_version,
)
from gx.store.tags import build_tag, create_tag, registry_root, replace_tag

T = TypeVar("T")
_ATTEMPTS = 20


class UnknownModel(GxError):
    """No such registered model, version or alias."""


def retrying(store: Store, action: Callable[[], T]) -> T:
    """Run ``action`` again when another writer took a tag name first."""
    for attempt in range(_ATTEMPTS):
        try:
            return action()
        except StoreConflict:
            if attempt == _ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def load_model_state(store: Store, name: str, must_exist: bool = True) -> ModelState:
    validate_model_name(name)
    model = read_registry(store, name).get(name)
    if model is None:
        if must_exist:
            raise UnknownModel(f"no registered model named {name!r}; see 'gx models ls'")
        model = ModelState(name)
    return model


def get_version(model: ModelState, version: object) -> VersionState:
    number = validate_version(version)
    found = model.versions.get(number)
    if found is None or not found.active:
        known = ", ".join(str(v.version) for v in model.active_versions) or "none"
        state = "was deleted" if found is not None else "does not exist"
        raise UnknownModel(f"version {number} of model {model.name!r} {state}; its versions: {known}")
    return found


class Writer:
    """Tags for one model, written in order, each later than the last (GTO orders by tagger time)."""

    def __init__(self, store: Store, model: ModelState) -> None:
        self.store, self.model = store, model
        self.counter = model.max_counter
        self.last = model.last_time

    def _when(self) -> float:
        now = float(int(time.time()))
        self.last = max(now, self.last + 1)
        return self.last

    def write(self, kind: str, target: str, version: int | None = None, alias: str | None = None,
              description: str = "", tagger: str | None = None, **trailers: object) -> str:
        counter = None
        if kind in (ASSIGN, UNASSIGN, DEPRECATE):
            self.counter += 1
            counter = self.counter
        name = format_tag_name(TagName(kind, self.model.name, version=version, alias=alias, counter=counter))
        message = format_message(subject(kind, self.model.name, version, alias), description,
                                 version=version, **trailers)
        create_tag(self.store, build_tag(self.store, name, target, message, self._when(),
                                         tagger=tagger.encode() if tagger else None))
        return name

    def assign(self, alias: str, version: VersionState) -> None:
        self.write(ASSIGN, version.commit, version.version, alias)

    def unassign(self, alias: str, version: VersionState) -> None:
        self.write(UNASSIGN, version.commit, version.version, alias)


def anchor(store: Store, model: ModelState) -> str:
    """What a model-wide tag points at: its latest version's run commit, so ``git push --follow-tags``
    carries it with the runs; the registry's fixed root commit while it has no version."""
    latest = model.latest
    return latest.commit if latest is not None else registry_root(store)


def register(store: Store, name: str, commit: str, path: str, run_id: str | None, experiment: str | None,
             description: str = "", tags: dict[str, str] | None = None, version: int | None = None,
             renamed_from: str | None = None, tagger: str | None = None) -> int:
    """A new version of ``name`` (the next number, or ``version``) for the model at ``commit``/``path``."""
    validate_model_name(name)

    def act() -> int:
        model = load_model_state(store, name, must_exist=False)
        existing = model.version_at(commit)
        if existing is not None:
            raise BadName(f"that run is already version {existing.version} of model {name!r} "
                          "(one version per run and model, as GTO requires)")
        number = version or model.next_version
        if number in model.versions:
            raise BadName(f"version {number} of model {name!r} exists already")
        Writer(store, model).write(REGISTER, commit, number, description=description, tagger=tagger, path=path,
                                   run=run_id, experiment=experiment, tags=dict(tags or {}),
                                   renamed_from=renamed_from)
        return number

    return retrying(store, act)


def set_alias(store: Store, name: str, alias: str, version: object) -> None:
    """Point ``alias`` at ``version``: unassign it from the version that held it, then assign it."""
    validate_alias(alias)
    if alias.lower() in STAGES:
        return transition_stage(store, name, version, STAGES[alias.lower()], archive_existing=False)

    def act() -> None:
        model = load_model_state(store, name)
        target = get_version(model, version)
        holder = model.aliases.get(alias)
        if holder == target.version:
            return
        writer = Writer(store, model)
        if holder is not None:
            writer.unassign(alias, model.versions[holder])
        writer.assign(alias, target)

    retrying(store, act)


def delete_alias(store: Store, name: str, alias: str) -> int:
    """Unassign ``alias``; returns the version it named."""
    validate_alias(alias)

    def act() -> int:
        model = load_model_state(store, name)
        if alias.lower() in STAGES:
            raise BadName(f"{alias!r} is a stage: move versions out of it with transition_model_version_stage")
        holder = model.aliases.get(alias)
        if holder is None:
            raise UnknownModel(f"model {name!r} has no alias {alias!r}; its aliases: "
                               f"{', '.join(sorted(model.aliases)) or 'none'}")
        Writer(store, model).unassign(alias, model.versions[holder])
        return holder

    return retrying(store, act)


def stage_key(stage: str) -> str | None:
    """MLflow's stage name (any case) -> the reserved alias, or None for 'None'."""
    key = str(stage).strip().lower()
    if key == "none":
        return None
    if key not in STAGES:
        raise BadName(f"bad stage {stage!r}: one of None, Staging, Production, Archived")
    return key


def transition_stage(store: Store, name: str, version: object, stage: str, archive_existing: bool) -> None:
    """Move a version to a stage (leaving its old one); optionally archive the stage's other versions."""
    key = stage_key(stage)

    def act() -> None:
        model = load_model_state(store, name)
        target = get_version(model, version)
        writer = Writer(store, model)
        if target.stage != key:
            if target.stage is not None:
                writer.unassign(target.stage, target)
            if key is not None:
                writer.assign(key, target)
        if archive_existing and key in ("staging", "production"):
            for other in model.active_versions:
                if other.version != target.version and other.stage == key:
                    writer.unassign(key, other)
                    writer.assign("archived", other)

    retrying(store, act)


def deregister(store: Store, name: str, version: object) -> None:
    """Delete a version the GitOps way: a ``name@vN.0.0!`` tag; the number is never reused."""

    def act() -> None:
        model = load_model_state(store, name)
        target = get_version(model, version)
        Writer(store, model).write(DEREGISTER, target.commit, target.version)

    retrying(store, act)


def deprecate(store: Store, name: str) -> None:
    """Retire a model (``name@deprecated#K``): hidden from listings until a new version is registered."""

    def act() -> None:
        model = load_model_state(store, name)
        if model.deprecated:
            return
        Writer(store, model).write(DEPRECATE, anchor(store, model))

    retrying(store, act)


def update_version(store: Store, name: str, version: object, description: str | None = None,
                   set_tags: dict[str, str] | None = None, delete_tags: tuple[str, ...] = ()) -> None:
    """Edit a version's description or tags: its registration tag is replaced by one with the same
    name, target, tagger and date (the version keeps its meaning) and a ``Gx-Updated`` time."""

    def act() -> None:
        model = load_model_state(store, name)
        target = get_version(model, version)
        old = target.registration
        tags = {k: v for k, v in {**old.tags, **(set_tags or {})}.items() if k not in delete_tags}
        message = format_message(old.tag.message.splitlines()[0], old.description if description is None else description,
                                 version=target.version, path=old.path, run=old.run_id, experiment=old.experiment,
                                 tags=tags, renamed_from=old.renamed_from, updated=repr(time.time()))
        tagger = old.tag.tagger.encode()
        replace_tag(store, old.tag.sha, build_tag(store, old.tag.name, old.tag.target, message, old.tag.time,
                                                  tagger=tagger, tz=old.tag.tz))

    retrying(store, act)


def update_meta(store: Store, name: str, description: str | None = None, set_tags: dict[str, str] | None = None,
                delete_tags: tuple[str, ...] = (), create: bool = False) -> None:
    """Write the model's own description and tags (the gx-only ``name@meta`` tag)."""

    def act() -> None:
        model = load_model_state(store, name, must_exist=not create)
        old = model.meta
        tags = {k: v for k, v in {**(old.tags if old else {}), **(set_tags or {})}.items() if k not in delete_tags}
        text = (old.description if old else "") if description is None else description
        message = format_message(subject(META, name), text, tags=tags, updated=repr(time.time()))
        tag = build_tag(store, format_tag_name(TagName(META, name)), anchor(store, model), message)
        if old is None:
            create_tag(store, tag)
        else:
            replace_tag(store, old.tag.sha, tag)

    retrying(store, act)
