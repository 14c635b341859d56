"""``gx models``: listings with --json, register/alias/rollback/rm/deprecate, one-line errors."""

from __future__ import annotations

import json

import gx
from models_helpers import logged_sklearn_run


def _registered(n: int = 2, name: str = "churn") -> list[str]:
    ids = [logged_sklearn_run(gx, seed=s, run_name=f"r{s}")[0] for s in range(n)]
    for run_id in ids:
        gx.register_model(f"runs:/{run_id}/model", name)
    return ids


def test_register_alias_rollback_and_history(repo, cli):
    ids = [logged_sklearn_run(gx, seed=s, run_name=f"r{s}")[0] for s in range(3)]
    assert cli("models", "register", "r0", "churn", "-d", "first").stdout.startswith("registered churn version 1")
    assert cli("models", "register", f"{ids[1][:8]}:model", "churn").exit_code == 0
    assert cli("models", "register", "default", "churn").stdout.startswith("registered churn version 3")
    assert cli("models", "alias", "churn", "2", "champion").stdout.strip() == "churn@champion -> version 2"
    assert cli("models", "alias", "churn", "v3", "champion").exit_code == 0
    assert cli("models", "rollback", "churn", "champion").stdout.strip() == "churn@champion -> version 2 (rolled back)"
    repo.fsck()
    listed = json.loads(cli("models", "ls", "--json").stdout)
    assert [(m["name"], m["latest_version"], m["aliases"]) for m in listed] == [("churn", 3, {"champion": 2})]
    history = json.loads(cli("models", "history", "churn", "--json").stdout)
    moves = [(h["event"], h["alias"], h["previous"], h["version"]) for h in history if h["alias"]]
    assert moves == [("assigned", "champion", None, 2), ("unassigned", "champion", None, 2),
                     ("assigned", "champion", 2, 3), ("unassigned", "champion", None, 3),
                     ("assigned", "champion", 3, 2)]
    text = cli("models", "history", "churn").stdout
    assert "champion: v3 -> v2" in text and "Ada Tester" in text


def test_show_prints_the_run_files_and_signature(repo, cli):
    ids = _registered(1)
    cli("models", "alias", "churn", "1", "champion")
    out = cli("models", "show", "churn@champion").stdout
    assert f"run       {ids[0]}" in out and "seed=0" in out and "accuracy=" in out
    assert "tenure: double, spend: double, calls: long" in out and "model.pkl (" in out
    shown = json.loads(cli("models", "show", "churn/1", "--json").stdout)
    assert shown["version"]["aliases"] == ["champion"] and shown["signature"]["inputs"][0]["name"] == "tenure"
    assert json.loads(cli("models", "show", "churn", "--json").stdout)["version"]["version"] == "1"


def test_stages_through_alias_and_rollback(repo, cli):
    _registered(2)
    cli("models", "alias", "churn", "1", "production")
    cli("models", "alias", "churn", "2", "production")
    stages = json.loads(cli("models", "ls", "--json").stdout)[0]["stages"]
    assert stages == {"1": "production", "2": "production"}
    assert cli("models", "rollback", "churn", "production").exit_code == 0
    assert json.loads(cli("models", "ls", "--json").stdout)[0]["stages"] == {"1": "production", "2": "archived"}


def test_rm_and_deprecate(repo, cli):
    _registered(2)
    assert cli("models", "rm", "churn/2").exit_code == 0
    assert json.loads(cli("models", "ls", "--json").stdout)[0]["latest_version"] == 1
    assert cli("models", "deprecate", "churn").exit_code == 0
    assert cli("models", "ls").stdout == ""
    assert json.loads(cli("models", "ls", "--all", "--json").stdout)[0]["deprecated"] is True
    assert "churn@deprecated#1" in repo.git("tag", "-l")
    repo.fsck()


def test_user_mistakes_are_one_line_errors(repo):
    from conftest import gx_subprocess

    _registered(1)
    for args, message in ((["models", "show", "nope"], "no registered model named 'nope'"),
                          (["models", "show", "churn/7"], "version 7 of model 'churn' does not exist"),
                          (["models", "show", "churn@gold"], "has no alias 'gold'"),
                          (["models", "alias", "churn", "1", "latest"], "bad alias 'latest'"),
                          (["models", "rollback", "churn", "champion"], "no alias 'champion'"),
                          (["models", "register", "r0", "bad name"], "bad model name"),
                          (["models", "register", "r0:nothing", "churn"], "holds no model")):
        proc = gx_subprocess(*args, cwd=repo.path)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.startswith("gx: error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1
