"""``gx experiments``: each experiment with its MLflow number, stable id, tags, run count and last
activity; ``gx experiments tag`` sets or removes an experiment tag (as MlflowClient does)."""

from __future__ import annotations

import click

from gx import formatting as fmt

#: The tags column of the table is cut to this many characters (``--json`` has them all).
MAX_TAGS_CELL = 60


def compact_tags(tags: dict[str, str]) -> str:
    """``k=v, ...`` for a table cell, without the number tag the ``id`` column already shows."""
    from gx.store.experiment_numbers import NUMBER_TAG

    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()) if k != NUMBER_TAG)


@click.group("experiments", invoke_without_command=True, subcommand_metavar="[tag ARGS]...")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@click.pass_context
def experiments_cmd(ctx: click.Context, as_json: bool) -> None:
    """List experiments: MLflow number, stable id, tags (all of them with --json), runs, deleted
    runs, last activity. 'gx experiments tag EXP KEY=VALUE --remove KEY' sets or removes tags; EXP
    is a name, MLflow number or stable id."""
    if ctx.invoked_subcommand is not None:
        return
    from gx.query.experiments import experiment_labels
    from gx.query.runs import list_experiments, open_store

    with open_store() as store:
        exps = list_experiments(store)
        labels = experiment_labels(store, [e.name for e in exps])
    if as_json:
        click.echo(fmt.dumps([
            {"name": e.name, "number": labels[e.name].number, "id": labels[e.name].id, "tags": labels[e.name].tags,
             "runs": e.runs, "deleted": e.deleted, "last_activity": fmt.iso(e.last_activity)}
            for e in exps
        ]))
        return
    if not exps:
        click.echo("no experiments yet; record a run with: gx run train.py", err=True)
        return
    rows = [[labels[e.name].number, e.name, labels[e.name].id, str(e.runs), str(e.deleted),
             fmt.local_time(e.last_activity), compact_tags(labels[e.name].tags)] for e in exps]
    click.echo(fmt.grid([["number", "experiment", "id", "runs", "deleted", "last activity", "tags"], *rows],
                        max_cell=MAX_TAGS_CELL))


@experiments_cmd.command("tag", short_help="Set (KEY=VALUE) or remove (--remove KEY) experiment tags.")
@click.argument("experiment")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--remove", "removals", multiple=True, metavar="KEY", help="Remove this tag. Repeatable.")
def tag_cmd(experiment: str, assignments: tuple[str, ...], removals: tuple[str, ...]) -> None:
    """Set tags (KEY=VALUE, the value kept as text) or remove them on EXPERIMENT, given by name,
    MLflow number or stable id; each change is a commit on the experiment's ref."""
    from gx.errors import BadValue
    from gx.query.experiments import delete_experiment_tag, tag_experiment

    if not assignments and not removals:
        raise BadValue("nothing to change: give KEY=VALUE to set a tag or --remove KEY")
    tags: dict[str, str] = {}
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep:
            raise BadValue(f"expected KEY=VALUE, got {text!r}")
        tags[key] = value
    if tags:
        tag_experiment(experiment, tags)
    for key in removals:
        delete_experiment_tag(experiment, key)
