"""Sort keys (``-metrics.rmse``, ``metrics.rmse DESC``, ``start_time``) and a stable multi-key sort.

Within one key: numbers (ints, floats, inf) come first, then bools, then strings; the direction
orders values inside each group. Missing values, params set to None and NaN always come last.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from gx.errors import FilterSyntaxError
from gx.query.access import getter, value_of
from gx.query.lexer import field_ref, resolve_field, tokenize
from gx.records import RunSummary

__all__ = ["SortKey", "parse_sort_key", "sort_runs", "value_of"]


@dataclass(frozen=True)
class SortKey:
    """One parsed sort key: canonical entity and key, and the direction."""

    entity: str
    key: str
    descending: bool = False

    def __str__(self) -> str:
        return field_ref(self.entity, self.key) + (" DESC" if self.descending else "")


#: What runs sort by when no key is given (MLflow's default): newest first.
DEFAULT_SORT = (SortKey("attributes", "start_time", descending=True),)


def parse_sort_key(spec: str) -> SortKey:
    """Parse ``[-|+]entity.key [ASC|DESC]``; a bare word names an attribute (``start_time``)."""
    body = spec.lstrip()
    at = len(spec) - len(body)
    signed = body[:1] in ("-", "+")
    descending = body[:1] == "-"
    try:
        # Blank out the sign so the tokenizer sees a plain field at unchanged positions.
        tokens = tokenize(spec[:at] + " " + spec[at + 1 :] if signed else spec)
        if tokens[0].kind == "EOF":
            raise FilterSyntaxError("empty sort key", spec, tokens[0].pos)
        entity, key = resolve_field(tokens[0], spec)
        if entity == "datasets":
            raise FilterSyntaxError("runs cannot be sorted by datasets.*: a run may have several inputs", spec, 0)
        rest = tokens[1:]
        word = rest[0].text.lower() if rest[0].kind == "WORD" else ""
        if word in ("asc", "desc"):
            if signed:
                raise FilterSyntaxError(
                    "use a leading '-' or ASC/DESC, not both", spec, rest[0].pos
                )
            descending = word == "desc"
            rest = rest[1:]
        if rest[0].kind != "EOF":
            raise FilterSyntaxError(
                "expected ASC, DESC or the end of the sort key", spec, rest[0].pos
            )
    except FilterSyntaxError as exc:
        raise FilterSyntaxError(exc.reason, spec, exc.position) from None
    return SortKey(entity, key, descending)


def _sort_one(runs: list[RunSummary], sort_key: SortKey, limit: int | None = None) -> list[RunSummary]:
    """Stable sort on one key, with the type grouping and missing-last rule of this module.

    With ``limit`` only the first ``limit`` runs are returned, found by a partial sort
    (``heapq.nsmallest`` is documented equal to ``sorted(...)[:n]``, ties included)."""
    get = getter(sort_key.entity, sort_key.key)
    numbers: list[tuple[Any, RunSummary]] = []
    bools: list[tuple[Any, RunSummary]] = []
    strings: list[tuple[Any, RunSummary]] = []
    missing: list[RunSummary] = []
    for run in runs:
        v = get(run)
        t = type(v)
        if v is None or (t is float and v != v):
            missing.append(run)
        elif t is bool:
            bools.append((v, run))
        elif t is int or t is float:
            numbers.append((v, run))
        else:
            strings.append((v if t is str else str(v), run))
    out: list[RunSummary] = []
    for group in (numbers, bools, strings):
        room = None if limit is None else limit - len(out)
        if room is not None and room <= 0:
            return out
        if room is not None and room < len(group):
            pick = heapq.nlargest if sort_key.descending else heapq.nsmallest
            group = pick(room, group, key=itemgetter(0))
        else:
            group.sort(key=itemgetter(0), reverse=sort_key.descending)
        out.extend(run for _, run in group)
    out.extend(missing)
    return out if limit is None else out[:limit]


def sort_runs(runs: Iterable[RunSummary], keys: Sequence[str | SortKey] = (),
              limit: int | None = None) -> list[RunSummary]:
    """Sort by several keys, first key most significant; ties keep their input order.

    With no keys: newest start_time first, ties by run_id. ``limit`` keeps the first N only.
    """
    parsed = [k if isinstance(k, SortKey) else parse_sort_key(k) for k in keys]
    out = list(runs)
    if not parsed:
        out.sort(key=attrgetter("run_id"))
        parsed = list(DEFAULT_SORT)
    for i, sort_key in enumerate(reversed(parsed)):
        out = _sort_one(out, sort_key, limit if i == len(parsed) - 1 else None)
    return out
