"""``gx rm`` and ``gx restore``: tombstones, never history rewrites."""

from __future__ import annotations

import click


@click.command("rm")
@click.argument("runs", nargs=-1, required=True)
def rm_cmd(runs: tuple[str, ...]) -> None:
    """Delete RUNS: hidden from 'gx ls', kept in history ('gx restore' undoes it)."""
    from gx.query.deletion import delete_run

    for run in runs:
        ref = delete_run(run)
        click.echo(f"deleted {ref.run_id[:8]} from '{ref.experiment}' (undo: gx restore {ref.run_id[:8]})")


@click.command("restore")
@click.argument("runs", nargs=-1, required=True)
def restore_cmd(runs: tuple[str, ...]) -> None:
    """Restore deleted RUNS."""
    from gx.query.deletion import restore_run

    for run in runs:
        ref = restore_run(run)
        click.echo(f"restored {ref.run_id[:8]} in '{ref.experiment}'")
