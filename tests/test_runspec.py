"""Run specs: ids, prefixes, names, experiment names (newest run) and EXP~N."""

from __future__ import annotations

import pytest

import gx
from gx.errors import AmbiguousRun, UnknownRun
from gx.query.deletion import delete_run
from gx.query.runs import open_store
from gx.query.runspec import get_spec_record, load_specs, resolve_spec, split_spec


def record(experiment: str, name: str, alpha: float) -> str:
    with gx.start_run(experiment=experiment, run_name=name) as run:
        gx.log_param("alpha", alpha)
        gx.log_metric("rmse", 1.0 / alpha)
    return run.info.run_id


@pytest.fixture
def lasso(repo) -> list[str]:
    """Three lasso runs (oldest first) and one run of another experiment named 'lasso'."""
    ids = [record("lasso", f"l{i}", 0.1 * i) for i in (1, 2, 3)]
    ids.append(record("other", "lasso", 9.0))
    return ids


def resolve(spec: str) -> str:
    with open_store() as store:
        return resolve_spec(store, spec).run_id


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("lasso", ("lasso", None)), ("lasso~2", ("lasso", 2)), ("lasso~", ("lasso", 1)),
     ("team/a~10", ("team/a", 10)), ("a~b", ("a~b", None)), ("~3", ("~3", None))],
)  # fmt: skip
def test_split_spec(spec, expected):
    assert split_spec(spec) == expected


def test_experiment_name_is_its_newest_run_and_tilde_counts_back(lasso):
    assert resolve("lasso") == lasso[2]
    assert resolve("lasso~0") == lasso[2]
    assert resolve("lasso~1") == resolve("lasso~") == lasso[1]
    assert resolve("lasso~2") == lasso[0]


def test_experiment_wins_over_a_run_with_the_same_name(lasso):
    # The run named 'lasso' lives in 'other'; the spec means the experiment.
    assert resolve("lasso") == lasso[2]
    assert resolve("other") == lasso[3]


def test_ids_prefixes_and_names_still_resolve(lasso):
    assert resolve(lasso[0]) == lasso[0]
    assert resolve(lasso[1][:12]) == lasso[1]
    assert resolve("l1") == lasso[0]
    assert resolve("  l3 ") == lasso[2]


def test_deleted_runs_are_skipped_when_counting(lasso):
    delete_run(lasso[2])
    assert resolve("lasso") == lasso[1]
    assert resolve("lasso~1") == lasso[0]
    assert resolve(lasso[2]) == lasso[2]  # an explicit id still reaches a deleted run


def test_past_the_start_says_how_many_runs_there_are(lasso):
    with pytest.raises(UnknownRun) as err:
        resolve("lasso~3")
    msg = str(err.value)
    assert "has 3 runs" in msg and "the oldest is lasso~2" in msg and "\n" not in msg


def test_experiment_with_only_deleted_runs(repo):
    run_id = record("gone", "g1", 1.0)
    delete_run(run_id)
    with pytest.raises(UnknownRun, match="experiment 'gone' has no runs"):
        resolve("gone")


def test_unknown_specs_say_what_to_do(lasso):
    with pytest.raises(UnknownRun, match="no run or experiment matches 'nope'.*gx experiments"):
        resolve("nope")
    with pytest.raises(UnknownRun, match="no experiment named 'ridge' for 'ridge~1'"):
        resolve("ridge~1")
    with pytest.raises(UnknownRun, match="empty run spec"):
        resolve("  ")


def test_ambiguous_names_are_reported_not_guessed(repo):
    record("a", "twin", 1.0)
    record("b", "twin", 2.0)
    with pytest.raises(AmbiguousRun, match="'twin' matches 2 runs"):
        resolve("twin")


def test_nested_experiment_names(repo):
    first = record("team/lasso", "t1", 1.0)
    second = record("team/lasso", "t2", 2.0)
    assert resolve("team/lasso") == second
    assert resolve("team/lasso~1") == first


def test_load_specs_keeps_order_and_returns_full_records(lasso):
    recs = load_specs(["lasso~2", "lasso", "l2"])
    assert [r.run_id for r in recs] == [lasso[0], lasso[2], lasso[1]]
    assert [p.value for p in recs[0].metrics["rmse"]] == [pytest.approx(10.0)]
    assert get_spec_record("other").name == "lasso"
