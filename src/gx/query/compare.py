"""Compare runs side by side and diff two runs; render either as a table, CSV, JSON or Markdown.

``compare`` keeps every key and marks those that are not the same in every run; metric cells
show the change against the first run. ``diff`` keeps only what changed between two runs, and
with ``code=True`` also the unified diff of the code each ran (through dulwich, no git binary).
Renderers take a ``Comparison``/``RunDiff`` and return text whose layout tests pin exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

from gx.errors import BadValue
from gx.formatting import csv_text as _csv
from gx.formatting import dumps, grid
from gx.formatting import duration as fmt_duration
from gx.formatting import markdown as _markdown
from gx.formatting import value as fmt_value
from gx.records import RunRecord, RunSummary
from gx.store.repo import Store

AnyRun = Union[RunRecord, RunSummary]
FORMATS = ("table", "csv", "json", "md")
#: Table cells longer than this are cut with an ellipsis (CSV, JSON and Markdown keep them whole).
#: Attribute rows that get the ``differs`` mark (name and duration nearly always differ).
_MARKED_ATTRIBUTES = frozenset({"experiment", "status", "source"})


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same(a: Any, b: Any) -> bool:
    """Equality for param/metric values: 1 == 1.0, True != 1, NaN == NaN, None only equals None."""
    if _is_number(a) and _is_number(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def change(old: Any, new: Any) -> tuple[int | float | None, float | None]:
    """``(new - old, percent of |old|)`` for two finite numbers; None where it does not apply.

    Float results are rounded to 15 significant digits, so 0.6 - 0.5 gives 0.1, not 0.09999999999999998.
    """
    if not (_is_number(old) and _is_number(new)) or not all(map(math.isfinite, (old, new))):
        return None, None
    delta = new - old
    pct = _round(delta / abs(old) * 100.0) if old else None
    return (_round(delta) if isinstance(delta, float) else delta), pct


def _round(x: float) -> float:
    return float(f"{x:.15g}")


def _summary(run: AnyRun) -> RunSummary:
    return run if isinstance(run, RunSummary) else RunSummary.from_record(run)


def _source(run: AnyRun) -> str | None:
    """The code the run ran: the snapshot of a dirty tree, else the source commit (all a summary has)."""
    if isinstance(run, RunRecord):
        return run.source.get("snapshot") or run.source.get("commit")
    return run.source_commit


@dataclass
class Row:
    """One compared key (``name``, ``params.alpha``, ``metrics.rmse``) with a value per run."""

    key: str
    values: list[Any]  # None where the run lacks the key
    differs: bool


@dataclass
class Comparison:
    runs: list[RunSummary]
    rows: list[Row]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)


def compare(runs: Sequence[AnyRun]) -> Comparison:
    """Attributes, then every param, then every metric (keys sorted), one value per run."""
    if not runs:
        raise BadValue("nothing to compare: give at least one run")
    summaries = [_summary(r) for r in runs]
    attrs = {
        "name": [s.name or None for s in summaries],
        "experiment": [s.experiment for s in summaries],
        "status": [s.status for s in summaries],
        "duration": [s.duration for s in summaries],
        "source": [_source(r) for r in runs],
    }
    rows = []
    for key, values in attrs.items():
        marked = key in _MARKED_ATTRIBUTES and not all(same(values[0], v) for v in values)
        rows.append(Row(key, values, marked))
    for section in ("params", "metrics"):
        keys = sorted({k for s in summaries for k in getattr(s, section)})
        for key in keys:
            values = [getattr(s, section).get(key) for s in summaries]
            rows.append(Row(f"{section}.{key}", values, not all(same(values[0], v) for v in values)))
    return Comparison(summaries, rows)


@dataclass
class DiffRow:
    key: str  # params.alpha, metrics.rmse
    old: Any  # None when the first run lacks it
    new: Any
    delta: int | float | None
    pct: float | None


@dataclass
class RunDiff:
    a: RunSummary
    b: RunSummary
    rows: list[DiffRow]
    patch: str | None = None  # unified diff of the code, when asked for


def diff(a: AnyRun, b: AnyRun, code: bool = False, store: Store | None = None) -> RunDiff:
    """What changed from run ``a`` to run ``b``: params, then metrics; ``code`` adds the code diff."""
    sa, sb = _summary(a), _summary(b)
    rows = []
    for section in ("params", "metrics"):
        old_map, new_map = getattr(sa, section), getattr(sb, section)
        for key in sorted(set(old_map) | set(new_map)):
            old, new = old_map.get(key), new_map.get(key)
            if not same(old, new):
                rows.append(DiffRow(f"{section}.{key}", old, new, *change(old, new)))
    return RunDiff(sa, sb, rows, code_diff(a, b, store) if code else None)


def code_diff(a: AnyRun, b: AnyRun, store: Store | None = None) -> str:
    """The unified diff between the trees of the code two runs ran ('' when identical)."""
    from gx.query.runs import open_store
    from gx.store.source import commits_diff

    own = store is None
    store = store or open_store()
    try:
        shas = []
        for run in (a, b):
            sha = _source(run)
            if not sha:
                raise BadValue(f"run {_summary(run).run_id[:8]} recorded no source commit, so there is no code to diff")
            shas.append(sha)
        try:
            return commits_diff(store, shas[0].encode("ascii"), shas[1].encode("ascii")).decode("utf-8", "replace")
        except KeyError as exc:
            missing = next((s for s in shas if s.encode("ascii") not in store.repo), str(exc))
            run = a if _source(a) == missing else b
            raise BadValue(
                f"the code of run {_summary(run).run_id[:8]} ({missing[:10]}) is not in this repository; fetch it first"
            ) from None
    finally:
        if own:
            store.close()


# --------------------------------------------------------------------------- rendering


def _cell(key: str, v: Any) -> str:
    """A display cell: short floats, durations, short shas, '-' for missing."""
    if key == "duration":
        return fmt_duration(v)
    if key == "source":
        return v[:8] if v else "-"
    return fmt_value(v)


def _raw(v: Any) -> str:
    """A CSV cell: full precision, empty when missing."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return fmt_value(v) if not math.isfinite(v) else repr(v)
    return str(v)


def _signed(d: int | float | None) -> str:
    if d is None:
        return "-"
    return f"{d:+d}" if isinstance(d, int) else f"{d:+.4g}"


def _percent(p: float | None) -> str:
    return "-" if p is None else f"{p:+.1f}%"


def _metric_cell(first: Any, v: Any) -> str:
    delta, pct = change(first, v)
    if delta is None:
        return fmt_value(v)
    tail = f", {_percent(pct)}" if pct is not None else ""
    return f"{fmt_value(v)} ({_signed(delta)}{tail})"


def _display_rows(cmp: Comparison) -> list[list[str]]:
    """Marker, key, then one display cell per run (metrics with their change against run 1)."""
    out = []
    for row in cmp.rows:
        if row.key.startswith("metrics."):
            first = row.values[0]
            cells = [fmt_value(first)] + [_metric_cell(first, v) for v in row.values[1:]]
        else:
            cells = [_cell(row.key, v) for v in row.values]
        out.append(["*" if row.differs else "", row.key, *cells])
    return out


def render_comparison(cmp: Comparison, fmt: str = "table", data: dict[str, Any] | None = None) -> str:
    """The comparison as ``table`` (``*`` marks differing rows), ``csv``, ``json`` or ``md``; JSON
    carries ``data`` (whether the runs read the same inputs, ``inputs.data_change``) when given."""
    ids = [r.run_id for r in cmp.runs]
    if fmt == "json":
        runs = [{"run_id": r.run_id, "name": r.name, "experiment": r.experiment, "status": r.status,
                 "duration": r.duration, "source": src}
                for r, src in zip(cmp.runs, cmp.row("source").values)]  # fmt: skip
        out: dict[str, Any] = {"runs": runs, **({"data": data} if data is not None else {}), "params": {}, "metrics": {}}
        for row in cmp.rows:
            section, _, key = row.key.partition(".")
            if section in ("params", "metrics"):
                entry = out[section][key] = {"differs": row.differs, "values": row.values}
                if section == "metrics":
                    changes = [(None, None)] + [change(row.values[0], v) for v in row.values[1:]]
                    entry["delta"] = [d for d, _ in changes]
                    entry["delta_pct"] = [p for _, p in changes]
        return dumps(out)
    if fmt == "csv":
        rows = [["differs", "key", *ids]]
        rows += [[_raw(r.differs), r.key, *map(_raw, r.values)] for r in cmp.rows]
        return _csv(rows)
    header = ["", "run", *(i[:8] for i in ids)]
    if fmt == "md":
        rows = [["≠" if m else "", *rest] for m, *rest in _display_rows(cmp)]
        return _markdown([header, *rows])
    if fmt == "table":
        return grid([header, *_display_rows(cmp)])
    raise BadValue(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _label(run: RunSummary) -> str:
    return f"{run.run_id[:8]} {run.name}".rstrip() + f" ({run.experiment})"


def render_diff(d: RunDiff, fmt: str = "table", data: dict[str, Any] | None = None) -> str:
    """Changed params and metrics as ``table``, ``csv``, ``json`` or ``md``, the code diff after; JSON
    carries ``data`` as ``render_comparison``."""
    if fmt == "json":
        ends = {side: {"run_id": r.run_id, "name": r.name, "experiment": r.experiment}
                for side, r in (("a", d.a), ("b", d.b))}  # fmt: skip
        changes = [{"key": r.key, "old": r.old, "new": r.new, "delta": r.delta, "pct": r.pct}
                   for r in d.rows]  # fmt: skip
        return dumps({**ends, **({"data": data} if data is not None else {}), "changes": changes,
                      **({"code": d.patch} if d.patch is not None else {})})
    if fmt == "csv":
        if d.patch is not None:
            raise BadValue("CSV cannot hold the code diff; use --format table, md or json with --code")
        rows = [["key", "old", "new", "delta", "pct"]]
        rows += [[r.key, _raw(r.old), _raw(r.new), _raw(r.delta), _raw(r.pct)] for r in d.rows]
        return _csv(rows)
    header = ["key", "old", "new", "delta", "%"]
    rows = [[r.key, fmt_value(r.old), fmt_value(r.new), _signed(r.delta), _percent(r.pct)] for r in d.rows]
    if fmt == "md":
        body = _markdown([header, *rows]) if rows else "_No differences in params or metrics._"
        if d.patch is None:
            return body
        patch = d.patch.rstrip("\n")
        code = f"```diff\n{patch}\n```" if patch else "_No differences in the code._"
        return f"{body}\n\n{code}"
    if fmt != "table":
        raise BadValue(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    lines = [f"--- {_label(d.a)}", f"+++ {_label(d.b)}"]
    lines.append(grid([header, *rows]) if rows else "no differences in params or metrics")
    if d.patch is not None:
        lines.append("\n" + d.patch.rstrip("\n") if d.patch else "\nno differences in the code")
    return "\n".join(lines)


__all__ = ["Comparison", "DiffRow", "Row", "RunDiff", "change", "code_diff", "compare", "diff",
           "render_comparison", "render_diff", "same"]
