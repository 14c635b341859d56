"""ls, show, experiments, rm, restore, errors, help — through click's CliRunner."""

from __future__ import annotations

import json

import pytest

import gx
import gx.query.runs
from gx.cli.main import COMMANDS
from gx.errors import BadName


@pytest.fixture
def three_runs(repo):
    ids = []
    for exp, name, alpha, rmse in [("lasso", "l1", 0.1, 5.0), ("lasso", "l2", 0.2, float("nan")), ("ridge", "r1", 1, 3.0)]:
        with gx.start_run(experiment=exp, run_name=name) as run:
            gx.log_param("alpha", alpha)
            gx.log_metric("rmse", rmse)
        ids.append(run.info.run_id)
    return ids


def test_ls_table_and_json(cli, three_runs):
    res = cli("ls")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].split()[:6] == ["id", "experiment", "name", "status", "start", "duration"]
    assert [line.split()[2] for line in lines[1:]] == ["r1", "l2", "l1"]  # newest first
    data = json.loads(cli("ls", "--json", "lasso").output.replace("NaN", '"NaN"'))
    assert [d["name"] for d in data] == ["l2", "l1"]
    assert set(data[0]) >= {"run_id", "experiment", "name", "status", "start_time", "end_time", "params", "metrics", "tags"}
    raw = cli("ls", "--json", "lasso").output
    assert '"rmse": NaN' in raw and "null" not in raw.split('"rmse"')[1][:8]


def test_show_human_and_json(cli, three_runs):
    res = cli("show", three_runs[0][:7])
    assert res.exit_code == 0
    assert "l1" in res.output and "alpha" in res.output and "rmse" in res.output
    data = json.loads(cli("show", "--json", three_runs[0]).output)
    assert data["metric_history"]["rmse"][0][0] == 0 and data["metric_history"]["rmse"][0][2] == 5.0
    assert data["source"]["branch"] == "main" and data["source"]["dirty"] is False
    assert data["author"] == "Ada Tester <ada@example.com>"
    assert isinstance(data["command"], list) and data["artifacts"] == {}
    assert cli("show", "l1").exit_code == 0  # a unique run name works too


def test_ambiguous_and_unknown_prefix(cli, three_runs):
    # find a one-character prefix shared by two runs, if any; else use the empty-ish case
    res = cli("show", "zzzz")
    assert res.exit_code == 1 and "matches 'zzzz'" in res.output
    firsts = [r[0] for r in three_runs]
    dup = next((c for c in firsts if firsts.count(c) > 1), None)
    if dup:
        res = cli("show", dup)
        assert res.exit_code == 1 and f"matches {firsts.count(dup)} runs" in res.output  # 2, or all 3


def test_ambiguous_prefix_lists_candidates(repo, cli):
    ids = set()
    while True:  # keep making runs until two share a first character
        with gx.start_run() as run:
            pass
        rid = run.info.run_id
        clash = next((i for i in ids if i[0] == rid[0]), None)
        ids.add(rid)
        if clash:
            break
    res = cli("show", rid[0])
    assert res.exit_code == 1
    assert "matches" in res.output and rid[:12] in res.output and clash[:12] in res.output


def test_rm_and_restore_append_tombstones(cli, three_runs, repo):
    target = three_runs[0]
    before = repo.git("rev-list", "refs/experiments/lasso").split()
    res = cli("rm", target[:8])
    assert res.exit_code == 0 and "deleted" in res.output
    after = repo.git("rev-list", "refs/experiments/lasso").split()
    assert set(before) <= set(after)  # history kept, one commit appended
    assert [r.name for r in gx.query.runs.list_runs(["lasso"])] == ["l2"]
    assert [r["name"] for r in json.loads(cli("ls", "--deleted", "--json").output)] == ["l1"]
    assert cli("rm", target[:8]).exit_code == 1  # already deleted
    assert cli("restore", target[:8]).exit_code == 0
    assert sorted(r.name for r in gx.query.runs.list_runs(["lasso"])) == ["l1", "l2"]
    exps = json.loads(cli("experiments", "--json").output)
    assert [(e["name"], e["runs"], e["deleted"]) for e in exps] == [("lasso", 2, 0), ("ridge", 1, 0)]
    repo.fsck()


def test_outside_a_repository(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    for args in (["ls"], ["show", "abc"], ["experiments"], ["rm", "abc"], ["run", "--", "true"]):
        res = cli(*args)
        assert res.exit_code == 1, args
        assert "not a git repository" in res.output and "git init" in res.output
        assert res.output.count("\n") == 1 and "Traceback" not in res.output


def test_unknown_experiment_and_bad_name(cli, three_runs):
    res = cli("ls", "nope")
    assert res.exit_code == 1 and "no experiment named 'nope'" in res.output and "lasso" in res.output
    res = cli("ls", "tab\there")
    assert res.exit_code == 1 and "bad experiment name" in res.output


def test_experiment_prefix_clash_is_refused(repo, cli):
    with gx.start_run(experiment="team"):
        gx.log_metric("m", 1)
    with pytest.raises(BadName, match="clashes"), gx.start_run(experiment="team/sub"):
        gx.log_metric("m", 1)


def test_every_command_has_help_and_is_documented(cli):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    top = cli("--help")
    assert top.exit_code == 0
    for name, (_, _, short) in COMMANDS.items():
        assert name in top.output and short in top.output
        res = cli(name, "--help")
        assert res.exit_code == 0 and "Usage: " in res.output, name
        assert f"## gx {name}" in docs, f"gx {name} missing from docs/cli.md"


def test_empty_repository_lists_nothing(repo, cli):
    res = cli("ls")
    assert res.exit_code == 0 and "no runs yet" in res.output
    assert json.loads(cli("ls", "--json").output) == []
