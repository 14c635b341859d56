"""``gx ls``: runs newest first, as a table fitted to the terminal or as JSON."""

from __future__ import annotations

import click

from gx.cli import format as fmt


@click.command("ls")
@click.argument("experiments", nargs=-1)
@click.option("--deleted", is_flag=True, help="Show deleted runs instead.")
@click.option("--all", "show_all", is_flag=True, help="Show deleted runs too.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of runs.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N runs.")
def ls_cmd(experiments: tuple[str, ...], deleted: bool, show_all: bool, as_json: bool, limit: int | None) -> None:
    """List runs of EXPERIMENTS (default: all), newest first."""
    from gx.api import list_runs

    runs = list_runs(experiments or None, include_deleted=show_all, deleted_only=deleted)
    if limit:
        runs = runs[:limit]
    if as_json:
        click.echo(fmt.dumps([fmt.summary_json(r) for r in runs]))
        return
    if not runs:
        click.echo("no runs yet; record one with: gx run train.py -p alpha=0.1", err=True)
        return
    param_keys = sorted({k for r in runs for k in r.params})
    metric_keys = sorted({k for r in runs for k in r.metrics})
    many_experiments = len({r.experiment for r in runs}) > 1
    headers = ["id", *(["experiment"] if many_experiments else []), "name", "status", "start", "duration",
               *param_keys, *metric_keys]
    rows = [
        [r.run_id[:8], *([r.experiment] if many_experiments else []), r.name or "-", r.status,
         fmt.local_time(r.start_time), fmt.duration(r.duration),
         *(fmt.value(r.params.get(k)) for k in param_keys), *(fmt.value(r.metrics.get(k)) for k in metric_keys)]
        for r in runs
    ]
    text, dropped = fmt.table(headers, rows, keep=6)
    click.echo(text)
    if dropped:
        click.echo(f"({dropped} more columns; widen the terminal or use --json)", err=True)
