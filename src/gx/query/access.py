"""Field names, their aliases, and the one accessor both filtering and sorting read runs through."""

from __future__ import annotations

from datetime import datetime, timezone
from operator import attrgetter
from typing import Callable

from gx.records import RunSummary
from gx.runinputs import RunInput

#: Entity spellings accepted in filters and sort keys -> canonical entity.
ENTITY_ALIASES: dict[str, str] = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "parameter": "params",
    "parameters": "params",
    "tags": "tags",
    "tag": "tags",
    "attributes": "attributes",
    "attribute": "attributes",
    "attr": "attributes",
    "run": "attributes",
    "datasets": "datasets",
    "dataset": "datasets",
}

#: Attribute spellings -> canonical attribute key.
ATTRIBUTE_ALIASES: dict[str, str] = {
    "run_id": "run_id",
    "run_name": "run_name",
    "name": "run_name",
    "status": "status",
    "experiment": "experiment",
    "experiment_name": "experiment",
    "start_time": "start_time",
    "end_time": "end_time",
    "duration": "duration",
    "source_commit": "source_commit",
    "commit": "commit",
}

#: What ``datasets.KEY`` reads of each input: MLflow's name, digest and context, and gx's source
#: (path or URI) and content hashes (sha256, the LFS oid included; md5, the one DVC recorded).
DATASET_KEYS: dict[str, Callable[[RunInput], object]] = {
    "name": attrgetter("name"),
    "digest": attrgetter("digest"),
    "context": attrgetter("context"),
    "source": attrgetter("source"),
    "sha256": lambda inp: inp.file.content_ids().get("sha256") if inp.file else None,
    "md5": lambda inp: inp.file.dvc_md5 if inp.file else None,
}

#: Attributes holding epoch seconds (filters take epoch milliseconds or ISO dates for these).
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
#: Attributes holding plain numbers.
NUMBER_ATTRIBUTES = frozenset({"duration"})

_ATTRIBUTE_GETTERS: dict[str, Callable[[RunSummary], object]] = {
    "run_id": attrgetter("run_id"),
    "run_name": attrgetter("name"),
    "status": attrgetter("status"),
    "experiment": attrgetter("experiment"),
    "start_time": attrgetter("start_time"),
    "end_time": attrgetter("end_time"),
    "duration": attrgetter("duration"),
    "source_commit": attrgetter("source_commit"),
    "commit": attrgetter("commit"),
}


def normalize_entity(name: str) -> str | None:
    """Canonical entity for an alias (case-insensitive), or None when unknown."""
    return ENTITY_ALIASES.get(name.lower())


def normalize_attribute(key: str) -> str | None:
    """Canonical attribute key for an alias (case-insensitive), or None when unknown."""
    return ATTRIBUTE_ALIASES.get(key.lower())


def getter(entity: str, key: str) -> Callable[[RunSummary], object]:
    """A fast accessor for a canonical (entity, key); it returns None when the run lacks it."""
    if entity == "params":
        return lambda run: run.params.get(key)
    if entity == "metrics":
        return lambda run: run.metrics.get(key)
    if entity == "tags":
        return lambda run: run.tags.get(key)
    if entity == "datasets":
        return _dataset_getter(key)
    if entity == "attributes":
        try:
            return _ATTRIBUTE_GETTERS[key]
        except KeyError:
            raise ValueError(f"unknown attribute {key!r}") from None
    raise ValueError(f"unknown entity {entity!r}")


def _dataset_getter(key: str) -> Callable[[RunSummary], object]:
    """The values of one key over a run's inputs (a tuple), or None when no input has one: a filter
    on ``datasets.KEY`` matches a run when any of its inputs matches, as in MLflow."""
    try:
        read = DATASET_KEYS[key]
    except KeyError:
        raise ValueError(f"unknown dataset key {key!r}") from None

    def values(run: RunSummary) -> tuple[object, ...] | None:
        found = tuple(v for v in map(read, run.inputs) if v is not None)
        return found or None

    return values


def value_of(run: RunSummary, entity: str, key: str) -> object:
    """The value of one field of a run, or None when missing (entity and attribute aliases allowed).

    A param explicitly set to None is indistinguishable from a missing one: both are null.
    """
    canonical = normalize_entity(entity)
    if canonical is None:
        raise ValueError(f"unknown entity {entity!r}")
    if canonical == "attributes":
        attr = normalize_attribute(key)
        if attr is None:
            raise ValueError(f"unknown attribute {key!r}")
        key = attr
    return getter(canonical, key)(run)


def parse_time(text: str) -> float:
    """Epoch seconds for an ISO 8601 date or date-time; naive values are taken as UTC.

    Raises ValueError when the text is not an ISO date.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO date: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"date out of range: {text!r}") from None
