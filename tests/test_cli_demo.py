"""``gx demo``: the README's first command, end to end."""

from __future__ import annotations

import json

from conftest import Repo, gx_subprocess


def test_demo_records_four_runs_and_prints_the_comparison(tmp_path):
    where = tmp_path / "demo"
    proc = gx_subprocess("demo", "--dir", str(where), timeout=120)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "4 runs recorded" in out and "best: ridge-3" in out
    assert out.count("FINISHED") == 4
    repo = Repo(where)
    repo.fsck()
    assert repo.git("status", "--porcelain") == ""  # metrics.json is ignored; nothing else changed
    assert len(repo.git("rev-list", "--first-parent", "refs/experiments/demo").split()) == 5
    runs = json.loads(gx_subprocess("ls", "--json", cwd=where).stdout)
    assert sorted(r["params"]["alpha"] for r in runs) == [0.01, 0.05, 0.2, 0.2]
    again = gx_subprocess("demo", "--dir", str(where))
    assert again.returncode == 2 and b"already holds a git repository" in again.stderr
