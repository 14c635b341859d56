"""``gx reproduce`` and ``gx checkout``: re-running a run on its exact source, and continuing from it."""

from __future__ import annotations

from pathlib import Path

import click

from gx.values import parse_assignment


@click.command("reproduce")
@click.argument("run")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Override a recorded param. Repeatable.")
@click.option("--dry-run", is_flag=True, help="Print what would run, and run nothing.")
@click.option("--rel-tol", default=1e-6, show_default=True, type=float, help="Relative tolerance for 'within tolerance'.")
def reproduce_cmd(run: str, params: tuple[str, ...], dry_run: bool, rel_tol: float) -> None:
    """Re-run RUN's command on its exact source (commit + uncommitted changes) in a temporary worktree,
    record it as a new run tagged gx.reproduces, and compare the metrics."""
    from gx.reproduce.compare import compare_metrics
    from gx.reproduce.rerun import plan_for, reproduce

    rec, plan = plan_for(run, dict(parse_assignment(p) for p in params))
    for line in plan.describe():
        click.echo(("would run " if dry_run and line.startswith("command:") else "") + line)
    if dry_run:
        return
    code, new = reproduce(plan)
    click.echo(f"recorded run {new.run_id[:8]} ({new.name}) in '{new.experiment}' [{new.status}]")
    rows = compare_metrics(rec.latest_metrics(), new.latest_metrics(), rel_tol)
    width = max([len(k) for k, *_ in rows] + [6])
    for key, old, now, verdict in rows:
        click.echo(f"{key:<{width}}  {old!s:>14}  {now!s:>14}  {verdict}")
    if code != 0:
        raise SystemExit(code)


@click.command("checkout")
@click.argument("run")
@click.option("--branch", "-b", help="Create this branch at the run's exact source instead of a worktree.")
@click.option("--path", type=click.Path(path_type=Path), help="Where to put the worktree (default: ../<repo>-<run>).")
def checkout_cmd(run: str, branch: str | None, path: Path | None) -> None:
    """Put RUN's exact source in a new worktree (its params in params.yaml), or on a new branch."""
    from gx.reproduce.checkout import checkout_branch, checkout_worktree

    if branch is not None:
        run_id, commit = checkout_branch(run, branch)
        click.echo(f"branch '{branch}' at {commit[:12]}: the source of run {run_id[:8]}")
        return
    run_id, target = checkout_worktree(run, path)
    click.echo(f"worktree {target}: the source of run {run_id[:8]} (detached HEAD; params in params.yaml)")
