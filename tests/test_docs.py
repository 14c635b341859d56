"""Docs stay true: the CLI reference matches --help; the README's commands are the CI's."""

from __future__ import annotations

from pathlib import Path

from update_cli_docs import DOC, render

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/cli.md is stale: run python tests/update_cli_docs.py"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install -e '.[test]' && pytest"
    assert command in readme and command in ci
    assert "pip install -e . && gx demo" in readme
