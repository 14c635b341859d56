"""Reading runs: listing, resolving and loading (``runs``), search and best (``search``), run specs
such as ``exp~2`` (``runspec``), the filter language (``lexer``, ``filter``, ``compile``, ``access``),
sort keys (``sort``), the SQLite cache (``index``, ``index_rows``), DataFrames (``frame``),
compare/diff (``compare``), and delete/restore (``deletion``).
"""
