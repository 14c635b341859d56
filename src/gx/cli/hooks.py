"""``gx hooks``: install, uninstall and inspect gx's git hooks; ``run`` is what the hooks call."""

from __future__ import annotations

import os
from pathlib import Path

import click

from gx.hooks.manage import HOOK_TYPES, HookChange

_HOOK_OPTION = click.option(
    "--hook", "hooks", multiple=True, type=click.Choice(HOOK_TYPES),
    help="Only this hook (repeatable; default: all of pre-commit, post-commit, pre-push).",
)


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if Path.cwd() in path.resolve().parents else str(path)
    except (OSError, ValueError):
        return str(path)


def _describe(change: HookChange) -> str:
    path, legacy = _shown(change.path), _shown(change.legacy) if change.legacy else ""
    if change.action == "restored":
        return f"{change.hook}: removed gx's hook; the previous one is back at {path}"
    if change.action == "not gx's":
        return f"{change.hook}: {path} is not gx's; left alone"
    if change.action == "not installed":
        return f"{change.hook}: not installed"
    verb = "already installed" if change.action == "unchanged" else change.action
    chained = f" (the previous hook, now {legacy}, runs first)" if legacy else ""
    return f"{change.hook}: {verb} {path}{chained}"


@click.group("hooks", context_settings={"help_option_names": ["-h", "--help"]})  # also when run on its own
def hooks_group() -> None:
    """Git hooks that record each commit as a run (configured in gx.yaml) and push experiments.

    A hook already in place is kept as <hook>.legacy and still runs first. See docs/hooks.md.
    """


@hooks_group.command("install")
@_HOOK_OPTION
@click.option("--portable", is_flag=True,
              help="Find gx on PATH instead of embedding this Python (for hooks shared through core.hooksPath).")
def install_cmd(hooks: tuple[str, ...], portable: bool) -> None:
    """Install gx's hooks (idempotent).

    They go where git looks for hooks (core.hooksPath is respected). A hook already there is kept
    as <hook>.legacy and runs first; its failure still stops git.
    """
    from gx.hooks.manage import install
    from gx.paths import find_repo

    changes = install(hooks, python="" if portable else None)
    for change in changes:
        click.echo(_describe(change))
    paths = find_repo()
    root = (paths.worktree or paths.git_dir).resolve()
    directory = changes[0].path.parent.resolve()
    if directory != paths.common_dir.resolve() / "hooks" and root not in directory.parents:
        click.echo(f"note: core.hooksPath puts them in {directory}, outside this repository: "
                   "they run for every repository that uses that folder")
    if paths.worktree is not None and not (paths.worktree / "gx.yaml").is_file():
        click.echo("to record a run on every commit, add an 'autolog:' section to gx.yaml (see docs/hooks.md)")


@hooks_group.command("uninstall")
@_HOOK_OPTION
def uninstall_cmd(hooks: tuple[str, ...]) -> None:
    """Remove gx's hooks; put back the ones they chained."""
    from gx.hooks.manage import uninstall

    for change in uninstall(hooks):
        click.echo(_describe(change))


@hooks_group.command("status")
def status_cmd() -> None:
    """Show which gx hooks are installed, and gx.yaml's autolog."""
    from gx.hooks.commit_runs import CONFIG_FILE, parse_config
    from gx.hooks.manage import status
    from gx.paths import find_repo

    for change in status():
        click.echo(_describe(change))
    paths = find_repo()
    config_file = (paths.worktree or paths.git_dir) / CONFIG_FILE
    cfg = parse_config(config_file.read_bytes()) if config_file.is_file() else None
    if cfg is None:
        click.echo(f"autolog: off (no 'autolog:' section in {CONFIG_FILE})")
        return
    files = ", ".join(f"{kind} {', '.join(getattr(cfg, kind))}" for kind in ("params", "metrics", "artifacts")
                      if getattr(cfg, kind)) or "no files"
    click.echo(f"autolog: each commit becomes a run in '{cfg.experiment}' ({files})")


@hooks_group.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("hook", type=click.Choice(HOOK_TYPES))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_cmd(hook: str, args: tuple[str, ...]) -> None:
    """Do one hook's work now (what the hooks call).

    pre-commit checks the staged files gx.yaml declares and fails on a bad one; post-commit records
    HEAD as a run (run it by hand to log a merge); pre-push (ARGS: REMOTE URL) pushes experiments.
    Only pre-commit ever fails. Pre-commit framework entries call this too.
    """
    from gx.hooks.entry import pushed_refs, run_hook

    for line in run_hook(hook, args, pushed_refs() if hook == "pre-push" else ""):
        click.echo(line, err=True)
