"""``python -m gx.hooks run HOOK [-- ARGS]``: the command installed hook shims call."""

import sys

from gx.hooks.entry import main

sys.exit(main())
