"""The hook shims' check before Python: a gx.yaml that names autolog only in comments has nothing to do."""

from __future__ import annotations

from gx.hooks.manage import install
from test_hooks_fast_path import calls, stand_in_python


def test_autolog_only_in_comments_starts_no_python(repo, tmp_path):
    install(python=str(stand_in_python(tmp_path)))
    repo.write("gx.yaml", "experiment: demo\n# autolog: later\n   # autolog:\n")
    repo.git("add", "gx.yaml")
    repo.git("commit", "-q", "-m", "autolog commented out")
    assert calls(tmp_path) == []
    repo.write("gx.yaml", "experiment: demo  # below\nautolog:  # on\n  metrics: [metrics.json]\n")
    repo.write("metrics.json", '{"rmse": 1.0}')
    repo.git("add", "gx.yaml", "metrics.json")
    repo.git("commit", "-q", "-m", "autolog on")
    assert [c.split()[3] for c in calls(tmp_path)] == ["pre-commit", "post-commit"]
