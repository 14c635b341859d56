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


def test_local_store_is_git_lfs_layout(repo, git_lfs):
    """An object gx stores is one `git lfs fsck` accepts under a pointer committed the git-lfs way, and a
    corrupt copy is refused by gx before use."""
    from gx.lfs.objects import BadObject, object_path, open_object, store_file
    from gx.paths import find_repo

    common = find_repo(repo.path).common_dir
    src = repo.path / "big.bin"
    src.write_bytes(b"x" * 3_000_000)
    pointer = store_file(common, src)
    assert pointer == Pointer(hashlib.sha256(src.read_bytes()).hexdigest(), 3_000_000)
    path = object_path(common, pointer.oid)
    assert path == repo.path / ".git" / "lfs" / "objects" / pointer.oid[:2] / pointer.oid[2:4] / pointer.oid
    (repo.path / "big.bin").write_bytes(pointer.encode())
    (repo.path / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    subprocess.run(["git", "add", "big.bin", ".gitattributes"], cwd=repo.path, check=True, timeout=30)
    subprocess.run(["git", "commit", "-qm", "lfs"], cwd=repo.path, check=True, timeout=30)
    ok = subprocess.run(["git", "lfs", "fsck"], cwd=repo.path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with open_object(common, pointer) as fh:
        assert fh.read(1) == b"x"
    path.write_bytes(b"x" * 2_999_999)
    with pytest.raises(BadObject):
        open_object(common, pointer)
    assert not list((common / "lfs" / "tmp").iterdir())
