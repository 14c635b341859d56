"""Finding a finished trial's recorded run: only the commits added to the experiment since the last look
are read (each once), instead of a search over the whole experiment for every trial.

A search opened the store and the index and listed every run of the experiment: ~0.1 s of the
scheduler's CPU per trial, taken from the trials themselves when ``-j`` fills every core, and growing
with the experiment.
"""

from __future__ import annotations

from typing import Any

from gx.errors import BadRecord
from gx.records import RunRecord, RunSummary

TRIAL_TAG = "gx.sweep.trial"


def history(rec: RunRecord, metric: str) -> dict[int, float]:
    """``metric``'s value per step in a run (the last one logged at a step wins)."""
    return {point.step: float(point.value) for point in rec.metrics.get(metric, ())
            if isinstance(point.step, int) and isinstance(point.value, (int, float)) and point.value == point.value}


class TrialRuns:
    """The sweep's trials as they get recorded: ``begin()`` before the first trial starts (the commits
    already there are never read), ``close()`` when the sweep ends."""

    def __init__(self, experiment: str, parent_id: str) -> None:
        self.experiment, self.parent_id = experiment, parent_id
        self._store: Any = None
        self._seen: set[bytes] = set()
        self._trials: dict[int, RunSummary] = {}

    def begin(self) -> None:
        from gx.query.runs import open_store
        from gx.store.history import experiment_tips

        self._store = open_store()
        self._seen = set(experiment_tips(self._store, self.experiment))

    def find(self, n: int) -> RunSummary | None:
        """The newest run recorded for trial ``n`` of this sweep since this object was made."""
        self._read_new()
        return self._trials.get(n)

    def _read_new(self) -> None:
        from gx.query.runs import RunRef, load_summary
        from gx.store import objects as gobj
        from gx.store.history import experiment_tips, walk

        tips = experiment_tips(self._store, self.experiment)
        for entry in walk(self._store, tips, stop=self._seen):
            self._seen.add(entry.sha)
            if entry.kind != gobj.KIND_RUN or not entry.run_id:
                continue
            try:
                run = load_summary(self._store, RunRef(self.experiment, entry.run_id, entry.sha, False))
            except BadRecord:
                continue  # counted as a failed trial; gx ls warns about the run itself
            trial = run.tags.get(TRIAL_TAG, "")
            if run.parent_run_id != self.parent_id or not trial.isdigit():
                continue
            known = self._trials.get(int(trial))
            if known is None or (run.start_time or 0.0) >= (known.start_time or 0.0):
                self._trials[int(trial)] = run

    def history(self, run: RunSummary, metric: str) -> dict[int, float]:
        """``metric`` per step in a recorded trial (for the median rule of ``--prune``)."""
        from gx.query.runs import RunRef, load_record

        if not metric or run.commit is None:
            return {}
        try:
            rec = load_record(self._store, RunRef(self.experiment, run.run_id, run.commit.encode(), False))
        except BadRecord:
            return {}
        return history(rec, metric)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
