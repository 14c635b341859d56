"""The git store, and the only package that imports dulwich: refs and their compare-and-swap updates
(``repo``, ``refs``), record <-> tree (``encode``, ``objects``), writing runs (``write``), history walks
(``history``), merges and transfers (``merge``, ``remote``), source snapshots (``source``), the git
index (``gitindex``) and config (``gitconfig``).

It imports nothing above it: only ``gx.errors``, ``gx.paths``, ``gx.records`` and ``gx.yamlio``.
"""
