"""Text rendering shared by the CLI and library reports: values, times, JSON, grids, CSV, Markdown."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from collections.abc import Collection, Sequence
from typing import Any

from gx.records import RunSummary, format_time

#: Widest a table cell gets before it is cut with an ellipsis.
MAX_CELL = 40


def iso(ts: float | None) -> str | None:
    return format_time(ts)


def local_time(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def value(v: Any, precise: bool = False) -> str:
    """A param or metric for a cell: floats to 4 significant digits (all digits when ``precise``)."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v) if precise else f"{v:.4g}"
    return str(v)


def summary_json(run: RunSummary) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "experiment": run.experiment,
        "name": run.name,
        "status": run.status,
        "start_time": iso(run.start_time),
        "end_time": iso(run.end_time),
        "duration": run.duration,
        "params": run.params,
        "metrics": run.metrics,
        "tags": run.tags,
        "deleted": run.deleted,
    }


def dumps(data: Any) -> str:
    """JSON with NaN/Infinity/-Infinity as tokens (never null), unicode kept."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=True, default=str)


def _cut(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: width - 1] + "…"


def grid(rows: Sequence[Sequence[str]], max_cell: int = MAX_CELL) -> str:
    """Left-aligned columns two spaces apart, long cells cut, trailing blanks stripped."""
    cut = [[_cut(c, max_cell) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cut) for i in range(len(cut[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cut)


def fitted_grid(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
                keep: int = 1, pinned: Collection[int] = ()) -> tuple[str, int]:
    """A grid fitted to the terminal: columns are dropped from the right until it fits, except the
    first ``keep`` and those in ``pinned`` (a sort key the reader asked for must not vanish).
    Returns the text and how many columns were dropped."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    widths = [min(MAX_CELL, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]
    shown = list(range(len(headers)))
    for i in reversed(range(keep, len(headers))):
        if sum(widths[j] for j in shown) + 2 * (len(shown) - 1) <= width:
            break
        if i not in pinned:
            shown.remove(i)
    text = grid([[headers[i] for i in shown]] + [[r[i] for i in shown] for r in rows])
    return text, len(headers) - len(shown)


def markdown(rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table from a header row and body rows (no trailing newline)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(rows[0]), "|" + "---|" * len(rows[0]), *(line(r) for r in rows[1:])])


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    """RFC 4180 CSV (no trailing newline)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().rstrip("\n")
