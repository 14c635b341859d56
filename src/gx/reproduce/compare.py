"""Comparing a reproduction's metrics with the original's: identical, within a relative tolerance,
or different — per metric, by last value."""

from __future__ import annotations

import math


def verdict(original: float | None, new: float | None, rel_tol: float) -> str:
    if original is None or new is None:
        return "missing"
    if original == new or (math.isnan(original) and math.isnan(new)):
        return "identical"
    if math.isclose(original, new, rel_tol=rel_tol):
        return "within tolerance"
    return "different"


def compare_metrics(original: dict[str, float], new: dict[str, float], rel_tol: float) -> list[tuple[str, float | None, float | None, str]]:
    """``(key, original, new, verdict)`` for every metric of either run, sorted by key."""
    return [(k, original.get(k), new.get(k), verdict(original.get(k), new.get(k), rel_tol))
            for k in sorted(set(original) | set(new))]
