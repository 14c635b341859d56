"""What every plot shares: legend labels from differing params, keys and columns, figures, saving.

Pure functions over ``RunSummary``/``MetricPoint`` data. matplotlib is imported lazily
inside the functions, and figures are built on an Agg canvas without pyplot, so importing
this module is cheap and plotting never needs a display or touches pyplot's global state.
The ``plot_*`` functions return the Figure after saving it; the caller may drop it or pass
it to ``plt.close`` (a no-op, since pyplot never tracked it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from gx.errors import BadValue
from gx.records import RunSummary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PathLike = Union[str, "os.PathLike[str]"]

#: Output formats ``save_figure`` writes, chosen by the file suffix.
SUFFIXES = (".png", ".svg", ".pdf")
FIGSIZE = (9.0, 5.0)
DPI = 150
#: Legends list at most this many runs; beyond it the legend is left out.
MAX_LEGEND_ENTRIES = 40
#: At most this many differing params go into a legend label.
MAX_LABEL_PARAMS = 4

_MISSING = object()


# --------------------------------------------------------------------------- labels


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps bools apart from numbers (1 == 1.0 still) and NaN equal to NaN."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if is_number(a) and is_number(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def differing_params(runs: Sequence[RunSummary]) -> list[str]:
    """Param keys whose values differ between runs (missing counts as differing), sorted."""
    if len(runs) < 2:
        return []
    keys = set().union(*(r.params for r in runs))
    out = []
    for key in keys:
        values = [r.params.get(key, _MISSING) for r in runs]
        first = values[0]
        if any(v is _MISSING for v in values) or not all(_same(first, v) for v in values[1:]):
            out.append(key)
    return sorted(out)


def format_value(value: Any) -> str:
    """A short display form of a param/metric value."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def run_label(run: RunSummary, keys: Sequence[str]) -> str:
    """``"name (alpha=0.1, l1=0.5)"``; the name falls back to the short id, absent keys are left out."""
    return _label(run, keys)


def _label(run: RunSummary, keys: Sequence[str], more: bool = False) -> str:
    name = run.name or run.run_id[:8]
    parts = [f"{k}={format_value(run.params[k])}" for k in keys if k in run.params]
    if more:
        parts.append("…")
    return f"{name} ({', '.join(parts)})" if parts else name


def legend_labels(runs: Sequence[RunSummary]) -> list[str]:
    """Legend labels: name plus differing params, short id appended where labels collide."""
    keys = differing_params(runs)
    shown = keys[:MAX_LABEL_PARAMS]
    labels = [_label(r, shown, more=len(keys) > len(shown)) for r in runs]
    counts: dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    return [
        f"{lab} [{r.run_id[:8]}]" if counts[lab] > 1 and lab != r.run_id[:8] else lab
        for lab, r in zip(labels, runs)
    ]


# --------------------------------------------------------------------------- keys and values


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_finite(v: Any) -> bool:
    return is_number(v) and math.isfinite(v)


# --------------------------------------------------------------------------- figures


def new_figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    """A pyplot-free Figure on an Agg canvas (no display needed, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def series_colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n)]
    if n <= 20:
        cmap = colormaps["tab20"]
        return [cmap(i) for i in range(n)]
    cmap = colormaps["viridis"]
    return [cmap(i / (n - 1)) for i in range(n)]


def legend_outside(ax: Any, n: int) -> None:
    """Legend right of the axes, font shrinking as entries grow; none past MAX_LEGEND_ENTRIES."""
    if n > MAX_LEGEND_ENTRIES:
        return
    size = 9 if n <= 10 else 8 if n <= 20 else 7
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        fontsize=size,
        ncol=1 if n <= 25 else 2,
        frameon=False,
    )


def plot_title(what: str, runs: Sequence[RunSummary]) -> str:
    experiments = sorted({r.experiment for r in runs})
    where = f" · {experiments[0]}" if len(experiments) == 1 else ""
    count = f"{len(runs)} run" + ("" if len(runs) == 1 else "s")
    return f"{what}{where} ({count})"


def check_out(out: PathLike | None) -> Path | None:
    """Validate the output path before any drawing: known suffix, existing parent directory."""
    if out is None:
        return None
    path = Path(os.fspath(out))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise BadValue(
            f"cannot write {path}: {shown} is not a supported format; use one of "
            + ", ".join(SUFFIXES)
        )
    parent = path.parent
    if not parent.is_dir():
        raise BadValue(f"cannot write {path}: directory {parent} does not exist; create it first")
    return path


def save_figure(fig: Figure, out: PathLike) -> None:
    """Write ``fig`` to ``out`` in the format its suffix names (.png, .svg or .pdf)."""
    path = check_out(out)
    assert path is not None
    fmt = path.suffix.lower()[1:]
    # No creation date in vector formats, so the same plot gives the same bytes.
    metadata = {"Date": None} if fmt in ("svg", "pdf") else None
    import matplotlib

    # A fixed salt gives stable SVG element ids (svg.hashsalt is otherwise random).
    with matplotlib.rc_context({"svg.hashsalt": "gx"}):
        fig.savefig(path, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)


def finish(fig: Figure, out: PathLike | None) -> Figure:
    if out is not None:
        save_figure(fig, out)
    return fig
