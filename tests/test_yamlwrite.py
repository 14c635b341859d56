"""gx.yamlwrite: the text PyYAML writes for gx's files, without loading PyYAML; what it cannot
vouch for goes to PyYAML. (The whole suite runs with GX_YAML_CHECK=1: every document it writes for a
run is compared with PyYAML's.)"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from gx import yamlio, yamlwrite

STRINGS = [
    "", "a", "default", "FINISHED", "train.py", "/usr/bin/python3.11", "_x", "a b c", "a - b", "x=1", "lr=0.1",
    "Seed 5105bc0a maintainers <maintainers@users.noreply.example>", "Linux-6.18.44-fc-x86_64-with-glibc2.36",
    "3.11.7", "0.1.0", "7f17ac28edc14c7f913422bccf01e11d", "81c41aa862d131325ad6ad23cc363b1a44a92fac",
    "0123", "0x1F", "0b101", "0o17", "12", "-3", "+4", "1_000", "1.5", ".5", "1e5", "1E-3", "1.0e+20", "1:30",
    "1:30.5", "190:20:30", "2026-12-02", "2026-12-02T06:25:14.420316Z", "2026-12-2 6:25:14", "2026-12-02t06:25:14-05:00",
    "yes", "No", "ON", "off", "true", "False", "null", "NULL", "Null", "nil", "~", "y", "n", ".", "/", "a.", "a:b",
    "http://example.com/x", "localhost:8000", "a:", ":a", "a: b", "a #b", "a#b", "#a", "-a", "- a", "?a", "a?",
    "a,b", "[a]", "{a}", "'a'", 'a"b', "a\\b", " a", "a ", "a  b", "a\nb", "é", "naïve", "a\tb", "@a", "a@b",
    "%a", "&a", "*a", "!a", "|a", ">a", "<<", "=", "a=", ".inf", "-.inf", ".nan", ".NaN", "inf", "nan", "x" * 200,
    "--lr=0.1", "---", "...", "....x", "---x", "-", "-x", "-:a", "+", "=a", "a=b:c", "@x", "x@y:z", "-1", "-1:30", "+.5", "-.5e+3", "-0x1f", "--",
]
VALUES = [None, True, False, 0, -1, 10**30, 0.0, -0.0, 0.1, 1e-05, 1e20, 1.5e300, math.inf, -math.inf, math.nan,
          3.141592653589793, {}, [], *STRINGS]


@pytest.mark.parametrize("value", VALUES)
def test_a_value_is_written_as_pyyaml_writes_it(value):
    for document in ({"k": value}, {"outer": {"k": value, "n": 1}}, {"list": [value, 1]}, [value], [{"k": value}],
                     {str(value)[:120] if isinstance(value, str) else "k": 1}):
        assert yamlwrite.dump(document) == yamlio.dump(document), document  # GX_YAML_CHECK compares too


def test_what_it_writes_itself_and_what_it_leaves_to_pyyaml():
    run = {"format": 1, "id": "7f17ac28", "name": "", "start_time": "2026-12-02T06:25:14.420316Z", "duration": 0.04,
           "command": ["/usr/bin/python3", "train.py", "--lr=0.1"], "author": "A <a@b.c>", "python": "3.11.7",
           "source": {"commit": "81c41aa8", "branch": "main", "dirty": False}, "metrics": {"loss": {"value": 0.5,
                                                                                                  "step": 3}},
           "inputs": [{"path": "data/train.csv", "size": 10}], "empty": {}, "none": []}
    text = yamlwrite.fast(run)  # written here
    assert text == yamlio.dump(run)
    shared = [1]
    for other in ({"k": "a #b"}, {"k": "a\nb"}, {1: "a"}, {"k": (1, 2)}, {"k": [[1]]}, {"x" * 128: 1},
                  {"a": shared, "b": shared}, "scalar", 5):
        with pytest.raises(yamlwrite._Unsure):
            yamlwrite.fast(other)
        assert yamlwrite.dump(other) == yamlio.dump(other)  # PyYAML's
    assert yamlio.load(yamlwrite.dump(run)) == run


def test_a_run_is_written_without_loading_pyyaml(tmp_path):
    code = ("import sys; from gx.store.encode import encode_files; from gx.records import RunRecord; "
            "encode_files(RunRecord(run_id='ab12', experiment='e', status='FINISHED', params={'lr': 0.1}, "
            "tags={'who': 'me'}, command=['python', 'train.py'], start_time=1.0, end_time=2.0)); "
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_difference_from_pyyaml_is_caught_when_checking(monkeypatch):
    monkeypatch.setattr(yamlwrite, "float_text", lambda value: repr(value) + "0")
    with pytest.raises(AssertionError, match="PyYAML writes"):
        yamlwrite.dump({"k": 0.5})


@pytest.mark.parametrize("alphabet", ["aZ09_./@+=<>()- :#,?[]{}'\"\\!&*|%`~\té-.", "0123456789-+:._eExXbBoOtTZ nNaAiIfF~"])
def test_random_strings_are_written_as_pyyaml_writes_them(alphabet):
    """A fixed-seed fuzz against PyYAML (it found the document markers, '---' and '...')."""
    import random

    rng = random.Random(7)
    written = 0
    for _ in range(20_000):
        head = rng.choice(["", "", "", "-", "--", "---", ".", "...", "0", "1:", "2026-12-02", "_", "/"])
        text = head + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        for document in ({"k": text}, {"o": {"k": [text, {text or "q": text}]}}):
            try:
                fast = yamlwrite.fast(document)
            except yamlwrite._Unsure:
                continue
            written += 1
            assert fast == yamlio.dump(document), document
    assert written > 5_000  # the fuzz reaches the fast path
