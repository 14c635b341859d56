"""The YAML wrapper: gx-written files read back identically through the fast path and PyYAML."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from gx import yamlio

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
                    st.text(max_size=20), st.sampled_from(["yes", "No", "on", "1e3", "0x10", "1:20", "-c", "/usr/bin/x",
                                                           "2026-11-24", "a: b", "x #y", "'q'", "", " lead", "~"]))
keys = st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(["yes", "1", "true", "a.b", "val/loss", "-k"]))
documents = st.dictionaries(keys, st.one_of(scalars, st.dictionaries(keys, scalars, max_size=4),
                                            st.lists(scalars, max_size=4)), max_size=8)


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@given(documents)
def test_fast_loader_agrees_with_pyyaml(doc):
    text = yamlio.dump(doc)
    assert same(yamlio.load_fast(text), yamlio.load(text))
    assert same(yamlio.load(text), doc)


def test_fast_path_is_taken_for_typical_files():
    text = yamlio.dump({"alpha": 0.1, "model": "lasso", "n": 3, "flag": True, "none": None, "nan": math.nan,
                        "source": {"commit": "abc123", "dirty": False}, "command": ["/usr/bin/python", "-c", "train.py"]})
    assert yamlio._parse_simple(text)["command"] == ["/usr/bin/python", "-c", "train.py"]


def test_exponent_floats_are_floats_as_in_yaml_1_2():
    from gx.values import parse_assignment

    assert yamlio.load("lr: 1e-3\nbig: 2E+5\n") == {"lr": 0.001, "big": 200000.0}
    assert parse_assignment("lr=1e-3") == ("lr", 0.001)
    assert yamlio.load(yamlio.dump({"s": "1e-3"})) == {"s": "1e-3"}  # the string stays a string
    assert yamlio.load_fast("lr: 1e-3\n") == {"lr": 0.001}
