"""``gx plot``: metric histories by step, a scatter of two keys, or parallel coordinates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from gx.errors import BadValue
from gx.records import RunSummary
from gx.store.repo import Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def default_output(metric: str | None, x: str | None, y: str | None, parallel: bool) -> str:
    """``<metric>.png``, ``<y>-vs-<x>.png`` or ``parallel.png`` in the current directory."""
    if parallel:
        return "parallel.png"

    def bare(key: str) -> str:
        name = re.sub(r"^(metrics?|params?|tags?|attr(ibute)?s?)\.", "", key)
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".") or "plot"

    return f"{bare(y)}-vs-{bare(x)}.png" if x and y else f"{bare(metric or 'plot')}.png"


def select_runs(store: Store, specs: Sequence[str], experiments: Sequence[str],
                filter_string: str) -> list[RunSummary]:
    """The named runs (in order, each once), else every live run of the experiments; then filtered."""
    from gx.query.filter import parse_filter
    from gx.query.runs import list_runs, load_summary
    from gx.query.runspec import resolve_specs

    where = parse_filter(filter_string)  # a bad filter fails before any run is read
    if specs:
        refs = {ref.run_id: ref for ref in resolve_specs(store, specs)}
        runs = [load_summary(store, ref) for ref in refs.values()]
    else:
        runs = list_runs(experiments or None, store=store)
    runs = [r for r in runs if where.matches(r)]
    if not runs:
        matching = f" match {filter_string!r}" if filter_string.strip() else " were found"
        raise BadValue(f"nothing to plot: no runs{matching}; check 'gx ls' or widen the filter")
    return runs


def histories(store: Store, runs: Sequence[RunSummary], metric: str) -> list[tuple[RunSummary, list]]:
    """(run, points) for the runs that logged ``metric``; only those records are read."""
    from gx.query.runs import RunRef, load_record

    out = []
    for run in runs:
        if metric in run.metrics and run.commit:
            rec = load_record(store, RunRef(run.experiment, run.run_id, run.commit.encode(), run.deleted))
            out.append((run, rec.metrics.get(metric, [])))
    return out


def draw(out: str, metric: str | None = None, specs: Sequence[str] = (), experiments: Sequence[str] = (),
         filter_string: str = "", x: str | None = None, y: str | None = None,
         columns: Sequence[str] = (), annotate: bool = False) -> Figure:
    """Select runs, draw the history (``metric``), scatter (``x``, ``y``) or parallel plot, save it."""
    from gx import plots
    from gx.query.runs import open_store

    with open_store() as store:
        runs = select_runs(store, specs, experiments, filter_string)
        if metric is not None:
            return plots.plot_history(histories(store, runs, metric), metric, out)
    if x and y:
        return plots.plot_scatter(runs, x, y, out, annotate=annotate)
    return plots.plot_parallel(runs, columns, out)


@click.command("plot")
@click.argument("args", nargs=-1, metavar="[METRIC] [RUN]...")
@click.option("-e", "--experiment", "experiments", multiple=True,
              help="Runs of this experiment (repeatable; default: all), instead of RUNs.")
@click.option("-f", "--filter", "filter_string", default="", metavar="FILTER",
              help="Only runs matching a search filter, e.g. \"params.alpha < 0.5\".")
@click.option("--x", "x_key", metavar="KEY", help="Scatter: the x key, e.g. params.alpha.")
@click.option("--y", "y_key", metavar="KEY", help="Scatter: the y key, e.g. metrics.rmse.")
@click.option("--parallel", metavar="KEY,KEY,...",
              help="Parallel coordinates over these keys, coloured by the last one.")
@click.option("--annotate", is_flag=True, help="Scatter: label each point with its run name.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write (.png, .svg or .pdf). Default: METRIC.png, Y-vs-X.png or "
                   "parallel.png in the current directory.")
@click.option("--open", "open_viewer", is_flag=True, help="Then show it with the system viewer.")
def plot_cmd(args: tuple[str, ...], experiments: tuple[str, ...], filter_string: str,
             x_key: str | None, y_key: str | None, parallel: str | None, annotate: bool,
             output: str | None, open_viewer: bool) -> None:
    """Plot METRIC by step for RUNs (default: every run of -e EXP, filtered by -f), or with
    --x/--y one point per run, or with --parallel one line per run. Prints the file written.

    RUNs are ids, unique prefixes, names, experiments (their newest run) or EXP~N.
    """
    from gx import plots

    if (x_key is None) != (y_key is None):
        raise click.UsageError("a scatter needs both --x and --y")
    if x_key and parallel:
        raise click.UsageError("choose --x/--y or --parallel, not both")
    columns = [c.strip() for c in (parallel or "").split(",") if c.strip()]
    if parallel is not None and len(columns) < 2:
        raise click.UsageError("--parallel needs at least two comma-separated keys")
    metric = None
    specs = list(args)
    if not x_key and not columns:
        if not specs:
            raise click.UsageError("give a METRIC to plot by step, --x and --y, or --parallel")
        metric = re.sub(r"^metrics?\.", "", specs.pop(0))
    out = output or default_output(metric, x_key, y_key, bool(columns))
    if not out.lower().endswith(plots.SUFFIXES):  # fail before any run is read
        raise click.BadParameter(f"{out}: use a .png, .svg or .pdf file", param_hint="'-o'")
    if specs and experiments:
        raise click.UsageError("give RUNs or -e EXPERIMENT, not both")
    draw(out, metric=metric, specs=specs, experiments=experiments, filter_string=filter_string,
         x=x_key, y=y_key, columns=columns, annotate=annotate)
    click.echo(out)
    if open_viewer and not plots.open_in_viewer(out):
        click.echo(f"gx: no image viewer available (no display?); the plot is at {out}", err=True)
