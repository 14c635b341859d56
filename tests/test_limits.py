"""Bounded parsing and reading: YAML bombs, deep nesting, FIFOs and huge files are refused fast."""

from __future__ import annotations

import os
import time

import pytest

from gx import limits, yamlio
from gx.errors import BadFile

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("doc, words", [
    (LAUGHS, "expands to more than"),
    ("&a [*a]", "refers to itself"),
    ("[" * 200_000 + "]" * 200_000, "nested deeper"),
    ("{a: " * 100_000, "nested deeper"),
    ("x" * (limits.MAX_DOCUMENT_BYTES + 1), "bytes; the limit is"),
])
def test_hostile_yaml_is_refused_quickly(doc, words):
    start = time.process_time()
    with pytest.raises(yamlio.YAMLLimitError, match=words):
        yamlio.load(doc)
    assert time.process_time() - start < 1.0


def test_ordinary_yaml_with_aliases_still_loads():
    assert yamlio.load("base: &b {lr: 0.1}\nrun: *b\nlist: [1, [2, 3]]\n") == {
        "base": {"lr": 0.1}, "run": {"lr": 0.1}, "list": [1, [2, 3]]}


def test_load_fast_keeps_the_size_limit():
    with pytest.raises(yamlio.YAMLLimitError):
        yamlio.load_fast("a: " + "x" * limits.MAX_DOCUMENT_BYTES)


def test_read_regular_file_refuses_fifos_devices_directories_and_big_files(tmp_path):
    fifo = tmp_path / "metrics.json"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(BadFile, match="not a regular file"):
        limits.read_regular_file(fifo, 1000, "metrics file")
    with pytest.raises(BadFile, match="not a regular file"):
        limits.read_regular_file("/dev/zero", 1000)
    with pytest.raises(BadFile, match="directory"):
        limits.read_regular_file(tmp_path, 1000)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(BadFile, match="1,001 bytes; the limit is 1,000"):
        limits.read_regular_file(big, 1000)
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(BadFile, match="not a regular file"):
        limits.read_regular_file(link, 1000)
    (tmp_path / "ok.json").write_bytes(b"{}")
    assert limits.read_regular_file(tmp_path / "ok.json", 1000) == b"{}"
