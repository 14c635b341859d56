"""Tests for sort-key parsing and the stable multi-key sort (missing and NaN always last)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_summary, run_ids
from gx.errors import FilterSyntaxError
from gx.query.sort import SortKey, parse_sort_key, sort_runs
from gx.records import RunSummary

NAN, INF = float("nan"), float("inf")


def make_run(run_id: str = "r0", **kw: Any) -> RunSummary:
    return make_summary(run_id, default_start=1000.0, default_duration=10.0, **kw)


ids = run_ids


# --- parse_sort_key ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("metrics.rmse", SortKey("metrics", "rmse", False)),
        ("-metrics.rmse", SortKey("metrics", "rmse", True)),
        ("+metrics.rmse", SortKey("metrics", "rmse", False)),
        ("  -metrics.rmse  ", SortKey("metrics", "rmse", True)),
        ("metrics.rmse DESC", SortKey("metrics", "rmse", True)),
        ("metrics.rmse desc", SortKey("metrics", "rmse", True)),
        ("metrics.rmse ASC", SortKey("metrics", "rmse", False)),
        ("metric.rmse", SortKey("metrics", "rmse", False)),
        ("params.alpha", SortKey("params", "alpha", False)),
        ("param.model.lr", SortKey("params", "model.lr", False)),
        ("parameter.alpha DESC", SortKey("params", "alpha", True)),
        ("tag.team", SortKey("tags", "team", False)),
        ("start_time", SortKey("attributes", "start_time", False)),
        ("-start_time", SortKey("attributes", "start_time", True)),
        ("name", SortKey("attributes", "run_name", False)),
        ("attr.experiment_name", SortKey("attributes", "experiment", False)),
        ("run.duration DESC", SortKey("attributes", "duration", True)),
        ("attributes.status", SortKey("attributes", "status", False)),
        ("metrics.`val/loss` DESC", SortKey("metrics", "val/loss", True)),
        ('-params."my key"', SortKey("params", "my key", True)),
    ],
)
def test_parse_sort_key(spec: str, expected: SortKey) -> None:
    assert parse_sort_key(spec) == expected


def test_sort_key_str_round_trips() -> None:
    for spec in ("metrics.`val/loss` DESC", "params.alpha", "attributes.start_time DESC"):
        key = parse_sort_key(spec)
        assert str(key) == spec
        assert parse_sort_key(str(key)) == key


@pytest.mark.parametrize(
    ("spec", "position"),
    [
        ("rmse", 0),
        ("foo.rmse", 0),
        ("attributes.colour", 11),
        ("metrics.rmse sideways", 13),
        ("-metrics.rmse DESC", 14),
        ("metrics.rmse DESC extra", 18),
        ("metrics.`rmse", 8),
        ("-", 1),
        ("metrics.", 8),
    ],
)
def test_parse_sort_key_errors(spec: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_sort_key(spec)
    assert info.value.position == position
    assert info.value.filter_string == spec  # the original text, sign included


def test_parse_sort_key_empty() -> None:
    with pytest.raises(FilterSyntaxError):
        parse_sort_key("")


# --- sort_runs -----------------------------------------------------------------------------------


def test_ascending_and_descending_with_missing_and_nan_last() -> None:
    runs = [
        make_run("nan", metrics={"m": NAN}),
        make_run("b", metrics={"m": 2.0}),
        make_run("missing"),
        make_run("inf", metrics={"m": INF}),
        make_run("a", metrics={"m": 1.0}),
        make_run("neg", metrics={"m": -INF}),
    ]
    assert ids(sort_runs(runs, ["metrics.m"])) == ["neg", "a", "b", "inf", "nan", "missing"]
    assert ids(sort_runs(runs, ["-metrics.m"])) == ["inf", "b", "a", "neg", "nan", "missing"]
    assert ids(sort_runs(runs, ["metrics.m DESC"])) == ["inf", "b", "a", "neg", "nan", "missing"]


def test_mixed_types_numbers_then_bools_then_strings() -> None:
    runs = [
        make_run("s_b", params={"p": "b"}),
        make_run("n10", params={"p": 10}),
        make_run("none", params={"p": None}),
        make_run("s_a", params={"p": "a"}),
        make_run("t", params={"p": True}),
        make_run("n2", params={"p": 2.5}),
        make_run("f", params={"p": False}),
    ]
    assert ids(sort_runs(runs, ["params.p"])) == ["n2", "n10", "f", "t", "s_a", "s_b", "none"]
    assert ids(sort_runs(runs, ["-params.p"])) == ["n10", "n2", "t", "f", "s_b", "s_a", "none"]


def test_multi_key_sort_is_lexicographic_and_stable() -> None:
    runs = [
        make_run("1", params={"opt": "sgd"}, metrics={"loss": 0.3}),
        make_run("2", params={"opt": "adam"}, metrics={"loss": 0.3}),
        make_run("3", params={"opt": "sgd"}, metrics={"loss": 0.1}),
        make_run("4", params={"opt": "adam"}),
        make_run("5", metrics={"loss": 0.1}),
        make_run("6", params={"opt": "adam"}, metrics={"loss": 0.3}),
    ]
    assert ids(sort_runs(runs, ["params.opt", "metrics.loss"])) == ["2", "6", "4", "3", "1", "5"]
    assert ids(sort_runs(runs, ["params.opt DESC", "-metrics.loss"])) == [
        "1",
        "3",
        "2",
        "6",
        "4",
        "5",
    ]
    # ties keep the input order
    assert ids(sort_runs(runs, ["metrics.loss"])) == ["3", "5", "1", "2", "6", "4"]
    assert ids(sort_runs(runs, ["-metrics.loss"])) == ["1", "2", "6", "3", "5", "4"]


def test_default_is_newest_first_then_run_id() -> None:
    runs = [
        make_run("b", start_time=10.0),
        make_run("none", start_time=None),
        make_run("c", start_time=30.0),
        make_run("a", start_time=10.0),
    ]
    assert ids(sort_runs(runs, [])) == ["c", "a", "b", "none"]
    assert ids(sort_runs(runs)) == ["c", "a", "b", "none"]


def test_attribute_keys_and_aliases() -> None:
    runs = [
        make_run("x", name="zeta", status="RUNNING", start_time=5.0, end_time=None),
        make_run("y", name="alpha", status="FAILED", start_time=1.0, end_time=100.0),
        make_run("z", name="mid", status="FINISHED", start_time=3.0, end_time=4.0),
    ]
    assert ids(sort_runs(runs, ["start_time"])) == ["y", "z", "x"]
    assert ids(sort_runs(runs, ["attributes.run_name"])) == ["y", "z", "x"]
    assert ids(sort_runs(runs, ["name DESC"])) == ["x", "z", "y"]
    assert ids(sort_runs(runs, ["status"])) == ["y", "z", "x"]
    assert ids(sort_runs(runs, ["-run.duration"])) == ["y", "z", "x"]  # x has no duration
    assert ids(sort_runs(runs, ["duration"])) == ["z", "y", "x"]


def test_accepts_sort_key_objects_and_does_not_mutate_input() -> None:
    runs = [make_run("a", metrics={"m": 2.0}), make_run("b", metrics={"m": 1.0})]
    out = sort_runs(runs, [SortKey("metrics", "m")])
    assert ids(out) == ["b", "a"]
    assert ids(runs) == ["a", "b"]


def test_quoted_keys_sort() -> None:
    runs = [make_run("a", tags={"a b": "2"}), make_run("b", tags={"a b": "1"})]
    assert ids(sort_runs(runs, ['tags."a b"'])) == ["b", "a"]
    assert ids(sort_runs(runs, ["tags.`a b` DESC"])) == ["a", "b"]


def test_bad_key_raises() -> None:
    with pytest.raises(FilterSyntaxError):
        sort_runs([make_run("a")], ["metrics.rmse", "bogus"])


_METRIC = st.one_of(st.none(), st.floats(allow_nan=True), st.integers(-5, 5))


@given(st.lists(_METRIC, max_size=20), st.booleans())
def test_sort_property(values: list[Any], descending: bool) -> None:
    runs = [make_run(str(i), metrics={} if v is None else {"m": v}) for i, v in enumerate(values)]
    out = sort_runs(runs, ["-metrics.m" if descending else "metrics.m"])
    assert sorted(ids(out)) == sorted(ids(runs))
    got = [r.metrics.get("m") for r in out]
    present = [v for v in got if v is not None and not math.isnan(v)]
    # present values first, ordered; then NaN and missing
    assert got[: len(present)] == present
    assert present == sorted(present, reverse=descending)
    # stable: equal values keep input order
    for a, b in zip(out, out[1:]):
        va, vb = a.metrics.get("m"), b.metrics.get("m")
        if va is not None and vb is not None and va == vb:
            assert int(a.run_id) < int(b.run_id)


def test_limit_is_a_prefix_of_the_full_sort():
    import random

    from gx.query.sort import sort_runs
    from gx.records import RunSummary

    rng = random.Random(1)
    values = [1.0, 2.0, 2.0, float("nan"), None, "a", True, 3, -1.5]
    runs = [RunSummary(f"{i:04d}", "e", f"r{i}", "FINISHED", float(i), None,
                       {"p": rng.choice(values)}, {"m": rng.choice([1.0, 2.0, float("nan")])}, {})
            for i in range(200)]
    for keys in (["params.p"], ["-params.p"], ["metrics.m", "-params.p"], ["-metrics.m"]):
        full = sort_runs(runs, keys)
        for limit in (1, 5, 50, 150, 300):
            assert sort_runs(runs, keys, limit=limit) == full[:limit], (keys, limit)
