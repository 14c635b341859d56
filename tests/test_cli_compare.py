"""gx compare, gx diff, gx log and gx best: exact output on fixed records, behaviour on real runs."""

from __future__ import annotations

import json
import time

import pytest

import gx
from gx.cli.best import metric_goal
from gx.query.compare import change, compare, diff, render_comparison, same
from gx.query.deletion import delete_run
from gx.query.runs import open_store
from gx.query.runspec import load_specs
from gx.records import MetricPoint, RunRecord
from gx.store.write import write_run

T0 = 1_764_000_000.0  # 2025-11-24 16:00:00 UTC
A, B, C = "a1" * 16, "b2" * 16, "c3" * 16


def points(*values: float) -> list[MetricPoint]:
    return [MetricPoint(i, T0 + i, v) for i, v in enumerate(values)]


@pytest.fixture
def fixed(repo) -> list[RunRecord]:
    """Three lasso runs with fixed ids, times and values, written through the store (oldest first)."""
    records = [
        RunRecord(A, "lasso", "base", "FINISHED", T0, T0 + 12.5,
                  params={"alpha": 0.1, "l1_ratio": 0.5, "solver": "saga"},
                  metrics={"rmse": points(5.0, 4.0), "r2": points(0.5)}),
        RunRecord(B, "lasso", "wide", "FINISHED", T0 + 100, T0 + 175,
                  params={"alpha": 0.5, "l1_ratio": 0.5, "solver": "saga", "max_iter": 200},
                  metrics={"rmse": points(3.0), "r2": points(0.6)}),
        RunRecord(C, "lasso", "", "FAILED", T0 + 200, T0 + 203,
                  params={"alpha": 1, "l1_ratio": 0.5, "solver": "lbfgs", "normalize": True},
                  metrics={"rmse": points(4.4)}),
    ]  # fmt: skip
    with open_store() as store:
        for rec in records:
            write_run(store, rec)
    return records


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def record(experiment: str, name: str, alpha: float, rmse: float) -> str:
    with gx.start_run(experiment=experiment, run_name=name) as run:
        gx.log_param("alpha", alpha)
        gx.log_metric("rmse", rmse)
    return run.info.run_id


# --------------------------------------------------------------------------- compare

COMPARE_TABLE = """\
   run               a1a1a1a1  b2b2b2b2            c3c3c3c3
   name              base      wide                -
   experiment        lasso     lasso               lasso
*  status            FINISHED  FINISHED            FAILED
   duration          12.5s     1m15s               3.0s
   source            -         -                   -
*  params.alpha      0.1       0.5                 1
   params.l1_ratio   0.5       0.5                 0.5
*  params.max_iter   -         200                 -
*  params.normalize  -         -                   true
*  params.solver     saga      saga                lbfgs
*  metrics.r2        0.5       0.6 (+0.1, +20.0%)  -
*  metrics.rmse      4         3 (-1, -25.0%)      4.4 (+0.4, +10.0%)
"""

COMPARE_MD = """\
|  | run | a1a1a1a1 | b2b2b2b2 | c3c3c3c3 |
|---|---|---|---|---|
|  | name | base | wide | - |
|  | experiment | lasso | lasso | lasso |
| ≠ | status | FINISHED | FINISHED | FAILED |
|  | duration | 12.5s | 1m15s | 3.0s |
|  | source | - | - | - |
| ≠ | params.alpha | 0.1 | 0.5 | 1 |
|  | params.l1_ratio | 0.5 | 0.5 | 0.5 |
| ≠ | params.max_iter | - | 200 | - |
| ≠ | params.normalize | - | - | true |
| ≠ | params.solver | saga | saga | lbfgs |
| ≠ | metrics.r2 | 0.5 | 0.6 (+0.1, +20.0%) | - |
| ≠ | metrics.rmse | 4 | 3 (-1, -25.0%) | 4.4 (+0.4, +10.0%) |
"""

COMPARE_CSV = f"""\
differs,key,{A},{B},{C}
false,name,base,wide,
false,experiment,lasso,lasso,lasso
true,status,FINISHED,FINISHED,FAILED
false,duration,12.5,75.0,3.0
false,source,,,
true,params.alpha,0.1,0.5,1
false,params.l1_ratio,0.5,0.5,0.5
true,params.max_iter,,200,
true,params.normalize,,,true
true,params.solver,saga,saga,lbfgs
true,metrics.r2,0.5,0.6,
true,metrics.rmse,4.0,3.0,4.4
"""


@pytest.mark.parametrize(("fmt", "expected"), [("table", COMPARE_TABLE), ("md", COMPARE_MD), ("csv", COMPARE_CSV)])
def test_compare_exact_text(cli, fixed, fmt, expected):
    res = cli("compare", "lasso~2", "b2b2", "lasso", "--format", fmt)
    assert res.exit_code == 0, res.output
    assert res.output == expected


def test_compare_json(cli, fixed):
    data = json.loads(cli("compare", "base", "wide", "c3c3", "--format", "json").output)
    assert [r["run_id"] for r in data["runs"]] == [A, B, C]
    assert data["runs"][1] == {"run_id": B, "name": "wide", "experiment": "lasso", "status": "FINISHED",
                               "duration": 75.0, "source": None}
    assert data["params"]["alpha"] == {"differs": True, "values": [0.1, 0.5, 1]}
    assert data["params"]["l1_ratio"] == {"differs": False, "values": [0.5, 0.5, 0.5]}
    assert data["params"]["normalize"]["values"] == [None, None, True]
    assert data["metrics"]["rmse"] == {"differs": True, "values": [4.0, 3.0, 4.4],
                                       "delta": [None, -1.0, 0.4], "delta_pct": [None, -25.0, 10.0]}
    assert data["metrics"]["r2"]["delta"] == [None, 0.1, None]


def test_compare_real_runs_by_experiment_spec(cli, repo):
    first = record("lasso", "slow", 0.1, 2.0)
    second = record("lasso", "fast", 0.1, 1.5)
    res = cli("compare", "lasso~1", "lasso")
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].split() == ["run", first[:8], second[:8]]
    assert lines[1].split() == ["name", "slow", "fast"]
    source = repo.git("rev-parse", "HEAD").strip()
    assert lines[5].split() == ["source", source[:8], source[:8]]
    assert "params.alpha" in lines[6] and not lines[6].startswith("*")  # same value: unmarked
    assert lines[7].split() == ["*", "metrics.rmse", "2", "1.5", "(-0.5,", "-25.0%)"]


def test_compare_needs_two_known_runs(cli, fixed):
    res = cli("compare", "base")
    assert res.exit_code == 2 and "at least two runs" in res.output
    res = cli("compare", "base", "nope")
    assert res.exit_code == 1
    assert res.output.startswith("gx: error: no run or experiment matches 'nope'")
    assert "Traceback" not in res.output and len(res.output.splitlines()) == 1


def test_library_compare_accepts_summaries_and_records(fixed):
    recs = load_specs(["base", "wide"])
    from gx.records import RunSummary

    by_record = compare(recs)
    by_summary = compare([RunSummary.from_record(r) for r in recs])
    assert [r.key for r in by_record.rows] == [r.key for r in by_summary.rows]
    assert by_record.row("metrics.rmse").values == [4.0, 3.0]
    assert render_comparison(by_record, "table") == render_comparison(by_summary, "table")


def test_value_rules():
    assert same(1, 1.0) and same(float("nan"), float("nan")) and not same(True, 1) and not same(None, 0)
    assert change(4.0, 3.0) == (-1.0, -25.0)
    assert change(0, 2) == (2, None)  # no percentage of zero
    assert change(1.0, float("nan")) == (None, None) and change("a", 1) == (None, None)


# --------------------------------------------------------------------------- diff

DIFF_TABLE = f"""\
--- {A[:8]} base (lasso)
+++ {B[:8]} wide (lasso)
key              old  new  delta  %
params.alpha     0.1  0.5  +0.4   +400.0%
params.max_iter  -    200  -      -
metrics.r2       0.5  0.6  +0.1   +20.0%
metrics.rmse     4    3    -1     -25.0%
"""

DIFF_MD = """\
| key | old | new | delta | % |
|---|---|---|---|---|
| params.alpha | 0.1 | 0.5 | +0.4 | +400.0% |
| params.max_iter | - | 200 | - | - |
| metrics.r2 | 0.5 | 0.6 | +0.1 | +20.0% |
| metrics.rmse | 4 | 3 | -1 | -25.0% |
"""

DIFF_CSV = """\
key,old,new,delta,pct
params.alpha,0.1,0.5,0.4,400.0
params.max_iter,,200,,
metrics.r2,0.5,0.6,0.1,20.0
metrics.rmse,4.0,3.0,-1.0,-25.0
"""


@pytest.mark.parametrize(("fmt", "expected"), [("table", DIFF_TABLE), ("md", DIFF_MD), ("csv", DIFF_CSV)])
def test_diff_exact_text(cli, fixed, fmt, expected):
    res = cli("diff", "lasso~2", "lasso~1", "--format", fmt)
    assert res.exit_code == 0, res.output
    assert res.output == expected


def test_diff_json_and_missing_values(cli, fixed):
    data = json.loads(cli("diff", "wide", "lasso", "--format", "json").output)
    assert data["a"]["run_id"] == B and data["b"] == {"run_id": C, "name": "", "experiment": "lasso"}
    assert "code" not in data
    by_key = {c["key"]: c for c in data["changes"]}
    assert list(by_key) == ["params.alpha", "params.max_iter", "params.normalize", "params.solver",
                            "metrics.r2", "metrics.rmse"]
    assert by_key["params.max_iter"] == {"key": "params.max_iter", "old": 200, "new": None,
                                         "delta": None, "pct": None}
    assert by_key["params.solver"]["delta"] is None  # strings have no delta
    assert by_key["metrics.rmse"]["delta"] == pytest.approx(1.4)


def test_diff_of_identical_runs(cli, fixed):
    res = cli("diff", "base", A)
    assert res.output.splitlines()[2:] == ["no differences in params or metrics"]
    assert diff(*load_specs(["base", "base"])).rows == []


def test_diff_code_matches_git_diff(cli, repo):
    clean = record("code", "clean", 1.0, 3.0)
    repo.write("README.md", "project\nnew line\n")
    repo.write("train.py", "print('untracked files are not part of the snapshot')\n")
    dirty = record("code", "dirty", 2.0, 2.5)
    snapshot = gx.get_run(dirty).record.source["snapshot"]
    head = repo.git("rev-parse", "HEAD").strip()
    expected_patch = repo.git("diff", head, snapshot)
    assert "+new line" in expected_patch and "train.py" not in expected_patch

    res = cli("diff", clean, dirty, "--code")
    assert res.exit_code == 0
    table, _, patch = res.output.partition("\n\n")
    assert table.splitlines()[2:] == [
        "key           old  new  delta  %",
        "params.alpha  1    2    +1     +100.0%",
        "metrics.rmse  3    2.5  -0.5   -16.7%",
    ]
    assert patch == expected_patch
    data = json.loads(cli("diff", "code~1", "code", "--code", "--format", "json").output)
    assert data["code"] == expected_patch
    md = cli("diff", "code~1", "code", "--code", "--format", "md").output
    assert md.endswith("```diff\n" + expected_patch + "```\n")
    same_code = cli("diff", "code~1", "code~1", "--code").output
    assert same_code.endswith("no differences in the code\n")


def test_diff_code_errors(cli, fixed):
    res = cli("diff", "base", "wide", "--code", "--format", "csv")
    assert res.exit_code == 2 and "csv cannot hold the code diff" in res.output
    res = cli("diff", "base", "wide", "--code")
    assert res.exit_code == 1
    assert res.output == f"gx: error: run {A[:8]} recorded no source commit, so there is no code to diff\n"


# --------------------------------------------------------------------------- log

LOG = f"""\
{C[:8]} 2025-11-24 16:03 FAILED   alpha=1 l1_ratio=0.5 solver=lbfgs normalize=true → rmse=4.4
{B[:8]} 2025-11-24 16:01 FINISHED wide: alpha=0.5 l1_ratio=0.5 solver=saga max_iter=200 → rmse=3 r2=0.6
{A[:8]} 2025-11-24 16:00 FINISHED base: alpha=0.1 l1_ratio=0.5 solver=saga → rmse=4 r2=0.5
"""


def test_log_exact_text(cli, fixed, utc):
    assert cli("log", "lasso").output == LOG
    assert cli("log", "--limit", "1").output == LOG.splitlines(keepends=True)[0]


def test_log_hides_deleted_runs_unless_asked(cli, fixed, utc):
    delete_run(B)
    assert [line[:8] for line in cli("log").output.splitlines()] == [C[:8], A[:8]]
    lines = cli("log", "--deleted").output.splitlines()
    assert lines[1] == LOG.splitlines()[1] + " (deleted)"
    assert not lines[0].endswith("(deleted)")


def test_log_lines_match_tilde_specs_and_mark_experiments(cli, repo):
    ids = [record("lasso", f"l{i}", i, 1.0 / i) for i in (1, 2, 3)]
    other = record("ridge", "r1", 5, 0.1)
    lines = cli("log", "lasso").output.splitlines()
    for n, line in enumerate(lines):
        assert line.startswith(load_specs([f"lasso~{n}"])[0].run_id[:8])
    assert [line[:8] for line in lines] == [i[:8] for i in reversed(ids)]
    everything = cli("log").output.splitlines()
    assert everything[0].startswith(other[:8]) and "[ridge] r1: alpha=5 → rmse=0.1" in everything[0]
    assert all("[lasso]" in line for line in everything[1:])


def test_log_unknown_experiment_and_empty_store(cli, repo):
    res = cli("log")
    assert res.exit_code == 0 and "no runs yet" in res.output
    res = cli("log", "nope")
    assert res.exit_code == 1 and "no experiment named 'nope'" in res.output


# --------------------------------------------------------------------------- best


@pytest.mark.parametrize(
    ("metric", "goal"),
    [("rmse", "min"), ("val_loss", "min"), ("accuracy", "max"), ("val/acc", "max"), ("valAcc", "max"),
     ("f1_score", "max"), ("r2", "max"), ("mAP50", "max"), ("top1_error", "min"), ("bleu4", "max"),
     ("duration", "min"), ("iou", "max")],
)  # fmt: skip
def test_metric_goal(metric, goal):
    assert metric_goal(metric) == goal


BEST_R2 = f"""\
best r2 (highest of 2 FINISHED runs): 0.6
run         {B}
name        wide
status      FINISHED
experiment  lasso
params      alpha=0.5 l1_ratio=0.5 solver=saga max_iter=200
metrics     rmse=3 r2=0.6
"""


def test_best_exact_text_and_directions(cli, fixed):
    assert cli("best", "r2").output == BEST_R2
    assert cli("best", "metrics.rmse", "lasso").output.splitlines()[:2] == [
        "best rmse (lowest of 2 FINISHED runs): 3", f"run         {B}"]
    assert cli("best", "rmse", "--max").output.splitlines()[:2] == [
        "best rmse (highest of 2 FINISHED runs): 4", f"run         {A}"]
    assert cli("best", "rmse", "--max").output.splitlines()[-1] == \
        "left out 1 FAILED run with a value for rmse (--all-statuses includes it)"
    assert cli("best", "rmse", "--max", "--all-statuses").output.splitlines()[:4] == [
        "best rmse (highest of 3 runs): 4.4", f"run         {C}", "name        -", "status      FAILED"]
    assert cli("best", "r2", "--min").output.splitlines()[1] == f"run         {A}"


def test_best_with_filter_and_json(cli, fixed):
    data = json.loads(cli("best", "rmse", "-f", "params.solver = 'saga' and params.alpha < 0.3", "--json").output)
    assert data["metric"] == "rmse" and data["goal"] == "min" and data["value"] == 4.0
    assert data["considered"] == 1 and data["run"]["run_id"] == A and data["run"]["params"]["alpha"] == 0.1


def test_best_ignores_nan_and_missing(cli, repo):
    record("e", "nan", 0.1, float("nan"))
    good = record("e", "good", 0.2, 7.0)
    with gx.start_run(experiment="e", run_name="none"):
        gx.log_param("alpha", 0.3)
    res = cli("best", "rmse", "e")
    assert res.output.splitlines()[:3] == ["best rmse (lowest of 1 FINISHED run): 7", f"run         {good}", "name        good"]


def test_best_errors_are_one_line(cli, fixed):
    res = cli("best", "accuracy")
    assert res.exit_code == 1
    assert res.output == "gx: error: no run has a value for metric 'accuracy' among 3 runs; known metrics: r2, rmse\n"
    res = cli("best", "rmse", "-f", "params.alpha >")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.splitlines()[1:] == ["  params.alpha >", "                ^"]
    res = cli("best", "rmse", "-f", "params.alpha > 5")
    assert res.exit_code == 1 and "no runs matching 'params.alpha > 5'" in res.output
