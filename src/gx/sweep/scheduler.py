"""Run a sweep: the sweep is a run, each trial a ``gx run`` child process recorded as a child run
(``mlflow.parentRunId``, ``gx.sweep.trial``), ``jobs`` at a time, each in its own scratch copy.

Nothing is lost: every trial records itself (a failing one FAILED, an interrupted one KILLED) before
the scheduler counts it; Ctrl-C stops launching, interrupts running trials and waits for them to be
recorded; if the scheduler itself is killed, running trials still finish and record. ``resume`` reads
the sweep's recorded children and runs only the trial numbers without a FINISHED child.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable

from gx.records import FINISHED, KILLED, PARENT_TAG, RunSummary
from gx.sweep.lookup import TRIAL_TAG, TrialRuns
from gx.sweep.plan import Planner, better, grid_size
from gx.sweep.prune import MedianStopper, TrialJournals
from gx.sweep.pruners import OptunaStopper
from gx.sweep.scratch import ScratchCopies
from gx.sweep.space import describe, parse_space
from gx.sweep.spec import Progress, SweepSpec


class Sweep:
    def __init__(self, spec: SweepSpec, parent_id: str, done: dict[int, RunSummary] | None = None,
                 echo: Callable[[str, bool], None] | None = None) -> None:
        from gx.paths import find_repo

        self.spec, self.parent_id = spec, parent_id
        self.space = parse_space(spec.space)
        if spec.trials is None:
            spec.trials = grid_size(self.space) if spec.method == "grid" else 10
        pruning = spec.prune and spec.metric is not None
        self.planner = Planner(self.space, spec.method, spec.seed, spec.goal, spec.storage, spec.study,
                               spec.pruner if pruning else None)
        self.paths = find_repo()
        self.done = done or {}
        self.progress = Progress(spec.trials, done=len(self.done))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.echo = echo or (lambda text, final: None)
        self.better = better(spec.goal)
        self.recorded = TrialRuns(spec.experiment, parent_id)
        self.pruned: set[int] = set()
        self.journals = TrialJournals(spec.metric or "", self.paths.runs_dir, parent_id) if pruning else None
        self.stopper: MedianStopper | OptunaStopper | None = None
        if pruning:
            self.stopper = OptunaStopper(self.planner) if self.planner.uses_optuna else MedianStopper(spec.goal)
        self.recorded.begin()
        for n, run in self.done.items():
            value = run.metrics.get(spec.metric) if spec.metric else None
            curve = self.recorded.history(run, spec.metric or "") if pruning else {}
            if isinstance(self.stopper, MedianStopper):
                self.stopper.add_finished(n, curve)
            if not self.planner.shared:  # a shared study has them already
                self.planner.tell(n, dict(run.params), value, intermediate=curve)
            self._note_best(value, run.name or f"trial-{n}")

    def _note_best(self, value: Any, name: str) -> None:
        if isinstance(value, (int, float)) and value == value and (
                self.progress.best is None or self.better(value, self.progress.best[0])):
            self.progress.best = (float(value), name)

    def command(self, n: int, params: dict[str, Any]) -> list[str]:
        cmd = [sys.executable, "-m", "gx", "run", "-q", "-e", self.spec.experiment, "-n", f"trial-{n}"]
        for key, value in params.items():
            cmd += ["-p", f"{key}={_yaml_float(value) if isinstance(value, float) else value}"]
        cmd += ["-t", f"{PARENT_TAG}={self.parent_id}", "-t", f"{TRIAL_TAG}={n}", "--", *self.spec.command]
        return cmd

    def _trial(self, copies: ScratchCopies, n: int, params: dict[str, Any]) -> tuple[int, float]:
        started = time.monotonic()
        cwd = copies.make(n)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GX_RUN")}
        env.update(GIT_DIR=str(self.paths.git_dir), GIT_WORK_TREE=str(self.paths.worktree))
        try:
            with self.lock:
                if self.stopping:
                    return -signal.SIGINT, 0.0
                proc = subprocess.Popen(self.command(n, params), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
                self.procs[n] = proc
            code = proc.wait()
        finally:
            with self.lock:
                self.procs.pop(n, None)
            copies.remove(n)
        return code, time.monotonic() - started

    def _recorded(self, n: int) -> RunSummary | None:
        return self.recorded.find(n)

    def run(self, numbers: list[int]) -> bool:
        """Run trial ``numbers``; False when interrupted (the trials that ran are recorded either way)."""
        copies = ScratchCopies(self.paths)
        queue = iter(numbers)
        running: dict[Future[tuple[int, float]], tuple[int, dict[str, Any]]] = {}
        pool = ThreadPoolExecutor(max_workers=self.spec.jobs)
        interrupted = False
        try:
            while True:
                while not self.stopping and len(running) < self.spec.jobs:
                    slot = next(queue, None)
                    if slot is None:
                        break
                    n, params = self.planner.take(slot)
                    running[pool.submit(self._trial, copies, n, params)] = (n, params)
                self.progress.running = len(running)
                self.echo(self.progress.line(self.spec.metric, self.spec.jobs), False)
                if not running:
                    break
                try:
                    finished, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    interrupted = True
                    self._stop_all()
                    continue
                for future in finished:
                    n, params = running.pop(future)
                    self._count(n, params, *future.result())
                if self.stopper is not None and not self.stopping:
                    self._prune()
        except KeyboardInterrupt:  # a second Ctrl-C while stopping: still wait for the trials to record
            interrupted = True
            self._stop_all()
            wait(running)
        finally:
            pool.shutdown(wait=True)
            copies.close()
            self.recorded.close()
        self.progress.running = 0
        self.echo(self.progress.line(self.spec.metric, self.spec.jobs), True)
        return not interrupted

    def _stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            for proc in self.procs.values():
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)

    def _prune(self) -> None:
        """Stop the running trials the pruner says will not win (SIGINT, as Ctrl-C does)."""
        assert self.stopper is not None and self.journals is not None
        for n, values in self.journals.running().items():
            if n not in self.pruned and self.stopper.should_stop(n, values):
                with self.lock:
                    proc = self.procs.get(n)
                    if proc is not None:
                        self.pruned.add(n)
                        with contextlib.suppress(ProcessLookupError):
                            proc.send_signal(signal.SIGINT)

    def _count(self, n: int, params: dict[str, Any], code: int, seconds: float) -> None:
        run = self._recorded(n)
        ok = run is not None and run.status == FINISHED and code == 0
        value = run.metrics.get(self.spec.metric) if ok and run is not None and self.spec.metric else None
        if self.stopper is not None and run is not None:
            self.stopper.add_finished(n, self.recorded.history(run, self.spec.metric or "") if (
                ok or isinstance(self.stopper, OptunaStopper)) else {})
        if n in self.pruned and not ok:
            self.progress.pruned += 1
            self.planner.tell(n, params, None, pruned=True)
            return
        self.pruned.discard(n)  # it finished before the signal arrived
        self.planner.tell(n, params, value if ok else None)
        if ok:
            self.progress.done += 1
            self.progress.durations.append(seconds)
            self._note_best(value, f"trial-{n}")
        elif run is None or run.status != KILLED or not self.stopping:
            self.progress.failed += 1
            if self.spec.fail_fast:
                self._stop_all()


def _yaml_float(value: float) -> str:
    """A float as YAML reads a float back (``1e-05`` is a string to YAML 1.1; ``1.0e-05`` is not)."""
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


def recorded_trials(parent_id: str, experiment: str) -> dict[int, RunSummary]:
    """The sweep's FINISHED trials by number (a trial run twice counts once)."""
    from gx.query.nesting import children_filter
    from gx.query.search import search

    out: dict[int, RunSummary] = {}
    for run in search([experiment], children_filter(parent_id, f"attributes.status = '{FINISHED}'")):
        tag = run.tags.get(TRIAL_TAG, "")
        if tag.isdigit():
            out.setdefault(int(tag), run)
    return out


def parent_summary_metrics(sweep: Sweep) -> dict[str, float]:
    metrics = {"trials_finished": float(sweep.progress.done), "trials_failed": float(sweep.progress.failed)}
    if sweep.stopper is not None:
        metrics["trials_pruned"] = float(sweep.progress.pruned)
    if sweep.progress.best is not None and sweep.spec.metric:
        metrics[f"best_{sweep.spec.metric}"] = sweep.progress.best[0]
    return metrics


__all__ = ["Sweep", "SweepSpec", "describe", "parent_summary_metrics", "recorded_trials"]
