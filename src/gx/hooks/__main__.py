"""``python -m gx.hooks run HOOK [-- ARGS]``: the command installed hook shims call."""

import gc
import sys

from gx.hooks.entry import main

code = main()
gc.freeze()  # as ``gx`` does (cli/main.py): the interpreter's last collections do not walk what loaded
sys.exit(code)
