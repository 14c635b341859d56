"""The gx command. Each module parses one command group with click, calls the library, formats;
``main`` (the entry point) lets a push, pull or sync ask the remote before click loads."""

from __future__ import annotations

import sys


def main() -> None:
    """``gx``: a push, pull or sync asks the remote first (``gx.share.head_start``), then the rest loads."""
    if sys.argv[1:2] not in (["push"], ["pull"], ["sync"]):
        from gx.cli.main import main as run

        run()
        return
    from gx.share import head_start

    head_start.begin(sys.argv[1:])  # then click and the command's code load while the remote answers
    from gx.cli.main import main as run

    try:
        run()
    finally:
        head_start.settle()
