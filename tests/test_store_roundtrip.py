"""Property tests: records, names and values survive the trip through git objects."""

from __future__ import annotations

import math

from hypothesis import find, given
from hypothesis import strategies as st

from gx.errors import BadName
from gx.records import MetricPoint, RunRecord
from gx.store.decode import decode_files
from gx.store.encode import encode_files, metric_file_name, metric_key_from_file
from gx.store.refs import PREFIX, experiment_ref, validate_experiment

keys = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(lambda k: k.strip())
floats = st.floats(allow_nan=True, allow_infinity=True)
param_values = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False),
                         st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@given(params=st.dictionaries(keys, param_values, max_size=8),
       metrics=st.dictionaries(keys, st.lists(floats, min_size=1, max_size=5), max_size=5),
       tags=st.dictionaries(keys, st.text(max_size=20), max_size=4),
       name=st.text(max_size=30))
def test_record_round_trips_through_files(params, metrics, tags, name):
    rec = RunRecord(run_id="ab" * 16, experiment="exp", name=name, status="FINISHED", start_time=1_700_000_000.25,
                    end_time=1_700_000_100.5, params=params, tags=tags)
    for key, values in metrics.items():
        rec.metrics[key] = [MetricPoint(i, 1_700_000_000.0 + i, v) for i, v in enumerate(values)]
    back = decode_files(encode_files(rec), "exp", rec.run_id)
    assert back.name == name and back.status == "FINISHED"
    assert back.start_time == rec.start_time and back.end_time == rec.end_time
    assert back.tags == tags
    assert set(back.params) == set(params)
    for k, v in params.items():
        got = back.params[k]
        assert type(got) is type(v) and (got == v or (isinstance(v, float) and math.isnan(v) and math.isnan(got)))
    assert set(back.metrics) == set(metrics)
    for key, values in metrics.items():
        assert all(same_float(p.value, v) for p, v in zip(back.metrics[key], values))
        assert [p.step for p in back.metrics[key]] == list(range(len(values)))


@given(keys)
def test_metric_file_names_are_safe_and_reversible(key):
    name = metric_file_name(key)
    assert "/" not in name and not name.startswith(".") and name not in (".", "..")
    assert metric_key_from_file(name) == key


#: Names built from the characters that matter to ref names: most are valid, many are tricky.
_part = st.text(st.sampled_from("ab9_-."), min_size=1, max_size=6)
ref_names = st.one_of(
    st.lists(_part, min_size=1, max_size=3).map("/".join),  # mostly valid, with dots and dashes where they may not go
    st.text(st.sampled_from("ab9_-./~^:@{}\\ \x00"), max_size=24),  # anything a ref name must not hold
)


def _valid(name: str) -> bool:
    try:
        validate_experiment(name)
    except BadName:
        return False
    return True


def test_the_name_strategy_draws_both_kinds():
    """The property below asserts only about accepted names: make sure it draws tricky accepted ones."""
    assert find(ref_names, lambda n: _valid(n) and "/" in n and "." in n and "-" in n)
    assert _valid(find(ref_names, lambda n: ".." in n))  # any text MLflow takes, stored encoded
    assert not _valid(find(ref_names, lambda n: "\x00" in n))


@given(ref_names)
def test_experiment_names_never_escape_the_prefix(name):
    if not _valid(name):
        return
    ref = experiment_ref(name).decode()
    assert ref.startswith(PREFIX)
    parts = ref[len(PREFIX):].split("/")
    assert all(p and ".." not in p and not p.startswith((".", "-")) and not p.endswith((".lock", ".")) for p in parts)


@given(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,8}(/[A-Za-z0-9_][A-Za-z0-9_-]{0,8}){0,2}", fullmatch=True))
def test_valid_names_accepted(name):
    assert validate_experiment(name) == name


def test_written_runs_round_trip_through_git(repo):
    """The same properties through real objects: write with the store, read with the git binary."""
    import gx
    import gx.query.runs

    values = {"int": 3, "float": 0.1, "big": 2**62, "bool": False, "str": "0.1", "uni": "ünï ✓", "none": None}
    with gx.start_run(experiment="rt") as run:
        gx.log_params(values)
        gx.log_metric("nan", float("nan"))
        gx.log_metric("val/loss", 0.5)
        gx.log_metric(".hidden key", -1e-300)
    rec = gx.query.runs.get_record(run.info.run_id)
    assert rec.params == values
    assert math.isnan(rec.latest_metrics()["nan"])
    assert rec.latest_metrics()["val/loss"] == 0.5 and rec.latest_metrics()[".hidden key"] == -1e-300
    assert "val%2Floss.tsv" in repo.git("ls-tree", "--name-only", "refs/experiments/rt:metrics")
    repo.fsck()


def test_long_plain_names_older_gx_wrote_are_still_read():
    """New names stop at 100 characters, but refs of up to 250 written by older gx stay visible."""
    from gx.store.refs import experiment_from_ref

    old = "x" * 150
    assert experiment_from_ref(f"{PREFIX}{old}") == old
    assert experiment_from_ref(f"{PREFIX}{'x' * 251}") is None
    try:
        validate_experiment(old)
    except BadName:
        pass
    else:
        raise AssertionError("a new 150-character experiment name must be refused")
