"""``python -m gx.hooks run HOOK [-- ARGS]``: the command installed hook shims call."""

import gc
import sys

from gx.hooks.entry import main

try:
    sys.exit(main())
finally:  # as ``gx`` does (cli/main.py): the interpreter's last collections do not walk what loaded
    gc.freeze()
