"""Hooks with nothing to do answer from the shim, before any Python starts (issue 9: every commit
pays for them). A stand-in interpreter records whether the shim called it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gx.hooks.manage import install


def stand_in_python(tmp_path: Path) -> Path:
    calls = tmp_path / "calls.txt"
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(0o755)
    return script


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls.txt"
    return path.read_text().splitlines() if path.exists() else []


def test_commits_without_autolog_start_no_python(repo, tmp_path):
    install(python=str(stand_in_python(tmp_path)))
    repo.write("notes.txt", "a\n")
    repo.git("add", "notes.txt")
    repo.git("commit", "-q", "-m", "no gx.yaml")
    repo.write("gx.yaml", "experiment: demo\n")  # a gx.yaml without an autolog section
    repo.git("add", "gx.yaml")
    repo.git("commit", "-q", "-m", "gx.yaml, no autolog")
    assert calls(tmp_path) == []
    repo.write("gx.yaml", "experiment: demo\nautolog:\n  metrics: [metrics.json]\n")
    repo.write("metrics.json", '{"rmse": 1.0}')
    repo.git("add", "gx.yaml", "metrics.json")
    repo.git("commit", "-q", "-m", "autolog on")
    assert [c.split()[3] for c in calls(tmp_path)] == ["pre-commit", "post-commit"]


def test_push_without_experiments_starts_no_python(repo, tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    install(python=str(stand_in_python(tmp_path)))
    repo.git("push", "-q", "origin", "main")
    assert calls(tmp_path) == []
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    commit = repo.git("commit-tree", tree, "-m", "an experiment").strip()
    repo.git("update-ref", "refs/experiments/demo", commit)
    repo.git("push", "-q", "origin", "main")
    assert [c.split()[3] for c in calls(tmp_path)] == ["pre-push"]
