"""Rendering for the CLI: run summaries as JSON-ready dicts, values, times and tables."""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Sequence
from typing import Any

from gx.record import RunSummary
from gx.store.encode import format_time


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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None = None,
          keep: int = 1) -> tuple[str, int]:
    """Left-aligned columns fitted to the terminal: trailing columns beyond ``keep`` are dropped
    until the table fits. Returns the text and how many columns were dropped."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    widths = [min(w, 40) for w in widths]
    n = len(headers)
    while n > keep and sum(widths[:n]) + 2 * (n - 1) > width:
        n -= 1

    def fmt(cells: Sequence[str]) -> str:
        out = []
        for cell, w in zip(cells[:n], widths[:n]):
            cell = cell if len(cell) <= w else cell[: w - 1] + "…"
            out.append(cell.ljust(w))
        return "  ".join(out).rstrip()

    lines = [fmt(headers)] + [fmt(r) for r in rows]
    return "\n".join(lines), len(headers) - n


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], output_format: str) -> str:
    """CSV (RFC 4180) or a GitHub Markdown table; text ends with a newline."""
    if output_format == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return buf.getvalue()
    if output_format == "md":

        def esc(text: str) -> str:
            return text.replace("|", "\\|")

        lines = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {output_format!r}")
