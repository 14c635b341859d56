"""How a run summary is packed into the index's rows and unpacked from them, lazily."""

from __future__ import annotations

import marshal
from typing import Any

from gx.records import RunSummary
from gx.store.encode import decode_summary
from gx.store.history import Entry
from gx.store.repo import Store


def summary_row(store: Store, entry: Entry, experiment: str) -> tuple[Any, ...]:
    """(run_id, name, status, start, end, params, metrics, tags, source commit) of a run commit."""
    tree = entry.commit.tree
    rec = decode_summary(lambda path: store.read_blob(tree, path), experiment, entry.run_id or "")
    return (rec.run_id, rec.name, rec.status, rec.start_time, rec.end_time, rec.params, rec.latest_metrics(),
            rec.tags, rec.source.get("commit"))


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
