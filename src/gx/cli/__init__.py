"""The gx command. Each module parses one command group with click, calls the library, formats;
``main`` (the entry point) lets a push, pull or sync ask the remote before click loads."""

from __future__ import annotations

import sys


def main() -> None:
    """``gx``: a push, pull or sync asks the remote first (``gx.share.head_start``), then the rest loads."""
    head = None
    try:
        if sys.argv[1:2] in (["push"], ["pull"], ["sync"]):
            from gx.share import head_start as head

            head.begin(sys.argv[1:])  # then click and the command's code load while the remote answers
        from gx.cli.main import main as run
    except KeyboardInterrupt:  # Ctrl-C before the command line's own handling is loaded
        if head is not None:
            head.settle()
        sys.stderr.write("gx: interrupted\n")
        raise SystemExit(130) from None
    try:
        run()
    finally:
        if head is not None:
            head.settle()
