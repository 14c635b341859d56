"""The sweep's own run after ``--resume``: its summary (``best_<metric>``, the trial counts, the pruned
trials in ``gx.sweep.pruned``, its status) worked out again over every child of the sweep and, when it
changed, recorded again as a newer commit of the same run. Readers take a run's newest commit
(docs/format.md), so ``gx show``, ``gx ls``, ``gx best --parent`` and the ui see the same summary; the
first commit stays in history, and each metric keeps its earlier values as its history.
"""

from __future__ import annotations

import time

from gx.records import FAILED, FINISHED, KILLED, MetricPoint, RunSummary
from gx.sweep.lookup import TRIAL_TAG
from gx.sweep.plan import better
from gx.sweep.prune import PRUNED_TAG, pruned_tag, pruned_trials
from gx.sweep.spec import SweepSpec


def children_summary(children: list[RunSummary], spec: SweepSpec, pruned: set[int]) -> tuple[dict[str, float], set[int]]:
    """The sweep run's metrics over ``children``, and the pruned trials that never finished."""
    by_trial: dict[int, list[RunSummary]] = {}
    for run in children:
        tag = run.tags.get(TRIAL_TAG, "")
        if tag.isdigit() and len(tag) < 10:
            by_trial.setdefault(int(tag), []).append(run)
    finished = {n for n, runs in by_trial.items() if any(r.status == FINISHED for r in runs)}
    pruned = pruned - finished
    failed = {n for n, runs in by_trial.items()
              if n not in finished and n not in pruned and any(r.status == FAILED for r in runs)}
    metrics = {"trials_finished": float(len(finished)), "trials_failed": float(len(failed))}
    if spec.prune:
        metrics["trials_pruned"] = float(len(pruned))
    if spec.metric:
        wins = better(spec.goal)
        best: float | None = None
        for n in finished:
            for run in by_trial[n]:
                value = run.metrics.get(spec.metric)
                if run.status == FINISHED and isinstance(value, (int, float)) and value == value and (
                        best is None or wins(value, best)):
                    best = float(value)
        if best is not None:
            metrics[f"best_{spec.metric}"] = best
    return metrics, pruned


def refresh(parent_id: str, spec: SweepSpec, pruned_now: set[int], completed: bool) -> str | None:
    """Record the sweep's run again when its summary over every child changed; the new commit's id,
    or None when nothing changed (a resume that ran nothing writes nothing)."""
    from gx.query.nesting import children_filter
    from gx.query.runs import load_record, open_store, resolve_run
    from gx.query.search import search
    from gx.store.write import write_run

    with open_store() as store:
        rec = load_record(store, resolve_run(store, parent_id, [spec.experiment]))
        children = search([spec.experiment], children_filter(parent_id), store=store)
        metrics, pruned = children_summary(children, spec, pruned_trials(rec.tags) | pruned_now)
        tags = dict(rec.tags)
        if pruned:
            tags[PRUNED_TAG] = pruned_tag(pruned)
        else:
            tags.pop(PRUNED_TAG, None)
        status = FINISHED if completed else KILLED
        latest = rec.latest_metrics()
        if tags == rec.tags and status == rec.status and all(latest.get(k) == v for k, v in metrics.items()):
            return None
        now = time.time()
        for key, value in metrics.items():
            points = rec.metrics.setdefault(key, [])
            if not points or points[-1].value != value:
                points.append(MetricPoint(step=max((p.step for p in points), default=-1) + 1, timestamp=now, value=value))
        rec.tags, rec.status = tags, status
        rec.end_time = max(now, rec.start_time or now)
        return write_run(store, rec).decode()
