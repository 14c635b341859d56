"""``gx ls`` filtering, sorting, columns and formats (exact text for csv and md)."""

from __future__ import annotations

import json

import pytest

import gx


@pytest.fixture
def runs(repo):
    for name, alpha, model, rmse in [("a", 0.1, "lasso", 5.0), ("b", 0.5, "ridge", 4.0), ("c", 0.9, "lasso", 6.5)]:
        with gx.start_run(experiment="exp", run_name=name):
            gx.log_params({"alpha": alpha, "model": model, "seed": 1})
            gx.log_metric("rmse", rmse)
    return repo


def test_filter_sort_limit_columns_csv(runs, cli):
    res = cli("ls", "-f", "params.model = 'lasso' or metrics.rmse < 4.5", "--sort", "metrics.rmse",
              "--columns", "name,params.alpha,metrics.rmse", "--format", "csv")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "id,name,params.alpha,metrics.rmse"
    assert [line.split(",")[1:] for line in lines[1:]] == [["b", "0.5", "4.0"], ["a", "0.1", "5.0"], ["c", "0.9", "6.5"]]


def test_markdown_and_changed_only(runs, cli):
    res = cli("ls", "--sort", "-metrics.rmse", "--limit", "2", "--changed-only", "--format", "md",
              "--columns", "name,params.*,metrics.*")
    lines = res.output.splitlines()
    # model (lasso for both listed runs) and seed are the same everywhere: folded away
    assert lines[0] == "| id | name | params.alpha | metrics.rmse |"
    assert lines[1] == "|---|---|---|---|"
    assert [line.split(" | ")[1:] for line in lines[2:]] == [["c", "0.9", "6.5 |"], ["a", "0.1", "5 |"]]


def test_json_and_bad_filter(runs, cli):
    data = json.loads(cli("ls", "-f", "metrics.rmse > 4.5", "--json").output)
    assert sorted(d["name"] for d in data) == ["a", "c"]
    res = cli("ls", "-f", "metrics.rmse >> 3")
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0].startswith("gx: error:") and lines[1].strip() == "metrics.rmse >> 3"
    assert lines[2].index("^") == lines[1].index(">>") + 1
    assert cli("ls", "--columns", "nonsense").exit_code == 2
