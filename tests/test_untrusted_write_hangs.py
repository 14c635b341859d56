"""Issue 8, hangs: a YAML bomb in a committed gx.yaml or a params file, a FIFO or /dev/zero where a
staged file is, or a huge params file must each end quickly with one clear message, never hang a
teammate's `git commit` or `gx run`. Every child runs in its own process group with memory and
output limits and is killed at the timeout (see untrusted_write_helpers.bounded)."""

from __future__ import annotations

import json
import os

import pytest

from untrusted_write_helpers import (
    assert_one_clear_error,
    billion_laughs,
    bounded,
    bounded_gx,
    experiment_refs,
    install_hooks,
    run_commits,
)

TIMEOUT = 20


@pytest.fixture
def hooked(repo):
    """A repository whose gx.yaml declares a metrics file, with gx's hooks installed by the CLI."""
    repo.write("gx.yaml", "autolog:\n  metrics: [metrics.json]\n")
    repo.write("metrics.json", '{"rmse": 0.5}\n')
    install_hooks(repo)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "v1")
    assert len(run_commits(repo, "refs/experiments/commits")) == 1
    return repo


def head_subject(repo) -> str:
    return repo.git("log", "-1", "--format=%s").strip()


# -- YAML bombs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["params", "experiment"])
def test_a_billion_laughs_gx_yaml_does_not_hang_git_commit(repo, where):
    """Finding: a billion-laughs gx.yaml (autolog section) hangs every teammate's `git commit` in the
    pre-commit check (today: killed at the timeout). It must stop the commit with one line naming gx.yaml."""
    install_hooks(repo)
    repo.write("metrics.json", '{"rmse": 0.5}\n')
    repo.write("gx.yaml", billion_laughs() + f"autolog:\n  metrics: [metrics.json]\n  {where}: *l9\n")
    repo.git("add", "-A")
    result = bounded(["git", "commit", "-q", "-m", "bomb"], cwd=repo.path, timeout=TIMEOUT)
    assert not result.timed_out, f"git commit did not finish: {result.describe()}"
    assert_one_clear_error(result, "gx.yaml")
    assert head_subject(repo) == "initial"


def test_a_billion_laughs_params_file_does_not_hang_gx_run(repo):
    """Finding: the same bomb in `gx run --params-file` hangs before the command starts."""
    repo.write("params.yaml", billion_laughs() + "bomb: *l9\n")
    result = bounded_gx("run", "-e", "bomb", "--params-file", "params.yaml", "--", "true", cwd=repo.path,
                        timeout=TIMEOUT)
    assert not result.timed_out, f"gx run did not finish: {result.describe()}"
    assert_one_clear_error(result, "params.yaml")
    assert experiment_refs(repo) == []


def test_a_billion_laughs_declared_params_file_does_not_hang_the_commit_hooks(hooked):
    """Finding: the bomb in a params file gx.yaml declares hangs the commit hooks (today the
    pre-commit check dies of MemoryError and is 'skipped', then post-commit hangs)."""
    hooked.write("gx.yaml", "autolog:\n  metrics: [metrics.json]\n  params: [params.yaml]\n")
    hooked.write("params.yaml", billion_laughs() + "bomb: *l9\n")
    hooked.git("add", "-A")
    result = bounded(["git", "commit", "-q", "-m", "bomb"], cwd=hooked.path, timeout=TIMEOUT)
    assert not result.timed_out, f"git commit did not finish: {result.describe()}"
    assert_one_clear_error(result, "params.yaml")
    assert head_subject(hooked) == "v1"
    assert len(run_commits(hooked, "refs/experiments/commits")) == 1


# -- special files where a staged file is ------------------------------------------------------------

def stage_then_replace(repo, replace) -> None:
    """Stage a valid metrics.json, then put something else at its path in the working tree (git
    keeps the staged blob: it does not index FIFOs, and nothing is re-added)."""
    repo.write("metrics.json", '{"rmse": 0.4}\n')
    repo.git("add", "metrics.json")
    os.remove(repo.path / "metrics.json")
    replace(repo.path / "metrics.json")


def assert_refused_or_committed_from_the_index(repo, result) -> None:
    """What is checked is what is committed: either the staged blob is read (the commit goes on and
    is recorded with rmse=0.4) or the commit stops with one line naming metrics.json."""
    assert not result.timed_out, f"git commit did not finish: {result.describe()}"
    if result.returncode == 0:
        assert "skipped" not in result.stderr and "MemoryError" not in result.stderr, result.describe()
        assert head_subject(repo) == "v2"
        assert len(run_commits(repo, "refs/experiments/commits")) == 2
        assert "value: 0.4" in repo.git("show", "refs/experiments/commits:metrics.yaml")
    else:
        assert_one_clear_error(result, "metrics.json")
        assert head_subject(repo) == "v1"


def test_a_fifo_where_the_staged_metrics_file_was_does_not_hang_the_pre_commit_check(hooked):
    """Finding: a FIFO in the working tree at a staged declared file's path hangs `git commit`
    (the pre-commit check opens it to compare it with the staged blob; today: killed at the timeout)."""
    stage_then_replace(hooked, os.mkfifo)
    result = bounded(["git", "commit", "-q", "-m", "v2"], cwd=hooked.path, timeout=TIMEOUT)
    assert_refused_or_committed_from_the_index(hooked, result)


def test_a_symlink_to_dev_zero_where_the_staged_metrics_file_was_does_not_exhaust_memory(hooked):
    """Finding: a symlink to /dev/zero at a staged declared file's path makes the pre-commit check
    read forever (today, under the test's 2 GiB address-space limit: MemoryError, the check is
    'skipped' and the commit goes on unchecked; without a limit it eats the machine's memory)."""
    stage_then_replace(hooked, lambda path: os.symlink("/dev/zero", path))
    result = bounded(["git", "commit", "-q", "-m", "v2"], cwd=hooked.path, timeout=TIMEOUT)
    assert_refused_or_committed_from_the_index(hooked, result)


# -- huge params files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["params.json", "params.yaml"])
def test_a_20_mb_single_line_params_file_is_refused_quickly_with_a_size_message(repo, name):
    """Finding: a 20 MB one-line params file is parsed whole (today `gx run` then dies with exit 3,
    OSError 'Argument list too long' from the environment it builds). It must be refused before
    parsing, quickly, with a message about its size."""
    blob = "x" * (20 * 1024 * 1024)
    repo.write(name, json.dumps({"p": blob}) if name.endswith(".json") else f"p: {blob}\n")
    result = bounded_gx("run", "-e", "big", "--params-file", name, "--", "true", cwd=repo.path, timeout=TIMEOUT)
    assert_one_clear_error(result, name)
    assert any(word in result.stderr for word in ("MB", "MiB", "too large", "bytes")), result.describe()
    assert result.seconds < 5, result.describe()
    assert experiment_refs(repo) == []
