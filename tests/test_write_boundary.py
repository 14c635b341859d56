"""The write boundary's rules beyond the findings (tests/test_untrusted_write_*): what is accepted
and converted, the per-run limits, names, and params passed to a `gx run` child."""

from __future__ import annotations

import json
import subprocess

import pytest

import gx
from conftest import gx_subprocess
from gx import limits
from gx.errors import BadName, BadValue
from gx.store.refs import validate_experiment
from untrusted_write_helpers import experiment_refs, install_hooks


def test_whole_float_steps_and_millisecond_timestamps_are_accepted(repo):
    with gx.start_run(run_name="r") as run:
        gx.log_metric("loss", 0.5, step=2.0, timestamp=1_700_000_000_000)
        gx.log_metric("loss", 0.4, step=3, timestamp=1_700_000_001.5)
    history = gx.get_run(run.info.run_id)
    assert history.data.metrics["loss"] == 0.4
    tsv = repo.git("show", "refs/experiments/default:metrics/loss.tsv")
    assert tsv.splitlines()[1:] == ["2\t1700000000000\t0.5", "3\t1700000001500\t0.4"]


@pytest.mark.parametrize("name, rule", [
    (5, "use a string"), ("two\nlines", "control characters"), ("x" * (limits.MAX_RUN_NAME_LENGTH + 1), "characters"),
])
def test_a_bad_run_name_is_refused_before_anything_is_written(repo, name, rule):
    with pytest.raises(BadName, match=rule), gx.start_run(run_name=name):
        pass
    assert not (repo.path / ".git" / "gx" / "runs").exists() or not any((repo.path / ".git" / "gx" / "runs").iterdir())


def test_a_string_value_with_nul_or_over_the_length_limit_is_refused_naming_the_key(repo):
    with gx.start_run(run_name="r") as run:
        with pytest.raises(BadValue, match="'note'.*NUL"):
            gx.set_tag("note", "a\x00b")
        with pytest.raises(BadValue, match="'blob'.*the limit"):
            gx.log_param("blob", "x" * (limits.MAX_VALUE_LENGTH + 1))
        gx.log_param("fine", "a\tb\nc")  # other control characters are text, kept as they are
    assert gx.get_run(run.info.run_id).data.params == {"fine": "a\tb\nc"}
    repo.fsck()


def test_keys_past_the_per_run_limit_are_refused_and_the_run_is_recorded(repo, monkeypatch):
    monkeypatch.setattr(limits, "MAX_KEYS_PER_RUN", 3)
    with gx.start_run(run_name="r"):
        gx.log_params({"a": 1, "b": 2, "c": 3})
        gx.log_param("a", 1)  # the same value again is not a new key
        with pytest.raises(BadValue, match="'d'.*at most 3 params"):
            gx.log_param("d", 4)
        for key in "xyz":
            gx.log_metric(key, 1.0)
        with pytest.raises(BadValue, match="at most 3 metrics"):
            gx.log_metric("w", 1.0)
    # read with git: gx's readers apply the lowered limit too
    assert repo.git("show", "refs/experiments/default:params.yaml") == "a: 1\nb: 2\nc: 3\n"
    assert "w.tsv" not in repo.git("ls-tree", "--name-only", "refs/experiments/default:metrics")


def test_files_past_the_per_run_limit_are_refused_and_the_run_is_recorded(repo, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILES_PER_RUN", 11)  # run.yaml, params.yaml, ... take 8
    with gx.start_run(run_name="r") as run:
        gx.log_metric("loss", 1.0)
        gx.log_text("a", "a.txt")
        gx.log_text("b", "a.txt")  # the same path again is not a new file
        gx.log_text("c", "c.txt")
        with pytest.raises(BadValue, match="'d.txt'.*at most 11 files"):
            gx.log_text("d", "d.txt")
        with pytest.raises(BadValue, match="'acc'.*at most 11 files"):
            gx.log_metric("acc", 1.0)
    files = repo.git("ls-tree", "-r", "--name-only", "refs/experiments/default").split()
    assert sorted(f for f in files if f.startswith(("artifacts/", "metrics/"))) == [
        "artifacts/a.txt", "artifacts/c.txt", "metrics/loss.tsv"]
    assert run.info.run_id in repo.git("log", "-1", "--format=%B", "refs/experiments/default")


def test_experiment_names_are_at_most_100_characters():
    assert validate_experiment("x" * limits.MAX_EXPERIMENT_NAME_LENGTH)
    with pytest.raises(BadName, match="at most 100 characters"):
        validate_experiment("x" * (limits.MAX_EXPERIMENT_NAME_LENGTH + 1))


def test_gx_run_passes_params_too_big_for_the_environment_to_its_child(repo):
    """The child reads gx.params() from the run's meta.json: 600 KB of params is past what one
    environment variable may hold (128 KiB on Linux), which used to fail with exit 3."""
    repo.write("params.json", json.dumps({f"p{i}": "w" * 200 for i in range(3000)} | {"lr": 0.1}))
    repo.write("train.py", "import gx\np = gx.params()\nprint(len(p), len(p['p2999']), p['lr'])\n")
    proc = gx_subprocess("run", "-e", "big", "--params-file", "params.json", "train.py", cwd=repo.path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[:600]
    assert b"3001 200 0.1" in proc.stdout


def test_gx_run_skips_a_metric_too_large_for_a_float_with_a_warning(repo):
    repo.write("m.json", '{"huge": 1' + "0" * 400 + ', "rmse": 0.5}')
    proc = gx_subprocess("run", "-e", "mf", "--metrics-file", "m.json", "--", "true", cwd=repo.path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[:600]
    assert "'huge'" in proc.stderr.decode() and "skipped" in proc.stderr.decode()
    listing = json.loads(gx_subprocess("ls", "mf", "--json", cwd=repo.path, timeout=60).stdout)
    assert listing[0]["metrics"] == {"rmse": 0.5}


def commit(repo, message: str) -> subprocess.CompletedProcess:
    repo.git("add", "-A")
    return subprocess.run(["git", "commit", "-qm", message], cwd=repo.path, capture_output=True, text=True, timeout=60)


def test_the_pre_commit_check_refuses_a_staged_params_file_over_the_size_limit(repo):
    repo.write("gx.yaml", "autolog:\n  params: [params.yaml]\n")
    repo.write("params.yaml", "a: " + "x" * limits.MAX_DOCUMENT_BYTES + "\n")
    install_hooks(repo)
    proc = commit(repo, "big params")
    assert proc.returncode == 1 and "gx: error: " in proc.stderr, proc.stderr[:600]
    assert "params.yaml" in proc.stderr and "the limit is" in proc.stderr and "skipped" not in proc.stderr


def test_the_pre_commit_check_refuses_a_declared_artifact_git_would_read_as_dotgit_on_a_mac(repo):
    """git on Linux stages '.g\\u200cit' (core.protectHFS is off there); the run tree must not hold it."""
    repo.write("gx.yaml", "autolog:\n  artifacts: [out]\n")
    repo.write("out/ok.txt", "fine\n")
    repo.write("out/.g\u200cit/HEAD", "payload\n")
    install_hooks(repo)
    proc = commit(repo, "lookalike")
    assert proc.returncode == 1 and "gx: error: " in proc.stderr and "artifact" in proc.stderr, proc.stderr[:600]
    assert repo.git("log", "-1", "--format=%s").strip() == "initial"
    proc = subprocess.run(["git", "commit", "-qm", "anyway", "--no-verify"], cwd=repo.path, capture_output=True,
                          text=True, timeout=60)  # post-commit then warns instead of writing a bad tree
    assert proc.returncode == 0 and "not logged" in proc.stderr, proc.stderr[:600]
    assert experiment_refs(repo) == []  # (git fsck flags the user's own commit; gx added nothing to that)


def test_the_pre_commit_check_refuses_a_staged_artifact_over_the_large_file_cap_by_its_size(repo):
    repo.write("gx.yaml", "lfs:\n  max_size: 10MB\nautolog:\n  artifacts: [model.bin]\n")
    with open(repo.path / "model.bin", "wb") as f:
        f.truncate(limits.MAX_ARTIFACT_BYTES + 1)
    install_hooks(repo)
    proc = commit(repo, "big artifact")
    assert proc.returncode == 1 and ("gx: error: artifact 'model.bin' is 10,485,761 bytes, over the 10,485,760-byte "
                                     "cap for large files") in proc.stderr, proc.stderr[:600]


def test_gx_run_refuses_a_params_file_that_is_a_fifo_without_waiting_on_it(repo):
    import os

    os.mkfifo(repo.path / "params.yaml")
    proc = gx_subprocess("run", "-e", "fifo", "--params-file", "params.yaml", "--", "true", cwd=repo.path, timeout=20)
    assert proc.returncode == 1 and proc.stderr.decode().startswith("gx: error: params file 'params.yaml'")
    assert "regular file" in proc.stderr.decode()


@pytest.mark.parametrize("problem, refused", [
    (MemoryError(), True), (RecursionError(), True), (BadValue("param 'k' holds a NUL character"), True),
    (RuntimeError("a bug in gx"), False),
])
def test_the_pre_commit_check_refuses_on_data_problems_and_lets_a_gx_bug_through(repo, monkeypatch, problem, refused):
    """What the check read is at fault (out of memory or recursion on a file, a bad value): the commit
    stops with one line. Only a bug in gx itself lets the commit through, with a warning."""
    from gx.hooks import commit_runs, entry

    repo.write("gx.yaml", "autolog:\n  params: [params.yaml]\n")

    def fails(paths, index=None):
        raise problem

    monkeypatch.setattr(commit_runs, "check_staged", fails)  # where the hook's reading would fail
    if refused:
        with pytest.raises(commit_runs.AutologError, match="pre-commit check: fix it"):
            entry.run_hook("pre-commit")
    else:
        assert entry.run_hook("pre-commit") == ["gx: warning: gx's pre-commit check was skipped (RuntimeError: a bug in gx)"]
