"""``gx experiments``: each experiment with its run count and last activity."""

from __future__ import annotations

import click

from gx import formatting as fmt


@click.command("experiments")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
def experiments_cmd(as_json: bool) -> None:
    """List experiments: runs, deleted runs, last activity."""
    from gx.query.runs import list_experiments

    exps = list_experiments()
    if as_json:
        click.echo(fmt.dumps([
            {"name": e.name, "runs": e.runs, "deleted": e.deleted, "last_activity": fmt.iso(e.last_activity)}
            for e in exps
        ]))
        return
    if not exps:
        click.echo("no experiments yet; record a run with: gx run train.py", err=True)
        return
    rows = [[e.name, str(e.runs), str(e.deleted), fmt.local_time(e.last_activity)] for e in exps]
    click.echo(fmt.grid([["experiment", "runs", "deleted", "last activity"], *rows]))
