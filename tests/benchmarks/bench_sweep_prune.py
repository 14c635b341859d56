"""Sweep pruning and resuming benchmark (issue 12): the CPU of one poll of Optuna pruning for a running
trial (report its new step, ask ``trial.should_prune()``), in memory and with a journal storage, and of
``--resume`` working out the sweep's summary over its children (unchanged, then changed: one commit).

Run by hand:  python tests/benchmarks/bench_sweep_prune.py [--trials 20] [--steps 50]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_core import make_repo


def poll_cost(storage: Any, trials: int, steps: int) -> float:
    """Seconds of CPU a poll of one running trial costs, with ``trials`` finished trials in the study."""
    import optuna

    from gx.sweep.pruners import OptunaStopper, make_pruner

    space = {"x": optuna.distributions.FloatDistribution(0, 1)}
    study = optuna.create_study(storage=storage, pruner=make_pruner("median"),
                                study_name="bench" if storage is not None else None)
    for i in range(trials):
        trial = study.ask(space)
        for step in range(steps):
            trial.report(1.0 / (step + 1) + i * 0.01, step)
        study.tell(trial, 0.02)
    running = study.ask(space)

    class Asked:
        def asked(self, n: int) -> Any:
            return running

    stopper, values = OptunaStopper(Asked()), {}
    start = time.process_time()
    for step in range(steps):
        values[step] = 0.5 / (step + 1)  # never pruned: every step is judged
        stopper.should_stop(0, dict(values))
    return (time.process_time() - start) / steps


def refresh_cost(trials: int) -> None:
    import gx
    from gx.query.runspec import get_spec_record
    from gx.sweep.parent import refresh
    from gx.sweep.spec import SweepSpec

    root = make_repo()
    (root / "train.py").write_text("import gx\ngx.log_metric('loss', gx.params()['x'])\n")
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "s"], cwd=root, check=True)
    subprocess.run([sys.executable, "-m", "gx", "sweep", "train.py", "-p", "x=uniform(0,1)", "--trials", str(trials),
                    "-j", "2", "--metric", "loss"], cwd=root, check=True, capture_output=True)
    os.chdir(root)
    parent = next(r for r in gx.list_runs() if r.tags.get("gx.sweep") == "1")
    spec = SweepSpec.from_tags(get_spec_record(parent.run_id).tags, parent.experiment)
    for label, pruned in (("unchanged, writes nothing", set()), ("changed, one commit", {trials + 1})):
        start = time.process_time()
        wrote = refresh(parent.run_id, spec, pruned, True)
        print(f"--resume's summary of {trials} children, {label}: {(time.process_time() - start) * 1000:.1f} ms CPU"
              f" (wrote: {wrote is not None})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    import optuna
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    journal = optuna.storages.JournalStorage(JournalFileBackend(str(Path(tempfile.mkdtemp()) / "study.log")))
    for label, storage in (("in memory (tpe)", None), ("journal storage", journal)):
        cost = poll_cost(storage, args.trials, args.steps)
        print(f"Optuna pruning, one poll of a running trial, {label}, {args.trials} finished trials of "
              f"{args.steps} steps: {cost * 1000:.2f} ms CPU")
    refresh_cost(args.trials)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
