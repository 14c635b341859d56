"""``gx run``: options parsing only; the work is in gx.tracking.runner."""

from __future__ import annotations

import click

from gx.errors import BadName
from gx.store.refs import validate_experiment
from gx.values import parse_assignment


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option("-e", "--experiment",
              help="Experiment to record into (default: GX_EXPERIMENT, else gx.yaml's experiment:, else 'default').")
@click.option("-n", "--name", help="A name for the run.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A param; the value keeps its YAML type (0.1 is a float). Repeatable.")
@click.option("--params-file", "params_files", multiple=True, type=click.Path(),
              help="YAML/JSON file whose values are recorded as params. Repeatable.")
@click.option("--metrics-file", "metrics_files", multiple=True, type=click.Path(),
              help="YAML/JSON file the script writes; read at the end as metrics. Repeatable.")
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag. Repeatable.")
@click.option("-i", "--input", "inputs", multiple=True, metavar="PATH",
              help="A data file the run reads (a glob picks several): its size and hashes are recorded. Repeatable.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the summary line at the end.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def run_cmd(experiment: str | None, name: str | None, params: tuple[str, ...], params_files: tuple[str, ...],
            metrics_files: tuple[str, ...], tags: tuple[str, ...], inputs: tuple[str, ...], quiet: bool,
            command: tuple[str, ...]) -> None:
    """Run SCRIPT.py [ARGS]... with this Python, or -- COMMAND [ARGS]..., as one recorded run.

    The script can `import gx` and log into the same run; `gx.params()` returns the -p values.
    ENTRY [-P KEY=VALUE]... runs an entry point declared in gx.yaml (entry_points:) or an MLproject
    file, its parameters typed and defaulted as declared. Exit status is the child's.
    """
    from pathlib import Path

    from gx.paths import find_repo
    from gx.tracking import fluent, runner

    if experiment == "":
        raise BadName("-e/--experiment is empty: name an experiment, or leave the option out for the default")
    exp = validate_experiment(fluent._current_experiment(experiment))
    parsed = dict(parse_assignment(p) for p in params)
    tag_map = dict(parse_assignment(t, kind="tag") for t in tags)
    argv = list(command)
    entry = None
    if argv and not Path(argv[0]).exists():  # a script or a file runs as it is: no project file to read
        from gx.reproduce.projects import entry_point_command

        entry = entry_point_command(argv, find_repo().worktree)
    if entry is not None:  # gx run ENTRY -P key=value: an entry point of gx.yaml or MLproject
        argv, entry_params, note = entry
        parsed = {**entry_params, **parsed}
        if note:
            click.echo(f"gx: {note}", err=True)
    code, live = runner.run(argv, exp, name, parsed, tag_map, params_files, metrics_files, inputs)
    if not quiet:
        label = f" ({live.name})" if live.name else ""
        click.echo(f"gx: recorded run {live.run_id[:8]}{label} in '{exp}' [{live.status}]", err=True)
    raise SystemExit(code)
