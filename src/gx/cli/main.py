"""The ``gx`` command: a click group that loads subcommands lazily and owns error reporting.

Exit codes: 0 ok, 1 user error (one line on stderr), 2 usage error, 3 internal bug (the
traceback goes to a log file whose path is printed), 130 Ctrl-C; ``gx run`` exits with its child's code.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import warnings
from typing import Any

import click

from gx._version import __version__
from gx.errors import GxError, GxWarning

#: name -> (module, attribute, one-line help). Help lives here so ``gx --help`` imports nothing else.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("gx.cli.run", "run_cmd", "Run a script or command and record it as a run."),
    "sweep": ("gx.cli.sweep", "sweep_cmd", "Search hyperparameters, each trial a child run."),
    "ls": ("gx.cli.ls", "ls_cmd", "List runs, newest first."),
    "show": ("gx.cli.show", "show_cmd", "Show everything about one run."),
    "experiments": ("gx.cli.experiments", "experiments_cmd", "List experiments with run counts."),
    "rm": ("gx.cli.rm", "rm_cmd", "Delete runs (appends a tombstone; history is kept)."),
    "restore": ("gx.cli.rm", "restore_cmd", "Undo 'gx rm'."),
    "best": ("gx.cli.best", "best_cmd", "Print the winning run for a metric."),
    "compare": ("gx.cli.compare", "compare_cmd", "Compare runs side by side."),
    "diff": ("gx.cli.compare", "diff_cmd", "Show what changed between two runs."),
    "log": ("gx.cli.log", "log_cmd", "An experiment's history, one line per run."),
    "plot": ("gx.cli.plot", "plot_cmd", "Plot metric histories, scatters or parallel coordinates."),
    "init": ("gx.cli.share", "init_cmd", "Set up gx in this repository (sharing, hooks)."),
    "remote": ("gx.cli.share", "remote_group", "Make plain git push/fetch carry experiments."),
    "push": ("gx.cli.share", "push_cmd", "Push experiments to a remote."),
    "pull": ("gx.cli.share", "pull_cmd", "Fetch and merge experiments from a remote."),
    "sync": ("gx.cli.share", "sync_cmd", "Pull, then push experiments."),
    "models": ("gx.cli.models", "models_group", "Registered models: ls, show, register, alias, rollback, history."),
    "hooks": ("gx.cli.hooks", "hooks_group", "Install git hooks that auto-log commits."),
    "ui": ("gx.cli.ui", "ui_cmd", "Browse runs, charts and artifacts in a local web app."),
    "demo": ("gx.cli.demo", "demo_cmd", "Track a bundled example in a scratch repository."),
    "reproduce": ("gx.cli.reproduce", "reproduce_cmd", "Re-run a run on its exact source and compare metrics."),
    "checkout": ("gx.cli.reproduce", "checkout_cmd", "Put a run's exact source in a new worktree or branch."),
    "import": ("gx.cli.importers", "import_group", "Import runs from MLflow (SQLite or mlruns folder)."),
    "export": ("gx.cli.importers", "export_group", "Export runs to an MLflow store."),
    "artifacts": ("gx.cli.lfs", "artifacts_group", "Get a run's artifacts (large ones fetched on demand)."),
    "gc": ("gx.cli.lfs", "gc_cmd", "Free disk space: --lfs removes unreferenced Git LFS objects."),
}

#: Commands that must not trigger recovery of dead runs first.
_NO_RECOVERY = {"demo"}


class GxCommandError(click.ClickException):
    """A GxError (exit 1) or an internal error (exit 3) shown as one line."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"gx: error: {self.format_message()}", err=True)


#: Internal-error logs kept under .git/gx/ (older ones are removed).
_KEEP_ERROR_LOGS = 10


def _log_internal_error() -> str:
    """Write the traceback where only the user can read it (mode 0600 under ``.git/gx/``, or a private
    temporary directory outside a repository), secrets in the command line masked; return its path."""
    import tempfile  # only for a bug's report: not on every command's start
    import traceback

    trace = traceback.format_exc()
    try:
        from gx.tracking.redact import redact_command, scrub_text

        argv, found = redact_command(sys.argv)
        body = scrub_text(f"argv: {argv}\n\n{trace}", found)
    except Exception:  # never let the report of a bug hide it: keep the traceback, drop the argv
        body = f"argv: (not recorded)\n\n{trace}"
    text = f"gx {__version__}, python {sys.version}\n{body}"
    for directory in (_repo_log_dir(), None):
        try:
            if directory is None:
                directory = tempfile.mkdtemp(prefix="gx-error-")  # mode 0700
            path = os.path.join(directory, f"internal-error-{os.getpid()}.log")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with open(fd, "w", encoding="utf-8", errors="replace") as fh:
                os.fchmod(fd, 0o600)  # an older file of the same name may have had other bits
                fh.write(text)
            return path
        except OSError:
            continue
    return "(nowhere: no writable directory)"


def _repo_log_dir() -> str | None:
    """``.git/gx/`` of the current repository, with older error logs pruned; None outside one."""
    try:
        from gx.paths import find_repo

        gx_dir = find_repo().gx_dir
        gx_dir.mkdir(parents=True, exist_ok=True)
        old = sorted(gx_dir.glob("internal-error-*.log"), key=lambda p: p.stat().st_mtime)
        for stale in old[: max(0, len(old) - _KEEP_ERROR_LOGS + 1)]:
            stale.unlink()
        return str(gx_dir)
    except Exception:
        return None


class GxGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + sorted(set(self.commands) - set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, attr, _ = COMMANDS[cmd_name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        if name not in _NO_RECOVERY and not ctx.resilient_parsing and not any(a in ("-h", "--help") for a in rest):
            try:
                _recover_quietly()
            except GxError as exc:
                raise GxCommandError(str(exc), exc.exit_code) from None
        return name, cmd, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GxError as exc:
            raise GxCommandError(str(exc), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except BrokenPipeError:  # `gx ls | head`
            sys.stderr.close()
            raise click.exceptions.Exit(0) from None
        except Exception:
            log = _log_internal_error()
            raise GxCommandError(
                f"internal error ({sys.exc_info()[1]!r}); this is a bug in gx — the traceback is in {log}",
                exit_code=3,
            ) from None


def _recover_quietly() -> None:
    """Record runs whose process died, before any command reads the store."""
    from gx.paths import find_repo

    try:
        paths = find_repo()
    except GxError:
        return  # the command itself reports 'not a git repository'
    if not paths.has_run_journals():
        return
    from gx.tracking.finalize import recover_dead_runs

    for rec in recover_dead_runs(paths):
        click.echo(f"gx: recorded interrupted run {rec.run_id[:8]} ({rec.name or 'unnamed'}) as {rec.status}", err=True)


@click.group(cls=GxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gx")
def cli() -> None:
    """gx — git-native experiment tracking.

    Every run is a commit on refs/experiments/<experiment>: history is `git log`,
    sharing is `git push`. Start with `gx demo`, or `gx run train.py -p alpha=0.1`.
    """
    _print_gx_warnings()


_shown_warnings: set[str] = set()


def _show_warning(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    if not issubclass(category, GxWarning):
        _default_showwarning(message, category, *args, **kwargs)
    elif str(message) not in _shown_warnings:
        _shown_warnings.add(str(message))
        click.echo(str(message), err=True)


_default_showwarning = warnings.showwarning


def _print_gx_warnings() -> None:
    """Show each GxWarning (a skipped run, a bad ref) once per command, as one plain line on stderr."""
    _shown_warnings.clear()
    warnings.simplefilter("always", GxWarning)
    warnings.showwarning = _show_warning


def main(argv: list[str] | None = None) -> None:
    try:
        try:
            code = cli.main(args=argv, prog_name="gx", standalone_mode=False)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except (click.Abort, KeyboardInterrupt):
            click.echo("gx: interrupted", err=True)
            code = 130
        sys.exit(code if isinstance(code, int) else 0)
    finally:  # also when a command exits itself (``gx run`` with its child's status)
        # What the command loaded (click, dulwich, gx: ~200 modules) dies with the process: frozen, the
        # interpreter's last collections do not walk it (~14 ms of every command's exit, measured in
        # docs/performance.md). atexit handlers, flushes and finalizers still run.
        gc.freeze()
