"""``gx ls``: runs newest first (or filtered and sorted), as a table fitted to the terminal,
CSV, Markdown or JSON."""

from __future__ import annotations

import fnmatch

import click

from gx import formatting as fmt
from gx.records import RunSummary

_ATTRIBUTE_COLUMNS = {
    "run_id": lambda r: r.run_id,
    "id": lambda r: r.run_id[:8],
    "experiment": lambda r: r.experiment,
    "name": lambda r: r.name or "-",
    "status": lambda r: r.status,
    "start": lambda r: fmt.local_time(r.start_time),
    "start_time": lambda r: fmt.iso(r.start_time) or "-",
    "end_time": lambda r: fmt.iso(r.end_time) or "-",
    "duration": lambda r: fmt.duration(r.duration),
    "source_commit": lambda r: (r.source_commit or "-")[:10],
}


#: Attribute names as filters and sort keys spell them -> the column showing them.
_ATTRIBUTE_COLUMN_OF = {"run_name": "name", "start_time": "start", "run_id": "id"}
_ENTITY_COLUMNS = ("params", "metrics", "tags")


def requested_column(pattern: str) -> str | None:
    """The column a plain (non-glob) ``--columns`` entry names, or None when it names none:
    an attribute, or ``params.X``/``metrics.X``/``tags.X`` (aliases like ``metric.X`` allowed),
    whether or not the listed runs have it."""
    from gx.query.access import normalize_entity

    if pattern in _ATTRIBUTE_COLUMNS:
        return pattern
    entity, dot, name = pattern.partition(".")
    canonical = normalize_entity(entity)
    return f"{canonical}.{name}" if dot and name and canonical in _ENTITY_COLUMNS else None


def columns_for(runs: list[RunSummary], patterns: list[str] | None, changed_only: bool) -> list[str]:
    """Column keys: attributes, then params.*, metrics.*, tags.* (only with --columns). A plain
    column asked for by name is shown even when no listed run has it (its cells are empty)."""
    params = sorted({f"params.{k}" for r in runs for k in r.params})
    metrics = sorted({f"metrics.{k}" for r in runs for k in r.metrics})
    tags = sorted({f"tags.{k}" for r in runs for k in r.tags})
    many = len({r.experiment for r in runs}) > 1
    base = ["id", *(["experiment"] if many else []), "name", "status", "start", "duration"]
    if patterns:
        universe = [*_ATTRIBUTE_COLUMNS, *params, *metrics, *tags]
        chosen = ["id"]
        for pattern in patterns:
            if not any(ch in pattern for ch in "*?["):
                column = requested_column(pattern)
                if column is None:
                    raise click.BadParameter(
                        f"no column {pattern!r}: name an attribute ({', '.join(_ATTRIBUTE_COLUMNS)}) or "
                        "params.NAME, metrics.NAME, tags.NAME; globs like 'params.*' pick several")
                chosen.extend([column] if column not in chosen else [])
                continue
            chosen.extend(c for c in universe if fnmatch.fnmatchcase(c, pattern) and c not in chosen)
        keys = chosen
    else:
        keys = base + params + metrics
    if changed_only and len(runs) > 1:
        keys = [k for k in keys if k in ("id", "name") or len({cell(r, k) for r in runs}) > 1]
    return keys


def asked_for(filter_string: str, sort_keys: tuple[str, ...]) -> set[str]:
    """The columns a filter reads or a sort key orders by: a fitted table keeps them."""
    from gx.query.filter import parse_filter
    from gx.query.sort import parse_sort_key

    fields = {(k.entity, k.key) for k in map(parse_sort_key, sort_keys)}
    if filter_string.strip():
        fields |= parse_filter(filter_string).referenced_keys()
    return {_ATTRIBUTE_COLUMN_OF.get(key, key) if entity == "attributes" else f"{entity}.{key}"
            for entity, key in fields}


def cell(run: RunSummary, key: str, precise: bool = False) -> str:
    if key in _ATTRIBUTE_COLUMNS:
        return _ATTRIBUTE_COLUMNS[key](run)
    entity, _, name = key.partition(".")
    source = {"params": run.params, "metrics": run.metrics, "tags": run.tags}[entity]
    return fmt.value(source.get(name), precise)


@click.command("ls")
@click.argument("experiments", nargs=-1)
@click.option("-f", "--filter", "filter_string", default="", metavar="FILTER",
              help="MLflow-style filter, e.g. \"metrics.rmse < 6 and params.model = 'lasso'\".")
@click.option("-s", "--sort", "sort_keys", multiple=True, metavar="KEY",
              help="Sort by KEY (metrics.rmse; -metrics.rmse or 'metrics.rmse DESC' descending). Repeatable.")
@click.option("-n", "--limit", type=click.IntRange(min=1), help="At most N runs.")
@click.option("-c", "--columns",
              help="Comma-separated columns or globs, e.g. 'name,params.*,metrics.rmse'; a named column "
                   "no listed run has shows empty.")
@click.option("--changed-only", is_flag=True, help="Fold away columns whose value is the same for every run.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json", "md"]), default="table",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--deleted", is_flag=True, help="Show deleted runs instead.")
@click.option("--all", "show_all", is_flag=True, help="Show deleted runs too.")
@click.option("--flat", is_flag=True, help="Do not indent nested runs under their parent.")
@click.option("--parent", "parent_spec", metavar="RUN", help="Only the children of RUN (a sweep's trials, a search's candidates).")
@click.option("--input", "input_paths", multiple=True, metavar="PATH",
              help="Only runs that read the current content of PATH (whatever its path was then). Repeatable.")
def ls_cmd(experiments: tuple[str, ...], filter_string: str, sort_keys: tuple[str, ...], limit: int | None,
           columns: str | None, changed_only: bool, output_format: str, as_json: bool, deleted: bool,
           show_all: bool, flat: bool, parent_spec: str | None, input_paths: tuple[str, ...]) -> None:
    """List runs of EXPERIMENTS (default: all), newest first; a nested run is indented under its
    parent when both are listed.

    The table is fitted to the terminal by dropping columns from the right, never the first ones
    or those the sort keys and the filter name.
    """
    from gx.query.nesting import as_tree, children_filter, resolve_run_id
    from gx.query.search import search

    query = filter_string if parent_spec is None else children_filter(resolve_run_id(parent_spec), filter_string)
    if input_paths:
        from gx.query.inputs import input_filter

        used = " and ".join(input_filter(p) for p in input_paths)
        query = f"({query}) and {used}" if query.strip() else used
    runs = search(experiments or None, query, sort_keys, limit, include_deleted=show_all, deleted_only=deleted)
    if as_json or output_format == "json":
        click.echo(fmt.dumps([fmt.summary_json(r) for r in runs]))
        return
    if not runs:
        if output_format == "table":
            click.echo("no runs match" if query else "no runs yet; record one with: gx run train.py -p alpha=0.1",
                       err=True)
        return
    patterns = [p.strip() for p in columns.split(",") if p.strip()] if columns else None
    keys = columns_for(runs, patterns, changed_only)
    headers = [k.split(".", 1)[1] if k.startswith(("params.", "metrics.")) and not patterns else k for k in keys]
    nested = output_format == "table" and not flat and parent_spec is None
    depths = [0] * len(runs)
    if nested:
        runs, depths = map(list, zip(*as_tree(runs)))  # type: ignore[assignment]
    rows = [[cell(r, k, precise=output_format == "csv") for k in keys] for r in runs]
    for row, depth in zip(rows, depths):
        if depth:
            row[0] = "  " * (depth - 1) + "└ " + row[0]
    for key in keys if patterns else ():
        entity, _, name = key.partition(".")
        if entity in _ENTITY_COLUMNS and all(name not in getattr(r, entity) for r in runs):
            click.echo(f"note: no run listed has {key}", err=True)
    if output_format == "table":
        pinned = asked_for(filter_string, sort_keys)
        text, dropped = fmt.fitted_grid(headers, rows, keep=min(6, len(headers)),
                                        pinned={i for i, k in enumerate(keys) if k in pinned})
        click.echo(text)
        if dropped:
            click.echo(f"({dropped} more columns; widen the terminal, pick with --columns or use --format csv)", err=True)
    else:
        click.echo(fmt.csv_text([keys, *rows]) if output_format == "csv" else fmt.markdown([keys, *rows]))
