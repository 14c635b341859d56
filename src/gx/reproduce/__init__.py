"""Re-running a recorded run: what would run (``plan``), running it on its exact source in a
temporary linked worktree and comparing the metrics (``rerun``), and putting a run's source where
the user can continue from it (``checkout``), and entry points of gx.yaml and MLproject files for
``gx run ENTRY -P k=v`` (``projects``). Between the CLI and query/tracking: it reads runs,
records a new one through ``gx.tracking.runner``, and asks ``gx.store.worktree`` for the source."""
