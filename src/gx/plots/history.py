"""A metric over steps, one line per run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gx.errors import BadValue
from gx.plots.common import (
    PathLike,
    check_out,
    finish,
    is_finite,
    legend_labels,
    legend_outside,
    new_figure,
    plot_title,
    series_colors,
)
from gx.records import MetricPoint, RunSummary

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_history(
    series: Sequence[tuple[RunSummary, Sequence[MetricPoint]]],
    metric: str,
    out: PathLike | None = None,
) -> Figure:
    """One line per run of ``metric`` over steps; runs without finite points are left out."""
    check_out(out)
    kept: list[tuple[RunSummary, list[float], list[float]]] = []
    for run, points in series:
        pts = sorted((p for p in points if is_finite(p.value)), key=lambda p: p.step)
        if pts:
            kept.append((run, [p.step for p in pts], [float(p.value) for p in pts]))
    if not kept:
        raise BadValue(
            f"no run has metric '{metric}'; check the name with `gx ls` or pick other runs"
        )
    runs = [r for r, _, _ in kept]
    labels = legend_labels(runs)
    fig = new_figure()
    ax = fig.add_subplot()
    many = len(kept) > 20
    for (_, xs, ys), label, color in zip(kept, labels, series_colors(len(kept))):
        ax.plot(
            xs,
            ys,
            label=label,
            color=color,
            linewidth=1.0 if many else 1.6,
            marker="o" if len(xs) < 30 else None,
            markersize=3,
        )
    ax.set_title(plot_title(f"{metric} by step", runs))
    ax.set_xlabel("step")
    ax.set_ylabel(metric)
    ax.grid(True, alpha=0.3)
    legend_outside(ax, len(kept))
    return finish(fig, out)
