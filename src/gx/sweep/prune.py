"""Median stopping (``gx sweep --prune``): a running trial whose ``--metric``, logged with steps, is
worse at its latest step than the median of the finished trials at that same step is stopped.

A trial reports intermediate values by logging the sweep's metric with ``step=`` (what a training
loop does anyway); the scheduler reads them from the trial's live journal (flushed every 0.5 s) and
stops a trial the way Ctrl-C does, with SIGINT to its ``gx run``: the run is recorded KILLED with
every value it logged, and the sweep's run lists it in its ``gx.sweep.pruned`` tag. The rule is
Optuna's ``MedianPruner``: the trial's best value so far against the median of the finished trials'
values at its latest step, once enough trials reported that step. A sweep that runs through an Optuna
study asks Optuna's pruner instead (``gx.sweep.pruners``), fed from the same journals.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from gx.records import RunRecord
from gx.sweep.lookup import TRIAL_TAG, history
from gx.sweep.plan import better
from gx.sweep.pruners import MIN_TRIALS_AT_STEP as MIN_FINISHED
from gx.sweep.pruners import WARMUP_STEPS

PRUNED_TAG = "gx.sweep.pruned"


def pruned_tag(numbers: set[int]) -> str:
    """The sweep run's ``PRUNED_TAG`` value: the pruned trial numbers, in order."""
    return ",".join(str(n) for n in sorted(numbers))


def pruned_trials(tags: dict[str, str]) -> set[int]:
    """The trial numbers a sweep's run lists as pruned (the tag is read back from git: bounded)."""
    return {int(n) for n in tags.get(PRUNED_TAG, "").split(",")[:100_000] if n.isdigit() and len(n) < 10}


class MedianStopper:
    """gx's median rule, for sweeps without an Optuna study."""

    def __init__(self, goal: str) -> None:
        self.goal = goal
        self.better = better(goal)
        self.finished: list[dict[int, float]] = []

    def add_finished(self, n: int, values: dict[int, float]) -> None:
        if values:
            self.finished.append(values)

    def should_stop(self, n: int, values: dict[int, float]) -> bool:
        if not values:
            return False
        step = max(values)
        if step < WARMUP_STEPS:
            return False
        others = [h[step] for h in self.finished if step in h]
        if len(others) < MIN_FINISHED:
            return False
        so_far = [v for s, v in values.items() if s <= step]
        best_so_far = min(so_far) if self.goal == "min" else max(so_far)
        median = statistics.median(others)
        return best_so_far != median and not self.better(best_so_far, median)


class TrialJournals:
    """The intermediate values of a sweep's running trials, read from their live journals."""

    def __init__(self, metric: str, runs_dir: Path, parent_id: str) -> None:
        self.metric, self.runs_dir, self.parent_id = metric, runs_dir, parent_id
        self._trial_of: dict[str, int | None] = {}  # live run directory -> trial number (None: not ours)

    def running(self) -> dict[int, dict[int, float]]:
        """The intermediate values of this sweep's running trials, by trial number."""
        from gx.tracking.replay import build_record, load_meta

        out: dict[int, dict[int, float]] = {}
        try:
            entries = list(self.runs_dir.iterdir())
        except OSError:
            return out
        for run_dir in entries:
            known = self._trial_of.get(run_dir.name, -1)
            if known is None:
                continue
            try:
                rec, ended, _ = build_record(run_dir, load_meta(run_dir))
            except Exception:  # a run directory being created or removed right now: look again later
                continue
            trial = _trial_number(rec, self.parent_id)
            self._trial_of[run_dir.name] = trial
            if trial is not None and ended is None:
                out[trial] = history(rec, self.metric)
        return out


def _trial_number(rec: RunRecord, parent_id: str) -> int | None:
    from gx.records import parent_run_id

    tag: Any = rec.tags.get(TRIAL_TAG, "")
    if parent_run_id(rec.tags) != parent_id or not isinstance(tag, str) or not tag.isdigit():
        return None
    return int(tag)
