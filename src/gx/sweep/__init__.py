"""Hyperparameter sweeps (``gx sweep``): search spaces (``space``), which trial runs which params
(``plan``: grid, random, TPE through Optuna), each trial's scratch copy of the project (``scratch``),
and the scheduler that runs trials as ``gx run`` child runs of the sweep's run (``scheduler``), stopping
the ones a pruner names (``prune``: gx's median rule; ``pruners``: Optuna's). The scheduler keeps no
state that is not in git: resuming is reading the sweep's recorded children, and the sweep's run is
recorded again with what the resume changed (``parent``).
"""
