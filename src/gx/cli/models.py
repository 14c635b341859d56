"""``gx models``: the registry from the command line — ls, show, history here; changes in ``models_edit``."""

from __future__ import annotations

from typing import Any

import click

from gx import formatting as fmt
from gx.cli.models_edit import alias_cmd, deprecate_cmd, register_cmd, rm_cmd, rollback_cmd


@click.group("models")
def models_group() -> None:
    """Registered models: versions, aliases and stages, kept as git tags in GTO's format."""


def _aliases_text(model: Any) -> str:
    parts = [f"{a}=v{n}" for a, n in sorted(model.aliases.items())]
    stages: dict[str, list[int]] = {}
    for v in model.active_versions:
        if v.stage:
            stages.setdefault(v.stage, []).append(v.version)
    parts += [f"{s}=" + ",".join(f"v{n}" for n in numbers) for s, numbers in sorted(stages.items())]
    return " ".join(parts)


@models_group.command("ls")
@click.option("--all", "show_all", is_flag=True, help="Include deprecated models.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
def ls_cmd(show_all: bool, as_json: bool) -> None:
    """Each model with its latest version and its aliases."""
    from gx.models.state import read_registry
    from gx.store.repo import Store

    with Store.open() as store:
        models = [m for m in read_registry(store).values() if show_all or not m.deprecated]
    if as_json:
        click.echo(fmt.dumps([{
            "name": m.name, "latest_version": m.latest.version if m.latest else None,
            "versions": len(m.active_versions), "aliases": dict(sorted(m.aliases.items())),
            "stages": {str(v.version): v.stage for v in m.active_versions if v.stage},
            "deprecated": m.deprecated, "updated": fmt.iso(m.last_time or None),
        } for m in models]))
        return
    if not models:
        click.echo("no registered models yet; register one with: gx models register RUN NAME", err=True)
        return
    rows = [[m.name + (" (deprecated)" if m.deprecated else ""), f"v{m.latest.version}" if m.latest else "-",
             str(len(m.active_versions)), _aliases_text(m), fmt.local_time(m.last_time or None)] for m in models]
    click.echo(fmt.grid([["model", "latest", "versions", "aliases", "updated"], *rows]))


@models_group.command("show")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def show_cmd(spec: str, as_json: bool) -> None:
    """One version: NAME (latest), NAME/N or NAME@ALIAS — its run's params and metrics, files, signature."""
    from gx.models.show import describe_version

    info = describe_version(spec)
    if as_json:
        click.echo(fmt.dumps(info))
        return
    mv = info["version"]
    lines = [f"model     {mv['name']} version {mv['version']}  ({mv['tag']})",
             f"stage     {mv['current_stage']}", f"aliases   {', '.join(mv['aliases']) or '-'}",
             f"run       {mv['run_id'] or '-'}  ({mv['experiment'] or '-'}, commit {mv['commit'][:12]})",
             f"source    models:/{mv['name']}/{mv['version']}  =  {mv['source']}",
             f"by        {mv['user_id']}, {fmt.local_time(mv['creation_timestamp'] / 1000)}"]
    if mv["description"]:
        lines.append(f"about     {mv['description']}")
    if mv["tags"]:
        lines.append("tags      " + " ".join(f"{k}={v}" for k, v in sorted(mv["tags"].items())))
    for title, values in (("params", info.get("params")), ("metrics", info.get("metrics"))):
        if values:
            lines.append(f"{title:<9} " + " ".join(f"{k}={fmt.value(v)}" for k, v in values.items()))
    if info.get("run_problem"):
        lines.append(f"run       cannot be read: {info['run_problem']}")
    desc = info.get("descriptor") or {}
    if desc:
        lines.append(f"flavor    {desc.get('flavor')} ({desc.get('model_class')}), {desc.get('library')} "
                     f"{desc.get('library_version')}, Python {desc.get('python_version')}")
    signature = info.get("signature_text")
    if signature:
        lines.append(f"inputs    {signature}")
    lines.append("files     " + "  ".join(f"{name} ({size:,} B)" for name, size in info["files"].items()))
    click.echo("\n".join(lines))


@models_group.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, oldest first.")
def history_cmd(name: str, as_json: bool) -> None:
    """Every registration and assignment of a model: who, when, from which version to which."""
    from gx.models.history import history
    from gx.models.registry import load_model_state
    from gx.store.repo import Store

    with Store.open() as store:
        rows = history(load_model_state(store, name))
    if as_json:
        click.echo(fmt.dumps([{**r.to_dict(), "time": fmt.iso(r.time)} for r in rows]))
        return
    table = []
    for r in rows:
        what = f"v{r.version}" if r.version is not None else ""
        if r.event == "assigned":
            what = f"{r.alias}: " + (f"v{r.previous} -> " if r.previous is not None else "") + what
        elif r.event == "unassigned":
            what = f"{r.alias}: {what} -> none"
        table.append([fmt.local_time(r.time), r.who, r.event, what, r.tag])
    click.echo(fmt.grid([["when", "who", "event", "what", "tag"], *table]))


for _command in (register_cmd, alias_cmd, rollback_cmd, rm_cmd, deprecate_cmd):
    models_group.add_command(_command)
