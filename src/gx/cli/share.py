"""``gx init``, ``gx remote setup``, ``gx push``, ``gx pull``, ``gx sync``: sharing experiments."""

from __future__ import annotations

import os
from typing import Any, Callable

import click

from gx.share.head_start import progress_writer as _progress

_remote_arg = click.argument("remote", required=False)
_experiments_arg = click.argument("experiments", nargs=-1)


def _transfer_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(func)
    return click.option("--progress/--no-progress", default=None,
                        help="Show transfer progress on stderr (default: when stderr is a terminal).")(func)


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def describe(result: Any) -> str:
    """One line per experiment: what came in, what went out."""
    label = result.remote
    if result.skipped:
        return f"{result.experiment}: skipped ({result.skipped})"
    parts = []
    if result.received or result.created == "local" or result.merged or result.fast_forward:
        how = "new experiment" if result.created == "local" else "merged" if result.merged else "fast-forward"
        parts.append(f"{_runs(result.received)} from {label} ({how})")
    if result.sent or result.created == "remote":
        parts.append(f"{_runs(result.sent)} to {label}" + (" (new there)" if result.created == "remote" else ""))
    return f"{result.experiment}: " + ("; ".join(parts) or "up to date")


def _report(results: list[Any], quiet: bool, empty: str) -> None:
    if quiet:
        return
    if not results:
        click.echo(empty)
    for result in results:
        click.echo(describe(result))


@click.command("push")
@_remote_arg
@_experiments_arg
@_transfer_options
def push_cmd(remote: str | None, experiments: tuple[str, ...], progress: bool | None, quiet: bool) -> None:
    """Push experiments (default: all) to REMOTE (default: origin), with the code their runs ran.

    Diverged experiments are fetched and joined by a merge commit first; nothing is force-pushed.
    """
    from gx.share.sync import push

    results = push(remote, experiments or None, progress=_progress(progress, quiet))
    _report(results, quiet, "no experiments to push; record a run with: gx run train.py")


@click.command("pull")
@_remote_arg
@_experiments_arg
@click.option("--no-fetch", is_flag=True,
              help="Only merge what a plain 'git fetch' already brought (refs/remotes/REMOTE/experiments).")
@_transfer_options
def pull_cmd(remote: str | None, experiments: tuple[str, ...], no_fetch: bool, progress: bool | None,
             quiet: bool) -> None:
    """Fetch experiments (default: all) from REMOTE (default: origin) and merge them into yours."""
    from gx.share.sync import pull

    results = pull(remote, experiments or None, fetch=not no_fetch, progress=_progress(progress, quiet))
    _report(results, quiet, f"{remote or 'origin'} has no experiments yet")


@click.command("sync")
@_remote_arg
@_transfer_options
def sync_cmd(remote: str | None, progress: bool | None, quiet: bool) -> None:
    """Pull, then push: afterwards you and REMOTE (default: origin) have every run of both."""
    from gx.share.sync import sync

    results = sync(remote, progress=_progress(progress, quiet))
    _report(results, quiet, "no experiments here or on the remote")


def _config_key(result: Any, line: Any) -> str:
    """``remote.<r>.push``, or a key of another section as is (``push.followTags``, issue 11)."""
    return line.key if "." in line.key else f"remote.{result.remote}.{line.key}"


def _show_setup(result: Any, hook: Any) -> None:
    config = os.path.relpath(result.config_path)
    if result.undone:
        if not result.lines:
            click.echo(f"remote '{result.remote}' was not set up by gx; nothing changed")
        else:
            click.echo(f"removed from {config}:")
            for line in result.lines:
                click.echo(f"  {_config_key(result, line)} = {line.value}")
        if result.tracking_refs_removed:
            click.echo(f"deleted {result.tracking_refs_removed} refs under refs/remotes/{result.remote}/experiments/ "
                       f"(the runs are still on '{result.remote}')")
        _show_hook_removal(hook)
        return
    if not result.lines:
        click.echo(f"remote '{result.remote}' is already set up: git push and git fetch carry experiments")
    else:
        click.echo(f"added to {config}:")
        rows = [(f"{_config_key(result, line)} = {line.value}", line.why) for line in result.lines]
        width = max(len(left) for left, _ in rows)
        for left, why in rows:
            click.echo(f"  {left.ljust(width)}  # {why}")
    _show_hook_install(result.remote, hook)
    if result.lines:
        click.echo(f"undo with: gx remote setup --undo {result.remote}")


def _show_hook_install(remote: str, hook: Any) -> None:
    explicit = f"'git push {remote} BRANCH' (refspecs on the command line)"
    if hook.action == "failed":
        click.echo(f"gx: warning: gx's pre-push hook was not installed: {hook.reason}", err=True)
        click.echo(f"gx: warning: plain 'git push' carries experiments, but {explicit} does not: "
                   f"run 'gx push {remote}' after such a push", err=True)
        return
    where = os.path.relpath(hook.path)
    chained = f"; the previous hook, now {os.path.relpath(hook.legacy)}, runs first" if hook.legacy else ""
    done = "installed gx's pre-push hook" if hook.action == "installed" else "gx's pre-push hook is installed"
    click.echo(f"{done} ({where}{chained}): {explicit} carries experiments too")


def _show_hook_removal(hook: Any) -> None:
    if hook.action == "kept":
        click.echo(f"kept gx's pre-push hook: remote '{hook.reason}' is still set up (its undo removes the hook)")
    elif hook.action == "restored":
        click.echo(f"removed gx's pre-push hook; the previous one is back at {os.path.relpath(hook.path)}")
    elif hook.action == "removed":
        click.echo(f"removed gx's pre-push hook ({os.path.relpath(hook.path)})")
    elif hook.action == "not gx's":
        click.echo(f"left {os.path.relpath(hook.path)} alone: it is no longer gx's pre-push hook")


@click.group("remote")
def remote_group() -> None:
    """Make plain git push/fetch carry experiments."""


@remote_group.command("setup")
@_remote_arg
@click.option("--undo", is_flag=True, help="Remove exactly what an earlier setup added.")
def remote_setup_cmd(remote: str | None, undo: bool) -> None:
    """Configure REMOTE (default: origin) so that plain git push/fetch/pull also carry experiments.

    Also installs gx's pre-push hook (chaining any hook already there), so that git push REMOTE
    BRANCH carries them too. Your branch pushing stays as it was; every change is printed, and
    --undo removes it (the hook only if setup installed it).
    """
    from gx.hooks.remote_hook import setup_remote

    _show_setup(*setup_remote(remote, undo=undo))


@click.command("init")
@click.option("--remote", default="origin", show_default=True, help="The remote to share experiments with.")
@click.option("--no-share", is_flag=True, help="Do not change the remote's refspecs.")
@click.option("--hooks", "with_hooks", is_flag=True,
              help="Also install gx's git hooks (auto-logging commits declared in gx.yaml; see 'gx hooks').")
def init_cmd(remote: str, no_share: bool, with_hooks: bool) -> None:
    """Set up gx in this repository: let plain git push/fetch share experiments with REMOTE,
    and with --hooks install the git hooks."""
    from gx.hooks.remote_hook import setup_remote
    from gx.query.runs import open_store
    from gx.store.gitconfig import remote_names

    with open_store() as store:
        click.echo(f"gx stores runs in {store.paths.open_path} under refs/experiments/")
        if with_hooks:  # first, so that a later 'gx remote setup --undo' leaves the asked-for hooks alone
            from gx.cli.hooks import install_cmd

            click.get_current_context().invoke(install_cmd, hooks=(), portable=False)
        if not no_share:
            if remote in remote_names(store):
                _show_setup(*setup_remote(remote, store=store))
            else:
                click.echo(f"no remote '{remote}' yet: after 'git remote add {remote} URL', run 'gx remote setup {remote}'")
    if not with_hooks:
        click.echo("to auto-log commits, run 'gx hooks install' (or 'gx init --hooks')")
