"""Many processes appending to one experiment at once: every run lands, exactly once."""

from __future__ import annotations

import subprocess
import sys

import gx.query.runs

WORKER = """
import sys, gx
gx.set_experiment('shared')
worker = int(sys.argv[1])
for i in range(int(sys.argv[2])):
    with gx.start_run(run_name=f'w{worker}-{i}'):
        gx.log_param('worker', worker)
        gx.log_param('i', i)
        gx.log_metric('score', worker * 1000 + i)
"""


def test_eight_processes_25_runs_each(repo):
    workers, per_worker = 8, 25
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(w), str(per_worker)], cwd=repo.path,
                              stderr=subprocess.PIPE) for w in range(workers)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    # counted from the refs before any gx command runs: recovery must not be what makes the count right
    assert not any((repo.path / ".git" / "gx" / "runs").iterdir())
    first_parent = repo.git("rev-list", "--first-parent", "refs/experiments/shared").split()
    assert len(first_parent) == workers * per_worker + 1  # + the experiment's root commit
    run_trailers = [line[len("Gx-Run: "):] for line in repo.git("log", "--format=%B", "refs/experiments/shared").splitlines()
                    if line.startswith("Gx-Run: ")]
    assert len(run_trailers) == len(set(run_trailers)) == workers * per_worker
    runs = gx.query.runs.list_runs(["shared"])
    names = sorted(r.name for r in runs)
    assert names == sorted(f"w{w}-{i}" for w in range(workers) for i in range(per_worker))
    repo.fsck()
