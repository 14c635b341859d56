"""How a run summary is packed into the index's rows and unpacked from them, lazily; the index's small helpers."""

from __future__ import annotations

import marshal
import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

from gx.records import RunSummary
from gx.runinputs import RunInput, from_checked
from gx.store.decode import decode_summary
from gx.store.history import Entry
from gx.store.repo import Store


def summary_row(store: Store, entry: Entry, experiment: str) -> tuple[Any, ...]:
    """(run_id, name, status, start, end, params, metrics, tags, source commit, inputs) of a run commit."""
    tree = entry.commit.tree
    rec = decode_summary(lambda path: store.read_blob(tree, path), experiment, entry.run_id or "")
    return (rec.run_id, rec.name, rec.status, rec.start_time, rec.end_time, rec.params, rec.latest_metrics(),
            rec.tags, rec.source.get("commit"), rec.inputs)


def packed_row(row: tuple[Any, ...], experiment: str, sha: str, commit_time: int) -> list[Any]:
    """A ``runs`` table row (without its seq): the summary marshalled, with a checksum over the payloads."""
    head = marshal.dumps((row[0], row[1], row[2], row[3], row[4], row[8], [i.to_dict() for i in row[9]]))
    params, metrics, tags = marshal.dumps(row[5]), marshal.dumps(row[6]), marshal.dumps(row[7])
    return [row[0], experiment, sha, row[3], row[1], head, params, metrics, tags, commit_time,
            zlib.crc32(head + params + metrics + tags)]


def unpacked_inputs(packed: list[dict[str, Any]]) -> list[RunInput]:
    """A run's inputs as ``packed_row`` stored them."""
    return [from_checked(d) for d in packed] if packed else []


class IndexDamaged(sqlite3.DatabaseError):
    """A row's payload does not match its checksum: the cache file was damaged; rebuild it."""


def check_crc(crc: Any, *payloads: bytes) -> None:
    """Only bytes this code wrote are ever unmarshalled (marshal is not safe on arbitrary input)."""
    if not all(type(p) is bytes for p in payloads) or zlib.crc32(b"".join(payloads)) != crc:
        raise IndexDamaged("a run's summary in the index does not match its checksum")


def _lazy(field: str) -> property:
    """A RunSummary mapping decoded from the index on first use (listing 100k runs touches few)."""
    raw_name, cache_name = f"_raw_{field}", f"_{field}"

    def get(self: LazySummary) -> Any:
        try:
            return self.__dict__[cache_name]
        except KeyError:
            value = self.__dict__[cache_name] = marshal.loads(self.__dict__.pop(raw_name))
            return value

    def set_(self: LazySummary, value: Any) -> None:
        self.__dict__.pop(raw_name, None)
        self.__dict__[cache_name] = value

    return property(get, set_)


class LazySummary(RunSummary):
    """A RunSummary whose params, metrics and tags stay encoded until read."""

    params = _lazy("params")  # type: ignore[assignment]
    metrics = _lazy("metrics")  # type: ignore[assignment]
    tags = _lazy("tags")  # type: ignore[assignment]


class StopSet(set):  # type: ignore[type-arg]
    """A walk's stop set that remembers which of its members a walk ran into."""

    def __init__(self, items: Iterable[bytes]) -> None:
        super().__init__(items)
        self.hits: set[bytes] = set()

    def __contains__(self, item: object) -> bool:
        found = super().__contains__(item)
        if found:
            self.hits.add(item)  # type: ignore[arg-type]
        return found


def where_experiments(experiments: list[str] | None) -> str:
    if not experiments:
        return ""
    return " WHERE experiment IN (" + ",".join("?" * len(experiments)) + ")"
