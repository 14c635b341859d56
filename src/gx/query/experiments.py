"""Experiments the way MLflow's API names them: by stable id, MLflow number or name; searched,
created and tagged.

An experiment's id is the first 16 hex digits of its deterministic init commit (docs/format.md),
so it is the same on every clone; its name and its MLflow number (``experiment_numbers``) are
accepted wherever an id is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gx.errors import BadName, BadValue, UnknownExperiment
from gx.query.experiment_filter import experiment_filter
from gx.query.runs import experiment_names, list_experiments, open_store
from gx.records import ExperimentInfo
from gx.store.experiment_numbers import (
    NUMBER_TAG,
    experiment_by_number,
    experiment_numbers,
    next_free_number,
)
from gx.store.experiment_tags import experiment_state, experiment_states, write_experiment_tags
from gx.store.experiments import experiment_id
from gx.store.refs import DEFAULT_EXPERIMENT, validate_experiment
from gx.store.repo import Store
from gx.tracking.entities import Experiment, ViewType

#: MLflow's id of its default experiment, which course code passes as ``experiment_ids=["0"]``.
MLFLOW_DEFAULT_ID = "0"


def resolve_experiment(store: Store, id_or_name: object) -> str:
    """The name of the experiment given by name, MLflow number, or stable id (or a unique prefix
    of at least 6 digits)."""
    text = str(id_or_name).strip()
    known = experiment_names(store)
    if text in known:
        return text
    by_number = experiment_by_number(store, text)
    if by_number is not None:
        return by_number
    lowered = text.lower()
    if re.fullmatch(r"[0-9a-f]{6,40}", lowered):
        matches = [name for name in known if experiment_id(name).startswith(lowered[:16])]
        if len(matches) == 1:
            return matches[0]
    if text == MLFLOW_DEFAULT_ID:
        return DEFAULT_EXPERIMENT
    numbers = experiment_numbers(store) if known else {}
    hint = f"; known: {', '.join(f'{n} (id {numbers[n]} or {experiment_id(n)})' for n in known[:10])}" if known \
        else "; no experiment has runs yet"
    raise UnknownExperiment(f"no experiment with id or name {text!r}{hint}")


def resolve_experiments(store: Store, ids: str | Iterable[object] | None) -> list[str] | None:
    """Names for MLflow's ``experiment_ids`` (a single id or a list); None means every experiment."""
    if ids is None:
        return None
    if isinstance(ids, (str, int)):
        ids = [ids]
    return [resolve_experiment(store, i) for i in ids]


def _experiment(store: Store, info: ExperimentInfo) -> Experiment:
    state = experiment_state(store, info.name)
    last = None if info.last_activity is None else int(round(info.last_activity * 1000))
    created = None if state.created is None else int(round(state.created * 1000))
    last = max((t for t in (last, created) if t is not None), default=None)
    return Experiment(info.name, tags=dict(state.tags), creation_time=created, last_update_time=last)


_ORDER_FIELDS = {"name": "name", "last_update_time": "last_update_time", "experiment_id": "experiment_id",
                 "creation_time": "creation_time"}


def search_experiments(view_type: int = ViewType.ACTIVE_ONLY, max_results: int | None = None,
                       filter_string: str | None = None, order_by: Sequence[str] | None = None) -> list[Experiment]:
    """Experiments with history here, most recently updated first unless ``order_by`` says otherwise
    (MLflow's default; ties by name). gx never deletes an experiment: DELETED_ONLY is empty.
    ``filter_string`` as MLflow's: ``name``, ``creation_time``, ``last_update_time`` and ``tags.<key>``."""
    keep = experiment_filter(filter_string)
    if view_type == ViewType.DELETED_ONLY:
        return []
    with open_store() as store:
        found = [_experiment(store, info) for info in list_experiments(store)]
    found = sorted((e for e in found if keep(e)), key=lambda e: e.name)
    for key in reversed(list(order_by or ["last_update_time DESC"])):
        field, _, direction = key.strip().partition(" ")
        attr = _ORDER_FIELDS.get(field.removeprefix("attributes.").removeprefix("attribute."))
        if attr is None:
            raise BadValue(f"cannot order experiments by {key!r}: use name, experiment_id, creation_time or "
                           "last_update_time")
        found.sort(key=lambda e: (getattr(e, attr) is None, getattr(e, attr) or 0), reverse=direction.strip().upper() == "DESC")
    return found[:max_results] if max_results is not None else found


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment named ``name``, or None when it has no history here (as MLflow)."""
    validate_experiment(name)
    with open_store() as store:
        if name not in experiment_names(store):
            return None
        info = next((i for i in list_experiments(store) if i.name == name), ExperimentInfo(name, 0, 0, None))
        return _experiment(store, info)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment given by stable id, MLflow number or name; unknown ones are one error listing the known."""
    with open_store() as store:
        name = resolve_experiment(store, experiment_id)
    return get_experiment_by_name(name) or Experiment(name)


def _checked_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    from gx.values import check_key, tag_value

    return {check_key("tag", k): tag_value(k, v) for k, v in (tags or {}).items()}


def create_experiment(name: str, tags: Mapping[str, Any] | None = None) -> str:
    """Create an experiment with no runs yet: one ``tags`` commit holding ``tags`` and its MLflow
    number (the next free one); its stable id."""
    validate_experiment(name)
    checked = _checked_tags(tags)
    with open_store() as store:
        if name in experiment_names(store):
            raise BadName(f"experiment {name!r} already exists")
        store.check_new_experiment(name)
        write_experiment_tags(store, name, {**checked, NUMBER_TAG: next_free_number(store)})
    return experiment_id(name)


def tag_experiment(experiment_id: str, tags: Mapping[str, Any]) -> None:
    """Set tags on an experiment (one ``tags`` commit); the experiment is given by id, number or name."""
    checked = _checked_tags(tags)
    if checked:
        with open_store() as store:
            write_experiment_tags(store, resolve_experiment(store, experiment_id), checked)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """MLflow's fluent call: tag the current experiment (``set_experiment``'s, else the default),
    created by this when it has no history yet."""
    from gx.tracking.fluent import _current_experiment

    checked = _checked_tags(tags)
    if checked:
        with open_store() as store:
            write_experiment_tags(store, _current_experiment(None), checked)


def set_experiment_tag(key: str, value: Any) -> None:
    set_experiment_tags({key: value})


def delete_experiment_tag(experiment_id: str, key: str) -> None:
    """Remove a tag from an experiment (a ``tags`` commit with a null value)."""
    with open_store() as store:
        name = resolve_experiment(store, experiment_id)
        if key not in experiment_state(store, name).tags:
            raise BadValue(f"experiment {name!r} has no tag {key!r}")
        write_experiment_tags(store, name, {key: None})


@dataclass(frozen=True)
class ExperimentLabels:
    """How an experiment is named besides its name: MLflow number, stable id, and its tags."""

    number: str
    id: str
    tags: dict[str, str]


def experiment_labels(store: Store, names: Iterable[str]) -> dict[str, ExperimentLabels]:
    """Number, stable id and tags of each of ``names``; tags are read only here (from the cached
    tag events), so listing runs never pays for them."""
    states = experiment_states(store)
    numbers = experiment_numbers(store, states)
    return {name: ExperimentLabels(numbers.get(name, ""), experiment_id(name),
                                   dict(states[name].tags) if name in states else {})
            for name in names}


__all__ = ["ExperimentLabels", "create_experiment", "delete_experiment_tag", "experiment_labels", "get_experiment",
           "get_experiment_by_name", "resolve_experiment", "resolve_experiments", "search_experiments",
           "set_experiment_tag", "set_experiment_tags", "tag_experiment"]
