"""LFS pointer files: gx writes what git-lfs writes and reads what git-lfs reads, nothing else."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from gx.lfs.pointer import Pointer, parse

OID = hashlib.sha256(b"hello\n").hexdigest()


def test_round_trip():
    p = Pointer(OID, 6)
    assert parse(p.encode()) == p


def test_same_bytes_as_git_lfs(tmp_path, git_lfs):
    """The pointer gx writes is byte for byte the one `git lfs pointer` prints for the same content."""
    f = tmp_path / "f"
    f.write_bytes(b"hello\n")
    out = subprocess.run(["git", "lfs", "pointer", f"--file={f}"], capture_output=True, check=True,
                         timeout=30, cwd=tmp_path).stdout
    assert Pointer(OID, 6).encode() == out
    assert parse(out) == Pointer(OID, 6)


@pytest.mark.parametrize("text", [
    b"",
    b"hello\n",
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 6".encode(),  # no final newline
    f"version https://example.com/v9\noid sha256:{OID}\nsize 6\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID.upper()}\nsize 6\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\noid md5:{OID}\nsize 6\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize -6\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 06\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\nsize 6\noid sha256:{OID}\n".encode(),  # unsorted
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\noid sha256:{OID}\nsize 6\n".encode(),
    f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 6\n".encode() + b"x" * 1024,
    b"version https://git-lfs.github.com/spec/v1\n\xff\n",
])
def test_not_a_pointer(text):
    """Anything that is not exactly a pointer is ordinary content, never a crash."""
    assert parse(text) is None


def test_extension_keys_sorted_are_accepted():
    text = (f"version https://git-lfs.github.com/spec/v1\next-0-foo sha256:{OID}\noid sha256:{OID}\n"
            f"size 6\n").encode()
    assert parse(text) == Pointer(OID, 6)
