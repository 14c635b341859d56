"""A scatter of two keys (params, metrics, tags or attributes), one point per run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gx.errors import BadValue
from gx.plots.columns import Column
from gx.plots.common import PathLike, check_out, finish, new_figure, plot_title
from gx.records import RunSummary

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_scatter(
    runs: Sequence[RunSummary],
    x: str,
    y: str,
    out: PathLike | None = None,
    *,
    annotate: bool = False,
) -> Figure:
    """One point per run that has both ``x`` and ``y`` (``params.alpha``, ``metrics.rmse``, ...)."""
    check_out(out)
    if not runs:
        raise BadValue(
            "nothing to plot: no runs selected; widen the filter or check the experiment"
        )
    cx, cy = Column(x, runs), Column(y, runs)
    idx = [i for i in range(len(runs)) if not math.isnan(cx.position(i) + cy.position(i))]
    if not idx:
        raise BadValue(f"no run has both '{cx.key}' and '{cy.key}'; pick keys the same runs share")
    fig = new_figure()
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
    ax.set_title(plot_title(f"{cy.key} vs {cx.key}", [runs[i] for i in idx]))
    ax.set_xlabel(cx.key)
    ax.set_ylabel(cy.key)
    ax.grid(True, alpha=0.3)
    return finish(fig, out)
