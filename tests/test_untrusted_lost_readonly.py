"""Issue 8, 'Nothing lost': a read-only ``.git`` must not raise PermissionError (or any OSError)
into the user's training code.

We run as root, so plain chmod stops nothing. Two real read-only conditions are used:
- ``no-dac``: ``.git`` is chmod a-w and the child runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH
  (``setpriv --bounding-set``): root is then held to the owner's permission bits, as a user is
  (the write fails with PermissionError, EACCES);
- ``ro-mount``: the repository is seen through a read-only bind mount (EROFS).

What is asserted, either of: ``gx.start_run()`` raises a ``gx.GxError`` whose message says the
repository cannot be written; or no exception reaches the user's code (start_run, log_metric,
log_param, end_run) and stderr carries a ``gx:`` warning.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from untrusted_lost_support import read_only_view

DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]

TRAINING = textwrap.dedent("""
    import sys, gx
    try:
        gx.start_run(run_name="ro")
    except gx.GxError as exc:
        print("GXERROR:", exc, flush=True)
        sys.exit(0)
    gx.log_param("alpha", 0.5)
    for i in range(5):
        gx.log_metric("loss", float(i), step=i)
    gx.end_run()
    print("ENDED", flush=True)
""")

CANNOT_WRITE = re.compile(r"read-only|permission|not writable|cannot write|can't write|denied", re.I)


def chmod_tree(root, writable: bool) -> None:
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        mode = p.stat().st_mode
        os.chmod(p, (mode | 0o200) if writable else (mode & ~0o222))


@contextlib.contextmanager
def read_only_git(repo, how: str):
    """Yields (cwd, command prefix) under which the repository's .git cannot be written."""
    if how == "ro-mount":
        with read_only_view(repo.path, repo.path.parent / "ro-view") as view:
            yield view, []
        return
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    git_dir = repo.path / ".git"
    chmod_tree(git_dir, writable=False)
    try:
        probe = subprocess.run([*DROP_DAC, "sh", "-c", f"touch {git_dir}/probe"], capture_output=True, timeout=20)
        if probe.returncode == 0:
            pytest.skip("dropping CAP_DAC_OVERRIDE does not make .git read-only here")
        yield repo.path, DROP_DAC
    finally:
        chmod_tree(git_dir, writable=True)


@pytest.mark.parametrize("how", ["no-dac", "ro-mount"])
def test_read_only_git_does_not_raise_oserror_into_training_code(repo, how):
    """Finding 'a read-only .git raises PermissionError into the user's training code'."""
    with read_only_git(repo, how) as (cwd, prefix):
        proc = subprocess.run([*prefix, sys.executable, "-c", TRAINING], cwd=cwd, capture_output=True, timeout=30)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0 and "Traceback" not in err, f"exit {proc.returncode}; stderr: {err}"
    if "GXERROR:" in out:
        assert CANNOT_WRITE.search(out), f"the GxError does not say the repository cannot be written: {out!r}"
    else:
        assert "ENDED" in out, out
        assert re.search(r"^gx: ", err, re.M), f"the run could not be written and nothing was said: {err!r}"


@pytest.mark.parametrize("how", ["no-dac", "ro-mount"])
def test_gx_run_in_read_only_git_is_one_clear_error(repo, how):
    """Finding 'disk-full and read-only conditions give one clear error': `gx run` in a repository
    whose .git cannot be written exits 1 with one `gx: error:` line, not exit 3 (internal error)."""
    repo.write("train.py", "print('training')\n")
    with read_only_git(repo, how) as (cwd, prefix):
        proc = subprocess.run([*prefix, sys.executable, "-m", "gx", "run", "train.py"], cwd=cwd,
                              capture_output=True, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 1, f"exit {proc.returncode}: {err!r}"
    assert err.startswith("gx: error: ") and err.count("\n") == 1 and "internal error" not in err, err
    assert CANNOT_WRITE.search(err), err
