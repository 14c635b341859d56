"""Parallel coordinates: params through to a metric, one line per run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gx.errors import BadValue
from gx.plots.columns import Column
from gx.plots.common import FIGSIZE, PathLike, check_out, finish, new_figure, plot_title
from gx.records import RunSummary

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_parallel(
    runs: Sequence[RunSummary],
    columns: Sequence[str],
    out: PathLike | None = None,
    *,
    cmap: str = "viridis",
) -> Figure:
    """Parallel coordinates: one line per run, each column scaled to [0, 1], coloured by the last."""
    check_out(out)
    if len(columns) < 2:
        raise BadValue("a parallel plot needs at least two columns; add more keys")
    if not runs:
        raise BadValue(
            "nothing to plot: no runs selected; widen the filter or check the experiment"
        )
    cols = [Column(c, runs) for c in columns]
    idx = [i for i in range(len(runs)) if any(not math.isnan(c.position(i)) for c in cols)]

    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    width = max(FIGSIZE[0], 1.6 * len(cols) + 2)
    fig = new_figure((width, FIGSIZE[1]))
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
    ax.set_title(plot_title("parallel coordinates", [runs[i] for i in idx]), pad=14)

    mappable = ScalarMappable(norm=norm, cmap=colormap)
    cbar = fig.colorbar(mappable, ax=ax, pad=0.02)
    cbar.set_label(last.key)
    if last.categorical:
        cbar.set_ticks(range(len(last.categories)))
        cbar.set_ticklabels(last.tick_labels())
    return finish(fig, out)


def _fmt_bound(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.4g}"
