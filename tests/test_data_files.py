"""Issue 15: files as run inputs (``gx run --input``): hashes streamed, what git, Git LFS and DVC
already know reused, and ``gx compare``/``gx diff``/``gx show``/``gx ls --input`` on them."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest

import gx.query.runs
from gx.lfs.pointer import Pointer


def run_with(cli, *inputs: str, name: str = "") -> str:
    args = [a for path in inputs for a in ("--input", path)]
    res = cli("run", "-q", *(["-n", name] if name else []), *args, "--", "true")
    assert res.exit_code == 0, res.output
    return gx.query.runs.list_runs()[0].run_id


def record(run_id: str):
    return gx.query.runs.get_record(run_id)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_same_path_new_content_is_changed_and_same_content_elsewhere_is_same(repo, cli):
    repo.write("data/train.csv", "a,b\n1,2\n")
    first = run_with(cli, "data/train.csv", name="first")
    repo.write("data/train.csv", "a,b\n1,3\n")
    second = run_with(cli, "data/train.csv", name="second")
    res = cli("diff", first, second)
    assert res.output.splitlines()[0] == "data: changed (train.csv)"
    res = cli("compare", first, second, "--format", "md")
    assert res.output.splitlines()[0] == "data: changed (train.csv)"

    repo.write("copy/train.csv", "a,b\n1,3\n")  # the second run's content under another folder
    third = run_with(cli, "copy/train.csv", name="third")
    assert cli("diff", second, third).output.splitlines()[0] == "data: same"
    assert cli("compare", first, third).output.splitlines()[0] == "data: changed (train.csv)"
    assert json.loads(cli("compare", first, third, "--format", "json").output)["data"] == {
        "same": False, "changed": ["train.csv"]}
    assert json.loads(cli("diff", second, third, "--format", "json").output)["data"] == {"same": True, "changed": []}

    facts = record(second).inputs[0].file
    assert (facts.path, facts.size, facts.sha256) == ("data/train.csv", 8, sha256(b"a,b\n1,3\n"))
    assert facts.git == "untracked" and facts.git_blob is None
    repo.fsck()


def test_git_blob_id_and_state_of_tracked_files(repo, cli):
    repo.write("data/x.csv", "1\n")
    repo.git("add", "data/x.csv")
    repo.git("commit", "-qm", "data")
    facts = record(run_with(cli, "data/x.csv")).inputs[0].file
    assert facts.git == "clean" and facts.git_blob == repo.git("hash-object", "data/x.csv").strip()
    repo.write("data/x.csv", "2\n")
    facts = record(run_with(cli, "data/x.csv")).inputs[0].file
    assert facts.git == "modified" and facts.git_blob == repo.git("hash-object", "data/x.csv").strip()


def test_globs_and_repeats_pick_each_file_once(repo, cli):
    for name in ("a.csv", "b.csv", "notes.txt"):
        repo.write(f"data/{name}", name)
    run_id = run_with(cli, "data/*.csv", "data/a.csv", "data/notes.txt")
    assert [i.file.path for i in record(run_id).inputs] == ["data/a.csv", "data/b.csv", "data/notes.txt"]
    shown = cli("show", run_id).output
    assert "inputs:" in shown and "data/b.csv" in shown and f"sha256 {sha256(b'b.csv')[:12]}" in shown
    as_json = json.loads(cli("show", run_id, "--json").output)
    assert [i["file"]["path"] for i in as_json["inputs"]] == ["data/a.csv", "data/b.csv", "data/notes.txt"]


@pytest.mark.parametrize("arg, message", [
    ("data/missing.csv", "input 'data/missing.csv' does not exist"),
    ("data", "input 'data' is a directory; give files, or a glob such as 'data/*.csv'"),
    ("data/*.parquet", "input 'data/*.parquet' matches no file"),
])
def test_bad_input_is_one_line_and_nothing_runs(repo, cli, arg, message):
    repo.write("data/a.csv", "x")
    res = cli("run", "--input", arg, "--", "touch", "ran")
    assert res.exit_code == 1
    assert res.output == f"gx: error: {message}\n"
    assert not (repo.path / "ran").exists() and gx.query.runs.list_runs() == []


def test_lfs_pointer_reuses_the_oid_without_the_content(repo, cli):
    content = b"big model input\n" * 1000
    oid = sha256(content)
    (repo.path / "data").mkdir()
    (repo.path / "data/big.bin").write_bytes(Pointer(oid, len(content)).encode())
    run_id = run_with(cli, "data/big.bin")
    facts = record(run_id).inputs[0].file
    assert (facts.lfs_oid, facts.size, facts.sha256) == (oid, len(content), None)
    assert f"Git LFS oid {oid[:12]}" in cli("show", run_id).output
    # a smudged checkout of the same content is the same data: the oid is its sha256
    (repo.path / "data/big.bin").write_bytes(content)
    assert cli("diff", run_id, run_with(cli, "data/big.bin")).output.splitlines()[0] == "data: same"


def write_dvc(path, md5: str, size: int, out_path: str) -> None:
    """A ``.dvc`` file as ``dvc add`` (DVC 3) writes it."""
    path.write_text(f"outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: {out_path}\n")


def test_dvc_recorded_md5_is_reused_without_reading_the_file(repo, cli):
    data = repo.path / "data" / "train.csv"
    data.parent.mkdir()
    data.write_bytes(b"a,b\n1,2\n")
    # a recorded md5 that is not the content's: had gx read the file, it would not find this one
    recorded = "0123456789abcdef0123456789abcdef"
    write_dvc(data.with_name("train.csv.dvc"), recorded, 8, "train.csv")
    os.utime(data, ns=(time.time_ns() - 10**9, time.time_ns() - 10**9))
    run_id = run_with(cli, "data/train.csv")
    facts = record(run_id).inputs[0].file
    assert (facts.dvc_md5, facts.dvc_file, facts.sha256) == (recorded, "data/train.csv.dvc", None)
    assert "DVC md5 0123456789ab (data/train.csv.dvc)" in cli("show", run_id).output

    data.write_bytes(b"a,b\n9,9\n")  # same size, changed after dvc add: the record no longer describes it
    os.utime(data.with_name("train.csv.dvc"), ns=(time.time_ns() - 5 * 10**9, time.time_ns() - 5 * 10**9))
    facts = record(run_with(cli, "data/train.csv")).inputs[0].file
    assert facts.dvc_md5 is None and facts.sha256 == sha256(b"a,b\n9,9\n")
    data.write_bytes(b"a,b\n1,99\n")  # another size: stale whatever the times say
    os.utime(data, ns=(time.time_ns() - 10 * 10**9, time.time_ns() - 10 * 10**9))
    facts = record(run_with(cli, "data/train.csv")).inputs[0].file
    assert facts.dvc_md5 is None and facts.sha256 == sha256(b"a,b\n1,99\n")


def test_dvc_lock_outs_are_found_from_the_stage_folder(repo, cli):
    out = repo.path / "pipeline" / "out" / "features.csv"
    out.parent.mkdir(parents=True)
    out.write_bytes(b"f\n1\n")
    os.utime(out, ns=(time.time_ns() - 10**9, time.time_ns() - 10**9))
    recorded = "fedcba9876543210fedcba9876543210"
    (repo.path / "pipeline" / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  featurize:\n    cmd: python featurize.py\n    outs:\n"
        f"    - path: out/features.csv\n      hash: md5\n      md5: {recorded}\n      size: 4\n")
    facts = record(run_with(cli, "pipeline/out/features.csv")).inputs[0].file
    assert (facts.dvc_md5, facts.dvc_file) == (recorded, "pipeline/dvc.lock")


def test_ls_input_lists_runs_that_used_the_current_content(repo, cli):
    repo.write("data/train.csv", "v1\n")
    old = run_with(cli, "data/train.csv", name="old")
    repo.write("data/train.csv", "v2\n")
    new = run_with(cli, "data/train.csv", name="new")
    repo.write("moved.csv", "v1\n")
    moved = run_with(cli, "moved.csv", name="moved")
    run_with(cli, name="none")

    def listed(*args: str) -> set[str]:
        res = cli("ls", "--format", "csv", "-c", "name", *args)
        assert res.exit_code == 0, res.output
        return {line.split(",")[1] for line in res.output.splitlines()[1:]}

    assert listed("--input", "data/train.csv") == {"new"}
    repo.write("data/train.csv", "v1\n")
    assert listed("--input", "data/train.csv") == {"old", "moved"}
    assert listed("--input", "data/train.csv", "-f", "attributes.run_name = 'moved'") == {"moved"}
    assert {old, moved} and new
    res = cli("ls", "--input", "nope.csv")
    assert res.exit_code == 1 and res.output == "gx: error: input 'nope.csv' does not exist\n"


def test_hashing_a_large_file_keeps_memory_flat(tmp_path):
    """The benchmark measures 1 GiB; this guards the same property on 128 MiB."""
    import subprocess
    import sys

    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(128 * 1024 * 1024)  # sparse: reading it costs no disk, the hashing is real
    code = ("import resource, sys; from pathlib import Path; from gx.data.files import hash_file; "
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
            "size, digest, blob = hash_file(Path(sys.argv[1])); "
            "print(size, digest, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)")
    out = subprocess.run([sys.executable, "-c", code, str(big)], capture_output=True, text=True, check=True)
    size, digest, grown_kib = out.stdout.split()
    expected, zeros = hashlib.sha256(), bytes(1024 * 1024)
    for _ in range(128):
        expected.update(zeros)
    assert (int(size), digest) == (128 * 1024 * 1024, expected.hexdigest())
    assert int(grown_kib) < 8 * 1024, f"hashing grew the process by {grown_kib} KiB"


def test_an_unchanged_file_is_read_once(repo, cli):
    data = repo.write("data/big.csv", "a\n1\n")
    time.sleep(1.1)  # a file changed in the last second is hashed again every time (racy-clean guard)
    run_with(cli, "data/big.csv")
    cache_file = repo.path / ".git" / "gx" / "cache" / "input-hashes.json"
    cache = json.loads(cache_file.read_text())
    [entry] = cache.values()
    assert entry[4] == sha256(b"a\n1\n")
    entry[4] = "f" * 64  # had gx read the file again, it would record the real hash
    cache_file.write_text(json.dumps(cache))
    assert record(run_with(cli, "data/big.csv")).inputs[0].file.sha256 == "f" * 64
    data.write_text("a\n2\n")  # same size, new content: the stat no longer matches
    assert record(run_with(cli, "data/big.csv")).inputs[0].file.sha256 == sha256(b"a\n2\n")
