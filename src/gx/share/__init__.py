"""Sharing experiments through git remotes: push, pull and sync with union merges (``sync``), and
``gx remote setup`` so plain git carries them (``remote_setup``). Merge policy itself is in ``gx.store.merge``."""
