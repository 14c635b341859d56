"""``gx log [EXP]``: one line per run, newest first, like ``git log --oneline``."""

from __future__ import annotations

import click

from gx import formatting as fmt
from gx.records import RunSummary


def log_line(run: RunSummary, show_experiment: bool = False) -> str:
    """``<id> <date> <status> [<exp>] <name>: <params> → <metrics>`` (deleted runs marked)."""
    params = " ".join(f"{k}={fmt.value(v)}" for k, v in run.params.items())
    metrics = " ".join(f"{k}={fmt.value(v)}" for k, v in run.metrics.items())
    values = " → ".join(p for p in (params, metrics) if p)
    name = f"{run.name}:" if run.name and values else run.name
    parts = [run.run_id[:8], fmt.local_time(run.start_time), run.status.ljust(8)]
    if show_experiment:
        parts.append(f"[{run.experiment}]")
    parts += [name, values, "(deleted)" if run.deleted else ""]
    return " ".join(p for p in parts if p)


@click.command("log")
@click.argument("experiment", required=False)
@click.option("-n", "--limit", type=click.IntRange(min=1), help="At most N runs.")
@click.option("--deleted", is_flag=True, help="Include deleted runs, marked (deleted).")
def log_cmd(experiment: str | None, limit: int | None, deleted: bool) -> None:
    """The runs of EXPERIMENT (default: every experiment), newest first, one line each.

    Lines follow the experiment's history, so the third line of `gx log lasso` is the run
    `lasso~2` names. Each shows id, start time, status, name, params → last metric values.
    """
    from gx.query.runs import experiments_named, history_runs, open_store

    with open_store() as store:
        names = experiments_named(store, [experiment] if experiment else None)
        per_experiment = [history_runs(store, name, include_deleted=deleted) for name in names]
    many = sum(1 for runs in per_experiment if runs) > 1
    if many:  # interleave experiments by when each run was recorded
        runs = sorted((r for runs in per_experiment for r in runs), key=lambda r: r.end_time or 0.0, reverse=True)
    else:
        runs = [r for runs in per_experiment for r in runs]
    runs = runs[:limit] if limit else runs
    if not runs:
        click.echo("no runs yet; record one with: gx run train.py -p alpha=0.1", err=True)
        return
    click.echo("\n".join(log_line(r, show_experiment=many) for r in runs))
