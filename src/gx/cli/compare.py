"""``gx compare RUN RUN...`` (side by side) and ``gx diff A B`` (only what changed)."""

from __future__ import annotations

import click

FORMAT = click.Choice(["table", "csv", "json", "md"])


@click.command("compare")
@click.argument("runs", nargs=-1, required=True)
@click.option("--format", "out_format", type=FORMAT, default="table", show_default=True,
              help="Output format.")
def compare_cmd(runs: tuple[str, ...], out_format: str) -> None:
    """Compare RUNS side by side: attributes, params and metrics, one column per run.

    A * marks params, metrics and experiment/status/source values that are not the same in
    every run; each metric shows its change against the first run (absolute and %).
    When runs recorded inputs, a first line says whether they read the same data
    ("data: same" or "data: changed (train.csv)"), by content, whatever the paths; --format json
    has it as "data": {"same": ..., "changed": [...]}.
    A RUN is an id, a unique id prefix, a unique run name, an experiment (its newest run)
    or EXP~N (N runs before its newest, as listed by `gx log EXP`).
    """
    from gx.query.compare import compare, render_comparison
    from gx.query.inputs import data_change, data_line
    from gx.query.runspec import load_specs

    if len(runs) < 2:
        raise click.UsageError("give at least two runs to compare")
    loaded = load_specs(runs)
    data = data_line(loaded)
    if data and out_format in ("table", "md"):  # a changed input explains a changed metric before any param does
        click.echo(data)
    click.echo(render_comparison(compare(loaded), out_format, data_change(loaded)))


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--code", is_flag=True, help="Also the unified diff of the code the two runs ran.")
@click.option("--format", "out_format", type=FORMAT, default="table", show_default=True,
              help="Output format (csv cannot hold --code).")
def diff_cmd(a: str, b: str, code: bool, out_format: str) -> None:
    """Show the params and metrics that differ from run A to run B, with deltas for numbers.

    A first line says whether their data is the same, when they recorded inputs.
    --code adds the diff between the source trees (the snapshot of uncommitted changes when a
    run had one, else its source commit). A and B are run specs as in `gx compare`.
    """
    from gx.query.compare import diff, render_diff
    from gx.query.inputs import data_change, data_line
    from gx.query.runs import open_store
    from gx.query.runspec import load_specs

    if code and out_format == "csv":
        raise click.UsageError("--format csv cannot hold the code diff; use table, md or json")
    with open_store() as store:
        old, new = load_specs([a, b], store)
        data = data_line([old, new])
        if data and out_format in ("table", "md"):
            click.echo(data)
        click.echo(render_diff(diff(old, new, code=code, store=store), out_format, data_change([old, new])))
