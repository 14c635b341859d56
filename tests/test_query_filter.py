"""Tests for the search filter grammar: operators, aliases, quoting, semantics and error positions."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import make_summary, run_ids
from gx.errors import FilterSyntaxError
from gx.query.access import value_of
from gx.query.filter import Filter, filter_runs, parse_filter
from gx.query.lexer import field_ref, quote_string, tokenize
from gx.records import RunSummary

DAY = 86400.0
T0 = 1795478400.0  # 2026-11-24T00:00:00Z


def make_run(run_id: str = "r0", **kw: Any) -> RunSummary:
    return make_summary(run_id, default_start=T0, default_duration=60, **kw)


ids = run_ids


@pytest.fixture
def runs() -> list[RunSummary]:
    return [
        make_run(
            "a1",
            name="alpha",
            params={"lr": 0.01, "opt": "adam", "seed": 1, "flag": True, "model.depth": 3},
            metrics={"loss": 0.5, "acc": 0.9, "val/loss": 0.6},
            tags={"team": "vision", "note": "it's fine"},
            commit="c0ffee01",
            source_commit="abc123",
        ),
        make_run(
            "b2",
            name="beta",
            status="FAILED",
            experiment="exp2",
            start_time=T0 + DAY,
            end_time=T0 + DAY + 600,
            params={"lr": 0.1, "opt": "sgd", "flag": False, "my key": "x y"},
            metrics={"loss": float("nan"), "acc": 0.5},
            tags={"team": "NLP"},
        ),
        make_run(
            "c3",
            name="gamma",
            status="RUNNING",
            start_time=T0 + 2 * DAY,
            end_time=None,
            params={"lr": "auto", "opt": "Adam", "seed": None, "version": "1.50"},
            metrics={"loss": float("inf")},
        ),
    ]


def match(runs: list[RunSummary], flt: str) -> list[str]:
    return ids(filter_runs(runs, flt))


# --- comparators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("params.lr = 0.01", ["a1"]),
        ("params.lr != 0.01", ["b2", "c3"]),
        ("params.lr < 0.05", ["a1"]),
        ("params.lr <= 0.1", ["a1", "b2"]),
        ("params.lr > 0.01", ["b2", "c3"]),  # c3's lr is "auto": "auto" > "0.01" as strings
        ("params.lr >= 0.01", ["a1", "b2", "c3"]),
        ("params.lr == 0.01", ["a1"]),
        ("params.lr <> 0.01", ["b2", "c3"]),
        ("params.opt LIKE 'a%'", ["a1"]),
        ("params.opt LIKE '_dam'", ["a1", "c3"]),
        ("params.opt ILIKE 'A%'", ["a1", "c3"]),
        ("params.opt NOT LIKE 'a%'", ["b2", "c3"]),
        ("params.opt IN ('sgd', 'Adam')", ["b2", "c3"]),
        ("params.opt NOT IN ('sgd', 'Adam')", ["a1"]),
        ("params.seed IS NULL", ["b2", "c3"]),
        ("params.seed IS NOT NULL", ["a1"]),
        ("params.opt REGEXP '^[as]'", ["a1", "b2"]),
        ("params.opt NOT REGEXP '^[as]'", ["c3"]),
    ],
)
def test_every_comparator(runs: list[RunSummary], flt: str, expected: list[str]) -> None:
    assert match(runs, flt) == expected


def test_keywords_are_case_insensitive(runs: list[RunSummary]) -> None:
    assert match(runs, "params.opt like 'a%' AnD params.seed is NOT null") == ["a1"]
    assert match(runs, "params.opt In ('sgd') oR NOT params.lr iS nUlL") == ["a1", "b2", "c3"]
    assert match(runs, "params.flag = TRUE") == ["a1"]


def test_empty_filter_matches_everything(runs: list[RunSummary]) -> None:
    assert match(runs, "") == ["a1", "b2", "c3"]
    assert match(runs, "   \n\t") == ["a1", "b2", "c3"]


# --- aliases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["metrics", "metric", "METRICS"])
def test_metric_aliases(runs: list[RunSummary], entity: str) -> None:
    assert match(runs, f"{entity}.acc > 0.6") == ["a1"]


@pytest.mark.parametrize("entity", ["params", "param", "parameter", "Params"])
def test_param_aliases(runs: list[RunSummary], entity: str) -> None:
    assert match(runs, f"{entity}.opt = 'sgd'") == ["b2"]


@pytest.mark.parametrize("entity", ["tags", "tag"])
def test_tag_aliases(runs: list[RunSummary], entity: str) -> None:
    assert match(runs, f"{entity}.team = 'NLP'") == ["b2"]


@pytest.mark.parametrize("entity", ["attributes", "attribute", "attr", "run"])
def test_attribute_entity_aliases(runs: list[RunSummary], entity: str) -> None:
    assert match(runs, f"{entity}.run_name = 'beta'") == ["b2"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ("attributes.run_id = 'c3'", ["c3"]),
        ("attributes.run_name = 'gamma'", ["c3"]),
        ("attributes.name = 'gamma'", ["c3"]),
        ("attributes.experiment = 'exp2'", ["b2"]),
        ("attributes.experiment_name = 'exp2'", ["b2"]),
        ("attributes.commit = 'c0ffee01'", ["a1"]),
        ("attributes.commit IS NULL", ["b2", "c3"]),
        ("attributes.source_commit LIKE 'abc%'", ["a1"]),
        ("attributes.end_time IS NULL", ["c3"]),
        ("attributes.duration > 100", ["b2"]),
        ("attributes.duration IS NULL", ["c3"]),
        # bare attribute names work without a prefix
        ("status = 'RUNNING'", ["c3"]),
        ("name LIKE '%a'", ["a1", "b2", "c3"]),
        ("duration <= 60", ["a1"]),
    ],
)
def test_attribute_keys(runs: list[RunSummary], flt: str, expected: list[str]) -> None:
    assert match(runs, flt) == expected


def test_status_is_case_insensitive(runs: list[RunSummary]) -> None:
    assert match(runs, "attributes.status = 'finished'") == ["a1"]
    assert match(runs, "attributes.status != 'Finished'") == ["b2", "c3"]
    assert match(runs, "attributes.status IN ('failed', 'running')") == ["b2", "c3"]
    assert match(runs, "attributes.status LIKE 'fin%'") == ["a1"]
    assert match(runs, "attributes.status REGEXP '^f'") == ["a1", "b2"]


# --- quoting -----------------------------------------------------------------------------------


def test_quoted_keys(runs: list[RunSummary]) -> None:
    assert match(runs, "metrics.`val/loss` < 1") == ["a1"]
    assert match(runs, 'metrics."val/loss" < 1') == ["a1"]
    assert match(runs, "params.`my key` = 'x y'") == ["b2"]
    assert match(runs, "params.\"my key\" = 'x y'") == ["b2"]
    assert match(runs, "params.`model.depth` = 3") == ["a1"]


def test_dotted_unquoted_key_is_everything_after_first_dot(runs: list[RunSummary]) -> None:
    assert match(runs, "params.model.depth = 3") == ["a1"]
    assert parse_filter("params.model.depth = 3").referenced_keys() == {("params", "model.depth")}


def test_quote_escaping_doubles_the_quote() -> None:
    run = make_run(
        params={"q": "it's", "d": 'say "hi"', "b": "a\\b"}, tags={"we`ird": "1", 'k"': "2"}
    )
    assert parse_filter("params.q = 'it''s'").matches(run)
    assert parse_filter('params.d = "say ""hi"""').matches(run)
    assert parse_filter("params.d = 'say \"hi\"'").matches(run)
    # backslashes are literal characters, never escapes
    assert parse_filter("params.b = 'a\\b'").matches(run)
    assert parse_filter("tags.`we``ird` = '1'").matches(run)
    assert parse_filter('tags."k""" = \'2\'').matches(run)


def test_double_quoted_value_is_a_string(runs: list[RunSummary]) -> None:
    assert match(runs, 'params.opt = "sgd"') == ["b2"]


def test_tokenizer_token_kinds() -> None:
    kinds = [t.kind for t in tokenize("metrics.`a b` >= -1.5e3 and (x, 'y')")]
    assert kinds == ["FIELD", "OP", "NUMBER", "WORD", "LPAREN", "WORD", "COMMA", "STRING"] + [
        "RPAREN",
        "EOF",
    ]
    field = tokenize("metrics.`a b`")[0]
    assert (field.text, field.key, field.pos, field.key_pos) == ("metrics", "a b", 0, 8)


def test_field_ref_quotes_only_when_needed() -> None:
    assert field_ref("metrics", "val.loss") == "metrics.val.loss"
    assert field_ref("metrics", "val/loss") == "metrics.`val/loss`"
    assert field_ref("params", "a`b") == "params.`a``b`"


# --- numbers versus strings --------------------------------------------------------------------


def test_numeric_param_compares_numerically() -> None:
    run = make_run(params={"n": 9, "x": 2.5})
    assert parse_filter("params.n < 10").matches(run)  # as strings "9" > "10"
    assert parse_filter("params.n = 9.0").matches(run)
    assert parse_filter("params.x > 1e0").matches(run)
    assert parse_filter("params.x >= -3").matches(run)
    # a quoted number against a numeric param also compares as a number
    assert parse_filter("params.n < '10'").matches(run)
    assert parse_filter("params.x = '2.50'").matches(run)


def test_string_param_compares_as_string_with_literal_source_text(
    runs: list[RunSummary],
) -> None:
    # "1.50" is a str param: compared with the literal's source text, not with 1.5
    assert match(runs, "params.version = 1.50") == ["c3"]
    assert match(runs, "params.version = 1.5") == []
    assert match(runs, "params.lr = 'auto'") == ["c3"]
    run = make_run(params={"s": "9"})
    assert not parse_filter("params.s < 10").matches(run)  # "9" < "10" is false as strings
    assert parse_filter("params.s > 10").matches(run)


def test_numeric_param_against_non_numeric_string(runs: list[RunSummary]) -> None:
    assert match(runs, "params.lr LIKE '0.%'") == ["a1", "b2"]
    assert match(runs, "params.lr != 'auto'") == ["a1", "b2"]


def test_huge_integers_compare_exactly() -> None:
    big = 2**80
    run = make_run(params={"n": big})
    assert parse_filter(f"params.n = {big}").matches(run)
    assert not parse_filter(f"params.n = {big + 1}").matches(run)


# --- bools ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["true", "TRUE", "True", "'True'", "'true'", '"TRUE"'])
def test_bool_param_true(runs: list[RunSummary], literal: str) -> None:
    assert match(runs, f"params.flag = {literal}") == ["a1"]


@pytest.mark.parametrize("literal", ["false", "'False'", "'false'"])
def test_bool_param_false(runs: list[RunSummary], literal: str) -> None:
    assert match(runs, f"params.flag = {literal}") == ["b2"]


def test_bool_is_not_a_number(runs: list[RunSummary]) -> None:
    assert match(runs, "params.flag = 1") == []
    assert match(runs, "params.flag != false") == ["a1"]
    assert match(runs, "params.flag IN (true, false)") == ["a1", "b2"]


def test_bool_literal_matches_bool_like_strings() -> None:
    run = make_run(params={"s": "True"}, tags={"t": "false"})
    assert parse_filter("params.s = true").matches(run)
    assert parse_filter("tags.t = FALSE").matches(run)
    assert not parse_filter("params.s = 'true'").matches(run)  # two strings: exact


# --- metrics, NaN and inf ------------------------------------------------------------------------


def test_nan_fails_everything_but_not_equal(runs: list[RunSummary]) -> None:
    nan_run = [runs[1]]
    for op in ("=", "<", "<=", ">", ">="):
        assert match(nan_run, f"metrics.loss {op} 0.5") == []
    assert match(nan_run, "metrics.loss != 0.5") == ["b2"]
    assert match(nan_run, "metrics.loss IN (0.5, 1)") == []
    assert match(nan_run, "metrics.loss NOT IN (0.5, 1)") == ["b2"]
    assert match(nan_run, "metrics.loss IS NOT NULL") == ["b2"]


def test_inf_metrics(runs: list[RunSummary]) -> None:
    assert match(runs, "metrics.loss > 1e308") == ["c3"]
    assert match(runs, "metrics.loss = 'inf'") == ["c3"]
    assert match(runs, "metrics.loss < 1") == ["a1"]


def test_metric_quoted_number_is_converted(runs: list[RunSummary]) -> None:
    assert match(runs, "metrics.acc = '0.9'") == ["a1"]
    assert match(runs, "metrics.acc IN ('0.5', 0.9)") == ["a1", "b2"]
    assert match(runs, "metrics.acc NOT IN (0.5)") == ["a1"]


def test_metric_non_numeric_literal_is_a_parse_error() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("metrics.acc = 'high'")
    assert info.value.position == 14
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("metrics.acc = true")
    assert info.value.position == 14


# --- missing keys ------------------------------------------------------------------------------


def test_missing_key_fails_every_comparison_but_is_null(runs: list[RunSummary]) -> None:
    assert match(runs, "params.nope != 1") == []
    assert match(runs, "params.nope NOT IN (1)") == []
    assert match(runs, "params.nope NOT LIKE 'x'") == []
    assert match(runs, "metrics.nope < 1e999") == []
    assert match(runs, "tags.team != 'NLP'") == ["a1"]
    assert match(runs, "params.nope IS NULL") == ["a1", "b2", "c3"]
    assert match(runs, "tags.team IS NULL") == ["c3"]
    assert match(runs, "metrics.acc IS NULL") == ["c3"]
    # NOT gives the complement, missing runs included
    assert match(runs, "NOT tags.team = 'NLP'") == ["a1", "c3"]


def test_param_set_to_none_is_null() -> None:
    run = make_run(params={"seed": None})
    assert parse_filter("params.seed IS NULL").matches(run)
    assert not parse_filter("params.seed = 'None'").matches(run)


# --- boolean structure ---------------------------------------------------------------------------


def test_not_binds_tighter_than_and_tighter_than_or(runs: list[RunSummary]) -> None:
    # OR below AND: a1 OR (b2 AND c3-only) -> a1
    assert match(runs, "run_id = 'a1' or run_id = 'b2' and params.lr = 'auto'") == ["a1"]
    assert match(runs, "(run_id = 'a1' or run_id = 'b2') and params.lr = 0.1") == ["b2"]
    # NOT applies to the next term only
    assert match(runs, "not run_id = 'a1' and run_id != 'b2'") == ["c3"]
    assert match(runs, "not (run_id = 'a1' or run_id = 'b2')") == ["c3"]
    assert match(runs, "not not run_id = 'a1'") == ["a1"]
    assert match(runs, "((run_id = 'a1'))") == ["a1"]


def test_long_chains_do_not_recurse(runs: list[RunSummary]) -> None:
    flt = " or ".join(f"params.seed = {i}" for i in range(3000))
    assert match(runs, flt) == ["a1"]
    flt = " and ".join("params.opt IS NOT NULL" for _ in range(3000))
    assert match(runs, flt) == ["a1", "b2", "c3"]


def test_deep_nesting_is_a_syntax_error() -> None:
    with pytest.raises(FilterSyntaxError):
        parse_filter("(" * 500 + "params.a = 1" + ")" * 500)
    with pytest.raises(FilterSyntaxError):
        parse_filter("not " * 500 + "params.a = 1")


# --- LIKE and REGEXP -----------------------------------------------------------------------------


def test_like_wildcards_and_escape() -> None:
    run = make_run(params={"p": "50%_done", "m": "line1\nline2"})
    assert parse_filter("params.p LIKE '50%'").matches(run)
    assert parse_filter("params.p LIKE '5__%'").matches(run)
    assert parse_filter("params.p LIKE '50\\%\\_done'").matches(run)
    assert not parse_filter("params.p LIKE '5\\%%'").matches(run)
    assert not parse_filter("params.p LIKE '50'").matches(run)  # whole-value match
    assert not parse_filter("params.p LIKE '50%_DONE'").matches(run)  # case-sensitive
    assert parse_filter("params.p ILIKE '50%_DONE'").matches(run)
    assert parse_filter("params.m LIKE 'line1%2'").matches(run)  # % spans newlines
    assert parse_filter("params.p LIKE '50.%'").matches(make_run(params={"p": "50.x"}))
    assert not parse_filter("params.p LIKE '50.%'").matches(run)  # '.' is literal


def test_regexp_is_search_with_literal_backslashes() -> None:
    run = make_run(params={"arch": "resnet50"}, tags={"v": "v1.2"})
    assert parse_filter("params.arch REGEXP 'net\\d+'").matches(run)
    assert parse_filter("params.arch REGEXP '^res'").matches(run)
    assert not parse_filter("params.arch REGEXP '^net'").matches(run)
    assert parse_filter("tags.v REGEXP '^v\\d\\.\\d$'").matches(run)


def test_like_on_numeric_params_uses_string_form() -> None:
    run = make_run(params={"lr": 0.001, "flag": True})
    assert parse_filter("params.lr LIKE '0.00%'").matches(run)
    assert parse_filter("params.flag LIKE 'Tr%'").matches(run)


# --- IN ------------------------------------------------------------------------------------------


def test_in_lists(runs: list[RunSummary]) -> None:
    assert match(runs, "params.lr IN (0.1, 0.01)") == ["a1", "b2"]
    assert match(runs, "params.lr IN ('auto', 0.1)") == ["b2", "c3"]
    assert match(runs, "params.seed IN (1)") == ["a1"]
    assert match(runs, "metrics.acc IN (0.9)") == ["a1"]
    assert match(runs, "tags.team IN ('vision', 'NLP')") == ["a1", "b2"]
    assert match(runs, "attributes.run_id IN ('a1', 'c3')") == ["a1", "c3"]
    assert match(runs, "attributes.run_id NOT IN ('a1', 'c3')") == ["b2"]
    assert match(runs, f"attributes.start_time IN ({T0 * 1000:.0f}, '2026-11-25')") == [
        "a1",
        "b2",
    ]
    assert match(runs, "attributes.duration IN (60, 600)") == ["a1", "b2"]


# --- times ---------------------------------------------------------------------------------------


def test_time_literals(runs: list[RunSummary]) -> None:
    ms = int(T0 * 1000)
    assert match(runs, f"attributes.start_time = {ms}") == ["a1"]
    assert match(runs, f"attributes.start_time > {ms}") == ["b2", "c3"]
    assert match(runs, "attributes.start_time = '2026-11-24'") == ["a1"]
    assert match(runs, "attributes.start_time >= '2026-11-25'") == ["b2", "c3"]
    assert match(runs, "attributes.start_time < '2026-11-25T00:00:01'") == ["a1", "b2"]
    assert match(runs, "attributes.start_time < '2026-11-24T23:00:00Z'") == ["a1"]
    assert match(runs, "start_time > '2026-11-25T01:00:00+02:00'") == ["b2", "c3"]
    assert match(runs, f"attributes.end_time <= '{ms + 60000}'") == ["a1"]


def test_huge_numbers_do_not_overflow(runs: list[RunSummary]) -> None:
    huge = "1" + "0" * 400
    assert match(runs, f"attributes.start_time < {huge}") == ["a1", "b2", "c3"]
    assert match(runs, f"metrics.acc < {huge}") == ["a1", "b2"]
    assert match(runs, f"params.seed < {huge}") == ["a1"]
    assert match(runs, "metrics.loss < 1e999") == ["a1"]


def test_bad_time_literal_is_a_parse_error() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter("attributes.start_time > 'yesterday'")
    assert info.value.position == 24


# --- errors and positions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "position", "fragment"),
    [
        ("foo.x = 1", 0, "unknown entity"),
        ("params.x = 1 and bar.y = 2", 17, "unknown entity"),
        ("attributes.colour = 'red'", 11, "unknown attribute"),
        ("loss < 1", 0, "unknown attribute"),
        ("params.x =", 10, "missing value"),
        ("params.x = and", 11, "expected a value"),
        ("params.x = abc", 11, "quote strings"),
        ("params.x = null", 11, "IS NULL"),
        ("params.x = 'abc", 11, "unterminated string"),
        ('params."abc = 1', 7, "unterminated quoted key"),
        ("metrics.`val = 1", 8, "unterminated quoted key"),
        ("(params.x = 1", 0, "never closed"),
        ("((params.x = 1) or params.y = 2", 0, "never closed"),
        ("params.x = 1)", 12, "unbalanced parenthesis"),
        ("(params.x = 1 params.y = 2)", 14, "expected ')'"),
        ("params.x = 1 params.y = 2", 13, "unexpected text"),
        ("params.x = 1 junk", 13, "unexpected text"),
        ("metrics.loss LIKE 'a%'", 13, "LIKE does not apply"),
        ("metrics.loss REGEXP 'a'", 13, "REGEXP does not apply"),
        ("attributes.start_time ILIKE '2026%'", 22, "ILIKE does not apply"),
        ("params.x", 8, "missing comparator"),
        ("params.x ~ 1", 9, "unexpected character"),
        ("params.x ! 1", 9, "'!' must be followed"),
        ("params.x IS 1", 12, "expected NULL"),
        ("params.x IS NOT 'a'", 16, "expected NULL"),
        ("params.x NOT = 1", 13, "after NOT"),
        ("params.x IN 1", 12, "expected '('"),
        ("params.x IN ()", 13, "expected a value"),
        ("params.x IN (1, 2", 12, "never closed"),
        ("params.x IN (1 2)", 15, "expected ',' or ')'"),
        ("params.x LIKE 5", 14, "quoted pattern"),
        ("params.x REGEXP '('", 16, "bad regular expression"),
        ("params.x = 1 and", 16, "missing term"),
        ("and params.x = 1", 0, "expected a term"),
        ("params. = 1", 7, "missing key"),
        ("params.'k' = 1", 7, "missing key"),
        ("`k` = 1", 0, "backtick"),
        ("params.x = 12abc", 11, "malformed number"),
        ("params.x = 1.2.3", 11, "malformed number"),
        ("metrics.m > 'x'", 12, "expected a number"),
    ],
)
def test_error_positions(flt: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(flt)
    err = info.value
    assert err.position == position, str(err)
    assert fragment in err.reason
    assert err.filter_string == flt
    # the caret sits under the offending character
    lines = str(err).splitlines()
    assert lines[-1] == "  " + " " * position + "^"


def test_error_is_raised_by_filter_runs_too(runs: list[RunSummary]) -> None:
    with pytest.raises(FilterSyntaxError):
        filter_runs(runs, "params.x =")


# --- API -----------------------------------------------------------------------------------------


def test_filter_object_is_reusable_and_reports_keys(runs: list[RunSummary]) -> None:
    flt = parse_filter(
        "metric.`val/loss` < 1 and (param.lr > 0 or tag.team = 'x') and status = 'FAILED'"
        " and run.name IS NOT NULL"
    )
    assert isinstance(flt, Filter)
    assert flt.referenced_keys() == {
        ("metrics", "val/loss"),
        ("params", "lr"),
        ("tags", "team"),
        ("attributes", "status"),
        ("attributes", "run_name"),
    }
    assert [flt.matches(r) for r in runs] == [False, False, False]
    assert [flt.matches(r) for r in runs] == [False, False, False]
    assert parse_filter("").referenced_keys() == set()


def test_filter_runs_keeps_input_order_and_accepts_iterables(runs: list[RunSummary]) -> None:
    assert ids(filter_runs(reversed(runs), "params.opt IS NOT NULL")) == ["c3", "b2", "a1"]
    assert ids(filter_runs(iter(runs), "")) == ["a1", "b2", "c3"]


def test_value_of_returns_none_for_missing(runs: list[RunSummary]) -> None:
    a1 = runs[0]
    assert value_of(a1, "param", "lr") == 0.01
    assert value_of(a1, "metrics", "val/loss") == 0.6
    assert value_of(a1, "tags", "team") == "vision"
    assert value_of(a1, "attr", "name") == "alpha"
    assert value_of(a1, "attributes", "duration") == 60
    assert value_of(a1, "params", "nope") is None
    assert value_of(runs[2], "attributes", "end_time") is None
    with pytest.raises(ValueError):
        value_of(a1, "bogus", "x")
    with pytest.raises(ValueError):
        value_of(a1, "attributes", "bogus")


# --- property-based --------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "metrics.", "params.", "tags.", "attributes.", "run.", "status", "start_time", "loss",
        "x", "`", '"', "'", "''", "(", ")", ",", " ", "=", "!=", "<", "<=", ">", ">=", "!", "and",
        "or", "not", "in", "is", "null", "like", "ilike", "regexp", "true", "1", "-2.5e3", ".",
        "%", "_", "\\", "é", "'[('", "'('", "\n",
    ]
)  # fmt: skip


@settings(max_examples=300)
@given(st.text())
def test_random_text_raises_only_filter_syntax_error(text: str) -> None:
    run = make_run(params={"x": 1}, metrics={"loss": 0.1}, tags={"t": "v"})
    try:
        flt = parse_filter(text)
    except FilterSyntaxError as err:
        assert 0 <= err.position <= len(text)
        return
    assert isinstance(flt.matches(run), bool)


@settings(max_examples=500)
@given(st.lists(_FRAGMENTS, max_size=14).map("".join))
def test_grammar_soup_raises_only_filter_syntax_error(text: str) -> None:
    run = make_run(params={"x": 1, "loss": "a"}, metrics={"loss": float("nan")}, tags={"x": "v"})
    try:
        flt = parse_filter(text)
    except FilterSyntaxError as err:
        assert 0 <= err.position <= len(text)
        return
    assert isinstance(flt.matches(run), bool)


@given(st.text())
def test_quoted_string_round_trips_through_the_tokenizer(value: str) -> None:
    tokens = tokenize(quote_string(value))
    assert [t.kind for t in tokens] == ["STRING", "EOF"]
    assert tokens[0].text == value


@given(st.text(min_size=1), st.sampled_from(["metrics", "params", "tags"]))
def test_quoted_key_round_trips(key: str, entity: str) -> None:
    tokens = tokenize(field_ref(entity, key) + " IS NULL")
    assert (tokens[0].kind, tokens[0].text, tokens[0].key) == ("FIELD", entity, key)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return quote_string(value)
    return repr(value)


_VALUES = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=6, unique=True),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6, unique=True),
    st.lists(st.text(), min_size=1, max_size=6, unique=True),
)


@given(_VALUES, st.data())
def test_equality_filter_matches_exactly_the_holder(values: list[Any], data: st.DataObject) -> None:
    runs = [make_run(f"r{i}", params={"k": v}) for i, v in enumerate(values)]
    runs.append(make_run("none", params={"other": 1}))
    i = data.draw(st.integers(0, len(values) - 1))
    assert ids(filter_runs(runs, f"params.k = {_literal(values[i])}")) == [f"r{i}"]
    others = [f"r{j}" for j in range(len(values)) if j != i]
    assert ids(filter_runs(runs, f"params.k != {_literal(values[i])}")) == others


@given(st.text(min_size=1), st.text())
def test_any_key_and_value_can_be_written(key: str, value: str) -> None:
    run = make_run(params={key: value}, tags={key: value})
    for entity in ("params", "tags"):
        flt = f"{field_ref(entity, key)} = {quote_string(value)}"
        assert parse_filter(flt).matches(run)
        assert parse_filter(flt).referenced_keys() == {(entity, key)}


@given(st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_metric_ordering_agrees_with_python(a: float, b: float) -> None:
    assume(not math.isinf(b))
    run = make_run(metrics={"m": a})
    for op, expected in (("<", a < b), ("=", a == b), (">=", a >= b), ("!=", a != b)):
        assert parse_filter(f"metrics.m {op} {b!r}").matches(run) is expected
