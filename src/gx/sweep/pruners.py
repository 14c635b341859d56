"""Optuna's pruners for ``gx sweep --prune`` when the search runs through an Optuna study
(``--method tpe``, or ``--storage``): every intermediate value a running trial logged is reported to
its Optuna trial (``trial.report(value, step)``) and Optuna's pruner decides (``trial.should_prune()``),
so a shared study's storage holds the values and the PRUNED states every machine's pruner sees.

``--pruner`` names the pruner: ``median`` (the default), ``percentile`` or ``percentile:P``,
``hyperband``, ``successive-halving``; ``none`` turns pruning off. Grid and random sweeps without a
study use gx's own median rule (``gx.sweep.prune``), which is the ``median`` pruner with the same
arguments.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from gx.errors import BadValue

DEFAULT_PRUNER = "median"
PRUNERS = ("median", "percentile", "hyperband", "successive-halving", "none")
#: Optuna's percentile when ``--pruner percentile`` names none (its documentation's example).
DEFAULT_PERCENTILE = 25.0
#: What gx passes to MedianPruner/PercentilePruner: Optuna's defaults (5 startup trials, no warm-up,
#: 1 trial at a step) prune nothing in a 6-trial sweep and judge a trial on its noisy first value.
STARTUP_TRIALS, WARMUP_STEPS, MIN_TRIALS_AT_STEP = 3, 1, 3


def check_pruner(text: str) -> str:
    """``--pruner`` checked and normalised (``percentile:25`` -> ``percentile:25.0``)."""
    name, colon, arg = str(text).strip().lower().partition(":")
    if name not in PRUNERS or (colon and name != "percentile"):
        raise BadValue(f"--pruner {text!r}: choose {', '.join(PRUNERS)} (percentile:P sets the percentile)")
    if name != "percentile":
        return name
    try:
        percentile = float(arg) if colon else DEFAULT_PERCENTILE
    except ValueError:
        percentile = math.nan
    if not 0.0 < percentile < 100.0:
        raise BadValue(f"--pruner {text!r}: the percentile must be a number between 0 and 100, like percentile:25")
    return f"percentile:{percentile!r}"


def make_pruner(text: str) -> Any:
    """The Optuna pruner ``text`` names (checked by ``check_pruner``)."""
    import optuna

    name, _, arg = check_pruner(text).partition(":")
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=STARTUP_TRIALS, n_warmup_steps=WARMUP_STEPS,
                                           n_min_trials=MIN_TRIALS_AT_STEP)
    if name == "percentile":
        return optuna.pruners.PercentilePruner(float(arg), n_startup_trials=STARTUP_TRIALS,
                                               n_warmup_steps=WARMUP_STEPS, n_min_trials=MIN_TRIALS_AT_STEP)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if name == "successive-halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.NopPruner()


class OptunaStopper:
    """Reports the running trials' intermediate values to their Optuna trials and asks the pruner."""

    def __init__(self, planner: Any) -> None:
        self.planner = planner
        self._reported: dict[int, set[int]] = {}

    def _report(self, n: int, values: dict[int, float]) -> Any:
        trial = self.planner.asked(n)
        if trial is None:
            return None
        seen = self._reported.setdefault(n, set())
        for step in sorted(values):
            if step >= 0 and step not in seen and math.isfinite(values[step]):
                seen.add(step)
                with contextlib.suppress(ValueError, NotImplementedError):  # Optuna refuses; the trial goes on
                    trial.report(values[step], step)
        return trial

    def should_stop(self, n: int, values: dict[int, float]) -> bool:
        trial = self._report(n, values)
        return trial is not None and bool(self._reported.get(n)) and bool(trial.should_prune())

    def add_finished(self, n: int, values: dict[int, float]) -> None:
        """A trial has ended: its values not reported yet go to the study before it is told the end."""
        self._report(n, values)
        self._reported.pop(n, None)
