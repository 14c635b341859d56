"""Plots of runs: metric histories, scatter of two keys, parallel coordinates.

Pure functions over ``RunSummary``/``MetricPoint`` data. matplotlib is imported lazily
inside the functions, and figures are built on an Agg canvas without pyplot, so importing
this module is cheap and plotting never needs a display or touches pyplot's global state.
The ``plot_*`` functions return the Figure after saving it; the caller may drop it or pass
it to ``plt.close`` (a no-op, since pyplot never tracked it).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from gx.errors import BadFile, BadValue
from gx.record import MetricPoint, RunSummary

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


# --------------------------------------------------------------------------- labels


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps bools apart from numbers (1 == 1.0 still) and NaN equal to NaN."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_number(a) and _is_number(b):
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


def _fmt(value: Any) -> str:
    """A short display form of a param/metric value."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def run_label(run: RunSummary, keys: Sequence[str]) -> str:
    """``"name (alpha=0.1, l1=0.5)"``; the name falls back to the short id, absent keys are left out."""
    return _label(run, keys)


def _label(run: RunSummary, keys: Sequence[str], more: bool = False) -> str:
    name = run.name or run.run_id[:8]
    parts = [f"{k}={_fmt(run.params[k])}" for k in keys if k in run.params]
    if more:
        parts.append("…")
    return f"{name} ({', '.join(parts)})" if parts else name


def _labels(runs: Sequence[RunSummary]) -> list[str]:
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


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _finite(v: Any) -> bool:
    return _is_number(v) and math.isfinite(v)


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
    if v is None or (_is_number(v) and not math.isfinite(v)):
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


class _Column:
    """One plotted key: its values per run, numeric or categorical, and positions for them."""

    def __init__(self, key: str, runs: Sequence[RunSummary]) -> None:
        kind, name = _resolve_key(key, runs)
        self.key = f"{kind}.{name}"
        self.values = [_value(r, kind, name) for r in runs]
        present = [v for v in self.values if v is not _MISSING]
        if not present:
            raise BadValue(f"no run has '{key}'; {_known_keys(runs)}")
        self.categorical = not all(_is_number(v) for v in present)
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
        return [_fmt(c) for c in self.categories]


def _category_order(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool):
        return (0, int(v))
    if _is_number(v):
        return (1, v)
    return (2, str(v))


# --------------------------------------------------------------------------- figures


def _new_figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    """A pyplot-free Figure on an Agg canvas (no display needed, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n)]
    if n <= 20:
        cmap = colormaps["tab20"]
        return [cmap(i) for i in range(n)]
    cmap = colormaps["viridis"]
    return [cmap(i / (n - 1)) for i in range(n)]


def _legend_outside(ax: Any, n: int) -> None:
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


def _title(what: str, runs: Sequence[RunSummary]) -> str:
    experiments = sorted({r.experiment for r in runs})
    where = f" · {experiments[0]}" if len(experiments) == 1 else ""
    count = f"{len(runs)} run" + ("" if len(runs) == 1 else "s")
    return f"{what}{where} ({count})"


def _check_out(out: PathLike | None) -> Path | None:
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
    path = _check_out(out)
    assert path is not None
    fmt = path.suffix.lower()[1:]
    # No creation date in vector formats, so the same plot gives the same bytes.
    metadata = {"Date": None} if fmt in ("svg", "pdf") else None
    import matplotlib

    # A fixed salt gives stable SVG element ids (svg.hashsalt is otherwise random).
    with matplotlib.rc_context({"svg.hashsalt": "gx"}):
        fig.savefig(path, format=fmt, dpi=DPI, bbox_inches="tight", metadata=metadata)


def _finish(fig: Figure, out: PathLike | None) -> Figure:
    if out is not None:
        save_figure(fig, out)
    return fig


def plot_history(
    series: Sequence[tuple[RunSummary, Sequence[MetricPoint]]],
    metric: str,
    out: PathLike | None = None,
) -> Figure:
    """One line per run of ``metric`` over steps; runs without finite points are left out."""
    _check_out(out)
    kept: list[tuple[RunSummary, list[float], list[float]]] = []
    for run, points in series:
        pts = sorted((p for p in points if _finite(p.value)), key=lambda p: p.step)
        if pts:
            kept.append((run, [p.step for p in pts], [float(p.value) for p in pts]))
    if not kept:
        raise BadValue(
            f"no run has metric '{metric}'; check the name with `gx ls` or pick other runs"
        )
    runs = [r for r, _, _ in kept]
    labels = _labels(runs)
    fig = _new_figure()
    ax = fig.add_subplot()
    many = len(kept) > 20
    for (_, xs, ys), label, color in zip(kept, labels, _colors(len(kept))):
        ax.plot(
            xs,
            ys,
            label=label,
            color=color,
            linewidth=1.0 if many else 1.6,
            marker="o" if len(xs) < 30 else None,
            markersize=3,
        )
    ax.set_title(_title(f"{metric} by step", runs))
    ax.set_xlabel("step")
    ax.set_ylabel(metric)
    ax.grid(True, alpha=0.3)
    _legend_outside(ax, len(kept))
    return _finish(fig, out)


def plot_scatter(
    runs: Sequence[RunSummary],
    x: str,
    y: str,
    out: PathLike | None = None,
    *,
    annotate: bool = False,
) -> Figure:
    """One point per run that has both ``x`` and ``y`` (``params.alpha``, ``metrics.rmse``, ...)."""
    _check_out(out)
    if not runs:
        raise BadValue(
            "nothing to plot: no runs selected; widen the filter or check the experiment"
        )
    cx, cy = _Column(x, runs), _Column(y, runs)
    idx = [i for i in range(len(runs)) if not math.isnan(cx.position(i) + cy.position(i))]
    if not idx:
        raise BadValue(f"no run has both '{cx.key}' and '{cy.key}'; pick keys the same runs share")
    fig = _new_figure()
    ax = fig.add_subplot()
    xs = [cx.position(i) for i in idx]
    ys = [cy.position(i) for i in idx]
    ax.scatter(xs, ys, s=36, alpha=0.85, edgecolors="none")
    for col, axis in ((cx, ax.xaxis), (cy, ax.yaxis)):
        if col.categorical:
            axis.set_ticks(range(len(col.categories)))
            axis.set_ticklabels(col.tick_labels())
    if cx.categorical:
        ax.set_xlim(-0.5, len(cx.categories) - 0.5)
        labels = cx.tick_labels()
        if len(labels) > 6 or max(len(s) for s in labels) > 8:
            for t in ax.get_xticklabels():
                t.set_rotation(30)
                t.set_horizontalalignment("right")
    if cy.categorical:
        ax.set_ylim(-0.5, len(cy.categories) - 0.5)
    if annotate:
        for i, px, py in zip(idx, xs, ys):
            run = runs[i]
            ax.annotate(
                run.name or run.run_id[:8],
                (px, py),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
            )
    ax.set_title(_title(f"{cy.key} vs {cx.key}", [runs[i] for i in idx]))
    ax.set_xlabel(cx.key)
    ax.set_ylabel(cy.key)
    ax.grid(True, alpha=0.3)
    return _finish(fig, out)


def plot_parallel(
    runs: Sequence[RunSummary],
    columns: Sequence[str],
    out: PathLike | None = None,
    *,
    cmap: str = "viridis",
) -> Figure:
    """Parallel coordinates: one line per run, each column scaled to [0, 1], coloured by the last."""
    _check_out(out)
    if len(columns) < 2:
        raise BadValue("a parallel plot needs at least two columns; add more keys")
    if not runs:
        raise BadValue(
            "nothing to plot: no runs selected; widen the filter or check the experiment"
        )
    cols = [_Column(c, runs) for c in columns]
    idx = [i for i in range(len(runs)) if any(not math.isnan(c.position(i)) for c in cols)]

    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    width = max(FIGSIZE[0], 1.6 * len(cols) + 2)
    fig = _new_figure((width, FIGSIZE[1]))
    ax = fig.add_subplot()
    last = cols[-1]
    norm = Normalize(vmin=last.lo, vmax=last.hi if last.hi > last.lo else last.lo + 1)
    colormap = colormaps[cmap]
    n = len(idx)
    alpha = 0.85 if n <= 20 else max(0.15, 0.85 * 20 / n)
    xs = list(range(len(cols)))
    for i in idx:
        ys = [c.normalised(i) for c in cols]
        pos = last.position(i)
        color = "0.6" if math.isnan(pos) else colormap(norm(pos))
        ax.plot(
            xs,
            ys,
            color=color,
            alpha=alpha,
            linewidth=1.4 if n <= 20 else 0.8,
            marker="o",
            markersize=2.5,
        )

    ax.vlines(xs, 0, 1, colors="0.3", linewidth=1.0, zorder=0)
    for x, col in zip(xs, cols):
        if col.categorical:
            k = len(col.categories)
            step = max(1, math.ceil(k / 12))
            for j in range(0, k, step):
                yj = 0.5 if k == 1 else j / (k - 1)
                ax.text(x + 0.04, yj, col.tick_labels()[j], fontsize=7, va="center", ha="left")
        else:
            hi, lo = col.hi, col.lo
            ax.text(x, 1.02, _fmt_bound(hi), fontsize=8, ha="center", va="bottom")
            if hi != lo:
                ax.text(x, -0.02, _fmt_bound(lo), fontsize=8, ha="center", va="top")
    ax.set_xticks(xs)
    ax.set_xticklabels([c.key for c in cols])
    ax.tick_params(axis="x", pad=16, length=0)
    ax.set_yticks([])
    ax.set_xlim(-0.3, len(cols) - 0.7)
    ax.set_ylim(-0.08, 1.1)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(_title("parallel coordinates", [runs[i] for i in idx]), pad=14)

    mappable = ScalarMappable(norm=norm, cmap=colormap)
    cbar = fig.colorbar(mappable, ax=ax, pad=0.02)
    cbar.set_label(last.key)
    if last.categorical:
        cbar.set_ticks(range(len(last.categories)))
        cbar.set_ticklabels(last.tick_labels())
    return _finish(fig, out)


def _fmt_bound(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.4g}"


# --------------------------------------------------------------------------- viewer


def open_in_viewer(path: PathLike) -> bool:
    """Open ``path`` with the system viewer; False when there is none (or no display)."""
    p = Path(os.fspath(path))
    if not p.exists():
        raise BadFile(f"cannot open {p}: the file does not exist")
    startfile = getattr(os, "startfile", None)
    if sys.platform.startswith("win") and startfile is not None:
        try:
            startfile(str(p))
        except OSError:
            return False
        return True
    if sys.platform == "darwin":
        command = shutil.which("open")
    else:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        command = shutil.which("xdg-open")
    if command is None:
        return False
    try:
        subprocess.Popen(
            [command, str(p)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True
