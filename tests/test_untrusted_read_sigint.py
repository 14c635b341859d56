"""Issue 8, "tests that let this through": Ctrl-C (SIGINT) during ``gx run`` when the parent ignores SIGINT.

tests/test_cli_run.py's SIGINT test hangs when pytest itself was started with SIGINT ignored
(``nohup pytest``, ``pytest &`` from a script, some CI runners): the ignored disposition is inherited
by ``gx run`` and by the script it starts, gx forwards SIGINT to a script that ignores it, and both
wait for the script's 60 s sleep. Every child here is bounded and killed with its process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress

SLOW = """
import time, gx
gx.log_metric('progress', 1.0)
print('ready', flush=True)
time.sleep(60)
"""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def parent_ignoring_sigint():
    """Run the block as a test process started with SIGINT ignored (children inherit it)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupt_gx_run(repo, preexec) -> tuple[int, str]:
    """Start ``gx run slow.py``, wait until the script logged, send SIGINT to gx; (exit code, stderr)."""
    repo.write("slow.py", SLOW)
    proc = subprocess.Popen([sys.executable, "-m", "gx", "run", "slow.py"], cwd=repo.path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=preexec, start_new_session=True)
    try:
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.7)  # let the journal flush
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError("gx run (and its script) still running 5 s after SIGINT: the script never got "
                                 "the interrupt") from None
        return proc.returncode, err.decode()
    finally:  # gx and the script share a process group of their own: leave nothing running
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def recorded_status(repo) -> str:
    run_yaml = repo.git("show", "refs/experiments/default:run.yaml")
    return next(line.split(":", 1)[1].strip() for line in run_yaml.splitlines() if line.startswith("status:"))


def test_sigint_reaches_the_script_when_the_test_restores_the_default_handler(repo):
    """Finding: the SIGINT test hangs when pytest starts with SIGINT ignored. Run with the default
    handler restored in the child, it must pass however pytest was started: exit 130, run KILLED."""
    with parent_ignoring_sigint():
        code, err = interrupt_gx_run(repo, _default_sigint)
    assert code == 130, err
    assert recorded_status(repo) == "KILLED"
    assert "progress" in repo.git("show", "refs/experiments/default:metrics.yaml")


def test_sigint_to_gx_run_started_with_sigint_ignored_still_stops_the_script(repo):
    """Finding: gx run takes over SIGINT even when it inherited it ignored, then forwards it to a script
    that inherited the ignored disposition too, and waits forever. gx must make the script's SIGINT
    the default one, so the interrupt it forwards stops the run: exit 130, recorded as KILLED."""
    code, err = interrupt_gx_run(repo, _ignore_sigint)
    assert code == 130, err
    assert recorded_status(repo) == "KILLED"
