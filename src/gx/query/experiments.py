"""Experiments the way MLflow's API names them: by stable id or by name, searched, created.

An experiment's id is the first 16 hex digits of its deterministic init commit (docs/format.md),
so it is the same on every clone; its name is accepted wherever an id is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gx.errors import BadName, BadValue, UnknownExperiment
from gx.query.runs import experiment_names, list_experiments, open_store
from gx.records import ExperimentInfo
from gx.store.experiments import experiment_id
from gx.store.refs import DEFAULT_EXPERIMENT, experiment_ref, validate_experiment
from gx.store.repo import Store
from gx.tracking.entities import Experiment, ViewType

#: MLflow's id of its default experiment, which course code passes as ``experiment_ids=["0"]``.
MLFLOW_DEFAULT_ID = "0"


def resolve_experiment(store: Store, id_or_name: object) -> str:
    """The name of the experiment given by stable id (or a unique prefix of at least 6 digits) or by name."""
    text = str(id_or_name).strip()
    known = experiment_names(store)
    if text in known:
        return text
    lowered = text.lower()
    if re.fullmatch(r"[0-9a-f]{6,40}", lowered):
        matches = [name for name in known if experiment_id(name).startswith(lowered[:16])]
        if len(matches) == 1:
            return matches[0]
    if text == MLFLOW_DEFAULT_ID:
        return DEFAULT_EXPERIMENT
    hint = f"; known: {', '.join(f'{n} ({experiment_id(n)})' for n in known[:10])}" if known else \
        "; no experiment has runs yet"
    raise UnknownExperiment(f"no experiment with id or name {text!r}{hint}")


def resolve_experiments(store: Store, ids: str | Iterable[object] | None) -> list[str] | None:
    """Names for MLflow's ``experiment_ids`` (a single id or a list); None means every experiment."""
    if ids is None:
        return None
    if isinstance(ids, (str, int)):
        ids = [ids]
    return [resolve_experiment(store, i) for i in ids]


def _experiment(info: ExperimentInfo) -> Experiment:
    last = None if info.last_activity is None else int(round(info.last_activity * 1000))
    return Experiment(info.name, last_update_time=last)


def _name_filter(filter_string: str | None) -> re.Pattern[str] | None:
    """MLflow's experiment filters on the name: ``name = 'x'``, ``name LIKE 'x%'``, ``name ILIKE ...``."""
    if not filter_string or not filter_string.strip():
        return None
    m = re.fullmatch(r"\s*(?:attributes?\.)?name\s*(=|!=|LIKE|ILIKE)\s*(['\"])(.*)\2\s*", filter_string, re.IGNORECASE)
    if m is None:
        raise BadValue(f"unsupported experiment filter {filter_string!r}: use name = 'NAME' or name LIKE 'PATTERN%'")
    op, value = m.group(1).upper(), m.group(3)
    if op in ("=", "!="):
        pattern = re.escape(value)
        return re.compile(f"(?!{pattern}\\Z).*" if op == "!=" else pattern)
    pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in value)
    return re.compile(pattern, re.IGNORECASE if op == "ILIKE" else 0)


def search_experiments(view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                       filter_string: str | None = None, order_by: Sequence[str] | None = None) -> list[Experiment]:
    """Experiments with history here, by name (gx never deletes an experiment: DELETED_ONLY is empty)."""
    pattern = _name_filter(filter_string)
    if view_type == ViewType.DELETED_ONLY:
        return []
    found = [_experiment(info) for info in list_experiments()]
    if pattern is not None:
        found = [e for e in found if pattern.fullmatch(e.name)]
    for key in reversed(list(order_by or [])):
        field, _, direction = key.strip().partition(" ")
        attr = {"name": "name", "last_update_time": "last_update_time", "experiment_id": "experiment_id",
                "creation_time": "last_update_time"}.get(field.removeprefix("attribute."))
        if attr is None:
            raise BadValue(f"cannot order experiments by {key!r}: use name, experiment_id or last_update_time")
        found.sort(key=lambda e: (getattr(e, attr) is None, getattr(e, attr) or 0), reverse=direction.strip().upper() == "DESC")
    return found[:max_results] if max_results is not None else found


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment named ``name``, or None when it has no history here (as MLflow)."""
    validate_experiment(name)
    with open_store() as store:
        known = name in experiment_names(store)
    if not known:
        return None
    return next((e for e in search_experiments() if e.name == name), Experiment(name))


def get_experiment(experiment_id: str) -> Experiment:
    with open_store() as store:
        name = resolve_experiment(store, experiment_id)
    return get_experiment_by_name(name) or Experiment(name)


def create_experiment(name: str) -> str:
    """Create an experiment with no runs yet (its ref at its init commit); its stable id."""
    validate_experiment(name)
    with open_store() as store:
        if name in experiment_names(store):
            raise BadName(f"experiment {name!r} already exists")

        def decide(tip: bytes | None) -> tuple[bytes | None, None]:
            if tip is not None:
                return None, None
            store.check_new_experiment(name)
            return store.init_commit(name).id, None

        store.update_ref(experiment_ref(name), decide, message=b"gx: create experiment")
    return experiment_id(name)


__all__ = ["create_experiment", "get_experiment", "get_experiment_by_name", "resolve_experiment",
           "resolve_experiments", "search_experiments"]
