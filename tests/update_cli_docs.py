"""Regenerate docs/cli.md from the commands' --help (a test checks it is current).

Run: python tests/update_cli_docs.py
"""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from gx.cli.main import COMMANDS, cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"

INTRO = """# gx command-line reference

Generated from `--help` by `python tests/update_cli_docs.py`; `tests/test_docs.py` fails when it is stale.

Every command works from anywhere inside a git repository (worktree, linked worktree or bare).
Exit status: 0 success, 1 a user error (one line on stderr saying what to do), 2 bad usage,
3 an internal error (the traceback, command-line secrets masked, is written to a log file only you can read,
under `.git/gx/`, else in a private temporary directory; its path is printed), 130 Ctrl-C.
`gx run` exits with its child's status (128+N when the child was killed by signal N).
Before any command runs, runs whose process died (SIGKILL, power loss) are recorded as KILLED.
A RUN argument is a run id, a unique prefix of one (like a short git sha), or a unique run name.
"""


def _help(runner: CliRunner, args: list[str]) -> str:
    return runner.invoke(cli, [*args, "--help"], prog_name="gx", terminal_width=100).output.rstrip()


def _subcommands(name: str) -> list[str]:
    """The subcommands of a command group (``gx models alias``, ``gx remote setup``…), in order."""
    with click.Context(cli, info_name="gx") as ctx:
        command = cli.get_command(ctx, name)
        if not isinstance(command, click.Group):
            return []
        with click.Context(command, info_name=name, parent=ctx) as sub:
            return [s for s in command.list_commands(sub) if not command.get_command(sub, s).hidden]


def render() -> str:
    runner = CliRunner()
    parts = [INTRO, "## gx\n\n```\n" + _help(runner, []) + "\n```\n"]
    for name in COMMANDS:
        parts.append(f"## gx {name}\n\n```\n{_help(runner, [name])}\n```\n")
        parts.extend(f"### gx {name} {sub}\n\n```\n{_help(runner, [name, sub])}\n```\n" for sub in _subcommands(name))
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
