"""Copies between a clone's LFS store and a path remote's show the same progress line as transfers over
HTTP once they take over a second, and stay silent when they are quick."""

from __future__ import annotations

from gx.lfs import progress
from gx.lfs.objects import has_object, store_file
from gx.lfs.remote import copy_objects


def _stores(tmp_path):
    source, target = tmp_path / "a.git", tmp_path / "b.git"
    data = tmp_path / "model.bin"
    data.write_bytes(b"w" * 3_000_000)
    return source, target, store_file(source, data)


def test_a_slow_copy_shows_objects_bytes_and_rate(tmp_path, capsys, monkeypatch):
    source, target, pointer = _stores(tmp_path)
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.0)  # every copy counts as slow
    assert copy_objects(source, target, [pointer], "the test store", "upload") == 1
    err = capsys.readouterr().err
    assert "LFS upload: 1/1 objects, 3.0 MB of 3.0 MB" in err and err.rstrip().endswith(", done")
    assert has_object(target, pointer)


def test_a_quick_copy_is_silent_and_a_present_object_is_not_copied(tmp_path, capsys):
    source, target, pointer = _stores(tmp_path)
    assert copy_objects(source, target, [pointer], "the test store", "download") == 1
    assert copy_objects(source, target, [pointer], "the test store", "download") == 0
    assert capsys.readouterr().err == ""
