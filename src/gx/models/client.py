"""The registry calls behind ``gx.register_model`` and ``gx.MlflowClient``, with MLflow's names.

Each call opens the repository, reads or writes registry tags, and returns MLflow-shaped objects
(``entities``). Errors for unknown models, versions and aliases are one line each.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gx.errors import BadName, GxError
from gx.models import registry as reg
from gx.models.descriptor import DESCRIPTOR_FILE
from gx.models.entities import (
    ModelVersion,
    RegisteredModel,
    latest_per_stage,
    model_version,
    registered_model,
)
from gx.models.state import read_registry
from gx.store.repo import Store
from gx.store.tagnames import validate_model_name


@contextmanager
def opened() -> Iterator[Store]:
    with Store.open() as store:
        yield store


def _version(store: Store, name: str, version: object) -> ModelVersion:
    return model_version(reg.get_version(reg.load_model_state(store, name), version))


def register_model(model_uri: str, name: str, tags: dict[str, Any] | None = None,
                   description: str = "") -> ModelVersion:
    """Register the model at ``runs:/<run>/<path>`` as the next version of ``name``."""
    from gx.models.uri import resolve_model_uri
    from gx.query.runs import open_store
    from gx.tracking import fluent

    validate_model_name(name)
    uri = str(model_uri)
    if not uri.startswith("runs:/"):
        raise BadName(f"register a model by its run: runs:/RUN_ID/PATH (got {uri!r})")
    active = fluent.active_run()
    spec = uri[len("runs:/"):].lstrip("/").split("/", 1)[0]
    if active is not None and spec and active.info.run_id.startswith(spec):
        raise GxError(f"run {active.info.run_id[:8]} is still running: gx records its model when the run ends; "
                      "register it after the 'with gx.start_run()' block (or pass registered_model_name= to "
                      "log_model)")
    with open_store() as store:
        location = resolve_model_uri(store, uri)
        if location.read(DESCRIPTOR_FILE) is None:
            raise GxError(f"{uri} holds no model (no {location.path}/{DESCRIPTOR_FILE} in run "
                          f"{(location.run_id or '')[:8]}); log one with gx.sklearn.log_model(...) first")
        number = reg.register(store, name, location.commit or "", location.path, location.run_id,
                              location.experiment, description, {k: str(v) for k, v in (tags or {}).items()})
        return _version(store, name, number)


def register_when_recorded(info: Any, name: str) -> None:
    """``log_model(registered_model_name=...)``: register once the run is a commit (at its end)."""
    from gx.tracking import fluent

    validate_model_name(name)
    run = fluent.active_run()
    live = getattr(run, "_live", None)
    if live is None or not live.owner:
        raise GxError("registered_model_name= needs a run this process records; call gx.register_model "
                      f"({info.model_uri!r}, {name!r}) after the run ends")

    def register_now(commit: str, experiment: str) -> None:
        try:
            with opened() as store:
                number = reg.register(store, name, commit, info.artifact_path, info.run_id, experiment)
            print(f"gx: registered {info.model_uri} as version {number} of model {name!r}", file=sys.stderr)
        except GxError as exc:
            print(f"gx: could not register {info.model_uri} as {name!r}: {exc}", file=sys.stderr)

    live.on_recorded.append(register_now)


def create_registered_model(name: str, tags: dict[str, Any] | None = None, description: str | None = None,
                            **_: Any) -> RegisteredModel:
    with opened() as store:
        if reg.load_model_state(store, name, must_exist=False).events:
            raise BadName(f"registered model {name!r} already exists")
        reg.update_meta(store, name, description or "", {k: str(v) for k, v in (tags or {}).items()}, create=True)
        return registered_model(reg.load_model_state(store, name))


def get_registered_model(name: str) -> RegisteredModel:
    with opened() as store:
        return registered_model(reg.load_model_state(store, name))


def _filter_names(filter_string: str | None) -> tuple[str | None, str | None]:
    """MLflow's registry filters gx reads: ``name='x'``, ``name LIKE 'x%'``, ``run_id='...'``."""
    if not filter_string:
        return None, None
    m = re.fullmatch(r"\s*(name|run_id)\s*(=|LIKE|ILIKE)\s*['\"]([^'\"]*)['\"]\s*", filter_string, re.IGNORECASE)
    if m is None:
        raise BadName(f"unsupported filter {filter_string!r}: use name='NAME', name LIKE 'PREFIX%' or run_id='ID'")
    field, op, value = m.group(1).lower(), m.group(2).upper(), m.group(3)
    if op != "=":
        pattern = re.escape(value).replace("%", ".*").replace("_", ".")
        return field, ("(?i)" if op == "ILIKE" else "") + pattern
    return field, re.escape(value)


def search_registered_models(filter_string: str | None = None, max_results: int = 100,
                             order_by: list[str] | None = None, **_: Any) -> list[RegisteredModel]:
    field, pattern = _filter_names(filter_string)
    with opened() as store:
        models = [m for m in read_registry(store).values() if not m.deprecated]
    if field == "name":
        models = [m for m in models if re.fullmatch(pattern or "", m.name)]
    return [registered_model(m) for m in models][:max_results]


def search_model_versions(filter_string: str | None = None, max_results: int = 10000,
                          order_by: list[str] | None = None, **_: Any) -> list[ModelVersion]:
    field, pattern = _filter_names(filter_string)
    with opened() as store:
        models = read_registry(store)
    out = [model_version(v) for m in models.values() for v in m.active_versions
           if field != "name" or re.fullmatch(pattern or "", m.name)]
    if field == "run_id":
        out = [v for v in out if re.fullmatch(pattern or "", v.run_id or "")]
    out.sort(key=lambda v: (v.name, -int(v.version)))
    return out[:max_results]


def get_latest_versions(name: str, stages: list[str] | None = None) -> list[ModelVersion]:
    with opened() as store:
        return latest_per_stage(reg.load_model_state(store, name), stages)


def get_model_version(name: str, version: object) -> ModelVersion:
    with opened() as store:
        return _version(store, name, version)


def get_model_version_by_alias(name: str, alias: str) -> ModelVersion:
    from gx.models.uri import resolve_version

    with opened() as store:
        return model_version(resolve_version(store, name, None, alias))


def set_registered_model_alias(name: str, alias: str, version: object) -> None:
    with opened() as store:
        reg.set_alias(store, name, alias, version)


def delete_registered_model_alias(name: str, alias: str) -> None:
    with opened() as store:
        reg.delete_alias(store, name, alias)


def transition_model_version_stage(name: str, version: object, stage: str,
                                   archive_existing_versions: bool = False) -> ModelVersion:
    with opened() as store:
        reg.transition_stage(store, name, version, stage, archive_existing_versions)
        return _version(store, name, version)


def update_model_version(name: str, version: object, description: str | None = None) -> ModelVersion:
    with opened() as store:
        reg.update_version(store, name, version, description=description)
        return _version(store, name, version)


def set_model_version_tag(name: str, version: object = None, key: str | None = None, value: Any = None,
                          **_: Any) -> None:
    if not key:
        raise BadName("set_model_version_tag needs key=")
    with opened() as store:
        reg.update_version(store, name, version, set_tags={str(key): str(value)})


def delete_model_version_tag(name: str, version: object = None, key: str | None = None, **_: Any) -> None:
    with opened() as store:
        reg.update_version(store, name, version, delete_tags=(str(key),))


def update_registered_model(name: str, description: str | None = None, **_: Any) -> RegisteredModel:
    with opened() as store:
        reg.update_meta(store, name, description)
        return registered_model(reg.load_model_state(store, name))


def set_registered_model_tag(name: str, key: str, value: Any) -> None:
    with opened() as store:
        reg.update_meta(store, name, set_tags={str(key): str(value)})


def delete_model_version(name: str, version: object) -> None:
    with opened() as store:
        reg.deregister(store, name, version)


def delete_registered_model(name: str) -> None:
    with opened() as store:
        reg.deprecate(store, name)


def rename_registered_model(name: str, new_name: str) -> RegisteredModel:
    """Copy every active version (same numbers), alias, stage and description under ``new_name``,
    then deprecate ``name``: tags are never rewritten, so the old name's history stays."""
    validate_model_name(new_name)
    with opened() as store:
        old = reg.load_model_state(store, name)
        if reg.load_model_state(store, new_name, must_exist=False).events:
            raise BadName(f"registered model {new_name!r} already exists")
        for v in old.active_versions:
            r = v.registration
            reg.register(store, new_name, v.commit, r.path, r.run_id, r.experiment, r.description, r.tags,
                         version=v.version, renamed_from=name)
        for v in old.active_versions:
            if v.stage:
                reg.transition_stage(store, new_name, v.version, v.stage, archive_existing=False)
        for alias, number in old.aliases.items():
            reg.set_alias(store, new_name, alias, number)
        if old.meta is not None:
            reg.update_meta(store, new_name, old.meta.description, old.meta.tags, create=True)
        reg.deprecate(store, name)
        return registered_model(reg.load_model_state(store, new_name))
