"""``gx models register|alias|rollback|rm|deprecate``: the commands that add registry tags."""

from __future__ import annotations

import click

from gx.errors import BadName


@click.command("register")
@click.argument("run")
@click.argument("name")
@click.option("-d", "--description", default="", help="What this version is.")
def register_cmd(run: str, name: str, description: str) -> None:
    """Register RUN[:PATH] (a run id, prefix, name or EXP~N; PATH defaults to 'model') as NAME's next version."""
    from gx.models.client import register_model
    from gx.query.runs import open_store
    from gx.query.runspec import resolve_spec

    spec, _, path = run.partition(":")
    with open_store() as store:
        ref = resolve_spec(store, spec)
    mv = register_model(f"runs:/{ref.run_id}/{path or 'model'}", name, description=description)
    click.echo(f"registered {name} version {mv.version} (tag {mv.tag}) from run {ref.run_id[:8]}")


@click.command("alias")
@click.argument("args", nargs=-1, required=True)
@click.option("--delete", is_flag=True, help="Remove ALIAS: gx models alias --delete NAME ALIAS.")
def alias_cmd(args: tuple[str, ...], delete: bool) -> None:
    """Point ALIAS at a version: NAME VERSION ALIAS (stages too: staging, production, archived)."""
    from gx.models import client

    if delete:
        if len(args) != 2:
            raise BadName("write: gx models alias --delete NAME ALIAS")
        name, alias = args
        mv = client.get_model_version_by_alias(name, alias)
        client.delete_registered_model_alias(name, alias)
        click.echo(f"{name}@{alias} removed (it named version {mv.version})")
        return
    if len(args) != 3:
        raise BadName("write: gx models alias NAME VERSION ALIAS")
    name, version, alias = args
    client.set_registered_model_alias(name, alias, version.lstrip("v"))
    click.echo(f"{name}@{alias} -> version {version.lstrip('v')}")


@click.command("rollback")
@click.argument("name")
@click.argument("alias")
def rollback_cmd(name: str, alias: str) -> None:
    """Point ALIAS back at the version it named before (a stage: the previous version in it)."""
    from gx.models import registry as reg
    from gx.models.history import rollback_target
    from gx.models.state import STAGES
    from gx.store.repo import Store

    with Store.open() as store:
        model = reg.load_model_state(store, name)
        target = rollback_target(model, alias)
        if alias.lower() in STAGES:
            reg.transition_stage(store, name, target, alias, archive_existing=True)
        else:
            reg.set_alias(store, name, alias, target)
    click.echo(f"{name}@{alias} -> version {target} (rolled back)")


@click.command("rm")
@click.argument("spec")
def rm_cmd(spec: str) -> None:
    """Delete NAME/VERSION (a 'NAME@vN.0.0!' tag; the number is never reused), or deprecate NAME."""
    from gx.models import client

    name, _, version = spec.rpartition("/")
    if name and version.lstrip("v").isdigit():
        client.delete_model_version(name, version.lstrip("v"))
        click.echo(f"deleted version {version.lstrip('v')} of {name} (its run and tag history stay)")
    else:
        client.delete_registered_model(spec)
        click.echo(f"deprecated {spec}: hidden from 'gx models ls' until a new version is registered")


@click.command("deprecate")
@click.argument("name")
def deprecate_cmd(name: str) -> None:
    """Retire a model (GTO's 'NAME@deprecated' tag); registering a new version revives it."""
    from gx.models import client

    client.delete_registered_model(name)
    click.echo(f"deprecated {name}")
