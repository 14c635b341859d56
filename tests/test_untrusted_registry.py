"""A teammate's registry tags are untrusted input too: a tag whose run history would break this
repository's ``git fsck --strict`` is refused on pull, and nothing of it is stored."""

from __future__ import annotations

import hostile
from conftest import Repo


def test_pull_refuses_a_registry_tag_over_a_hostile_run(tmp_path):
    t = hostile.make_team(tmp_path)
    hostile.add_run(t.mate, "shared", name="good1")
    hostile.push_experiments(t.mate)
    hostile.add_run_with_entry(t.remote, "loose", b".git", ref="refs/heads/hidden")
    bad_commit = hostile.rev(t.remote, "refs/heads/hidden")
    hostile.git(t.remote, "tag", "-a", "churn@v1.0.0", bad_commit, "-m", "Registering artifact churn version v1.0.0")
    tag_object = hostile.rev(t.remote, "refs/tags/churn@v1.0.0")

    proc = hostile.gx("pull", cwd=t.victim)
    err = proc.stderr.decode()
    assert proc.returncode in (0, 1), err
    assert "Traceback" not in err, err
    assert "churn@v1.0.0" in err, f"no word about the refused tag: {err!r}"
    assert hostile.rev(t.victim, "refs/experiments/shared"), "the good experiment was not pulled"
    stored = hostile.git(t.victim, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    assert tag_object not in stored and bad_commit not in stored
    Repo(t.victim).fsck()
