"""Plotted keys: ``params.alpha``-style names resolved against the runs, and one column of values per key."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from gx.errors import BadValue
from gx.plots.common import format_value, is_number
from gx.records import RunSummary

_KINDS = {
    "params": "params",
    "param": "params",
    "metrics": "metrics",
    "metric": "metrics",
    "attributes": "attributes",
    "attribute": "attributes",
    "attrs": "attributes",
    "attr": "attributes",
    "tags": "tags",
    "tag": "tags",
}
_ATTRIBUTES = (
    "run_id",
    "experiment",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration",
    "commit",
    "source_commit",
)
_MISSING = object()



def _resolve_key(key: str, runs: Sequence[RunSummary]) -> tuple[str, str]:
    """Split ``"params.alpha"``-style keys into (kind, name); a bare key is looked up."""
    prefix, dot, rest = key.partition(".")
    if dot and prefix.lower() in _KINDS and rest:
        return _KINDS[prefix.lower()], rest
    in_metrics = any(key in r.metrics for r in runs)
    in_params = any(key in r.params for r in runs)
    if in_metrics and in_params:
        raise BadValue(f"'{key}' is both a param and a metric; write params.{key} or metrics.{key}")
    if in_metrics:
        return "metrics", key
    if in_params:
        return "params", key
    if key in _ATTRIBUTES:
        return "attributes", key
    if any(key in r.tags for r in runs):
        return "tags", key
    raise BadValue(f"no run has '{key}'; {_known_keys(runs)}")


def _value(run: RunSummary, kind: str, name: str) -> Any:
    """The run's value for a resolved key, or ``_MISSING``; None and non-finite numbers count as missing."""
    if kind == "attributes":
        v = getattr(run, name, None) if name in _ATTRIBUTES else None
    else:
        v = getattr(run, kind).get(name)
    if v is None or (is_number(v) and not math.isfinite(v)):
        return _MISSING
    return v


def _known_keys(runs: Sequence[RunSummary], limit: int = 12) -> str:
    keys = sorted({f"params.{k}" for r in runs for k in r.params})
    keys += sorted({f"metrics.{k}" for r in runs for k in r.metrics})
    if not keys:
        return (
            "the runs have no params or metrics; use attributes.<name> (e.g. attributes.duration)"
        )
    more = f", … ({len(keys) - limit} more)" if len(keys) > limit else ""
    return "known keys: " + ", ".join(keys[:limit]) + more


class Column:
    """One plotted key: its values per run, numeric or categorical, and positions for them."""

    def __init__(self, key: str, runs: Sequence[RunSummary]) -> None:
        kind, name = _resolve_key(key, runs)
        self.key = f"{kind}.{name}"
        self.values = [_value(r, kind, name) for r in runs]
        present = [v for v in self.values if v is not _MISSING]
        if not present:
            raise BadValue(f"no run has '{key}'; {_known_keys(runs)}")
        self.categorical = not all(is_number(v) for v in present)
        if self.categorical:
            self.categories = sorted(set(present), key=_category_order)
            self.index = {c: i for i, c in enumerate(self.categories)}
            self.lo, self.hi = 0.0, float(len(self.categories) - 1)
        else:
            self.categories = []
            self.index = {}
            self.lo, self.hi = float(min(present)), float(max(present))

    def position(self, i: int) -> float:
        """The plotted coordinate of run ``i`` (category index for categorical), NaN if missing."""
        v = self.values[i]
        if v is _MISSING:
            return math.nan
        return float(self.index[v]) if self.categorical else float(v)

    def normalised(self, i: int) -> float:
        """The run's position scaled to [0, 1]; 0.5 when the column has a single value."""
        p = self.position(i)
        if math.isnan(p) or self.hi == self.lo:
            return p if math.isnan(p) else 0.5
        return (p - self.lo) / (self.hi - self.lo)

    def tick_labels(self) -> list[str]:
        return [format_value(c) for c in self.categories]


def _category_order(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (0, int(v))
    if is_number(v):
        return (1, v)
    return (2, str(v))
