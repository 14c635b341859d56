"""A live run: the fluent API (``fluent``), the run's in-memory state and journal writer (``live``,
``journal``), turning a journal into a commit and recovering dead runs (``finalize``), what a run
captures by itself (``capture``), keeping secrets out (``redact``), logged files and links
(``artifacts``), ``gx run`` (``runner``), and the MLflow-shaped Run object (``entities``).

This package runs inside training processes: it imports no query, plots, share, pandas or matplotlib.
"""
