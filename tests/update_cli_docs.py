"""Regenerate docs/cli.md from the commands' --help (a test checks it is current).

Run: python tests/update_cli_docs.py
"""

from __future__ import annotations

from pathlib import Path

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


def render() -> str:
    runner = CliRunner()
    parts = [INTRO, "## gx\n\n```\n" + runner.invoke(cli, ["--help"], prog_name="gx", terminal_width=100).output.rstrip() + "\n```\n"]
    for name in COMMANDS:
        out = runner.invoke(cli, [name, "--help"], prog_name="gx", terminal_width=100).output.rstrip()
        parts.append(f"## gx {name}\n\n```\n{out}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
