"""gx's hooks under the real pre-commit framework, configured from the shipped .pre-commit-hooks.yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import gx.query.runs

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("pre_commit", reason="the pre-commit framework comes with the test extra")


def local_config() -> str:
    """gx's manifest as a ``repo: local`` config (works offline): same ids and stages, this Python."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        hook["entry"] = hook["entry"].replace("gx hooks run", f"{sys.executable} -m gx.hooks run")
        hook["language"] = "system"
        hook.pop("minimum_pre_commit_version", None)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


def pre_commit(repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo.path, capture_output=True, text=True,
                          timeout=120)


def test_manifest_is_valid_for_pre_commit():
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert {k: v["stages"] for k, v in hooks.items()} == {
        "gx-check": ["pre-commit"], "gx-autolog": ["post-commit"], "gx-push": ["pre-push"]}
    assert all(h["always_run"] and not h["pass_filenames"] for h in hooks.values())


def test_pre_commit_framework_runs_gx_hooks_on_a_commit(repo):
    repo.write(".pre-commit-config.yaml", local_config())
    repo.write("gx.yaml", "autolog:\n  metrics: [metrics.yaml]\n")
    repo.write("metrics.yaml", "loss: 0.25\n")
    repo.git("add", "-A")
    proc = pre_commit(repo, "install", "--hook-type", "pre-commit", "--hook-type", "post-commit")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(["git", "commit", "-q", "-m", "via pre-commit"], cwd=repo.path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sha = repo.git("rev-parse", "HEAD").strip()
    (run,) = gx.query.runs.list_runs(["commits"])
    assert run.source_commit == sha and run.metrics == {"loss": 0.25} and run.tags["gx.source"] == "post-commit"
    repo.write("metrics.yaml", "loss: lots\n")
    repo.git("add", "metrics.yaml")
    proc = subprocess.run(["git", "commit", "-q", "-m", "bad"], cwd=repo.path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    assert "metrics file 'metrics.yaml': metric 'loss' is not a number ('lots')" in proc.stdout + proc.stderr
    assert repo.git("rev-parse", "HEAD").strip() == sha
