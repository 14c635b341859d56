"""Issue 14, writing: artifacts over the LFS threshold become Git LFS pointers in the run's tree, with
their content in .git/lfs/objects as git-lfs lays it out, checked with the real git-lfs binary."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

import gx
from conftest import gx_subprocess
from gx.errors import ArtifactTooLarge, BadValue
from gx.lfs.config import DEFAULT_THRESHOLD, parse_size, settings
from gx.lfs.objects import open_object
from gx.lfs.pointer import Pointer

EXP_REF = "refs/experiments/default"


def lfs_object(repo, data: bytes):
    oid = hashlib.sha256(data).hexdigest()
    return repo.path / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid


def test_sizes_and_where_the_threshold_comes_from(repo, monkeypatch):
    assert parse_size("10MB", "x") == parse_size("10 MiB", "x") == 10 * 2**20
    assert parse_size(1234, "x") == 1234 and parse_size("1.5k", "x") == 1536
    with pytest.raises(BadValue, match="'ten' is not a size"):
        parse_size("ten", "x")
    assert settings(repo.path).threshold == DEFAULT_THRESHOLD and settings(repo.path).max_bytes is None
    repo.write("gx.yaml", "lfs:\n  threshold: 2KB\n  max_size: 1MB\n")
    assert (settings(repo.path).threshold, settings(repo.path).max_bytes) == (2048, 2**20)
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100")  # the environment wins over gx.yaml
    assert settings(repo.path).threshold == 100
    monkeypatch.setenv("GX_LFS_THRESHOLD", "50GB")  # never above the largest plain blob gx writes
    assert settings(repo.path).threshold == DEFAULT_THRESHOLD


def test_large_artifacts_are_pointers_that_git_lfs_understands(repo, git_lfs, monkeypatch, tmp_path):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    big = os.urandom(300_000)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "weights one.bin").write_bytes(big)
    (tmp_path / "out" / "small.txt").write_text("small\n")
    (tmp_path / "report.bin").write_bytes(big[::-1])
    with gx.start_run() as run:
        gx.log_artifacts(str(tmp_path / "out"), artifact_path="model")
        gx.log_artifact(str(tmp_path / "report.bin"))
        gx.log_text("t" * 200_000, "notes.txt")
    tree = repo.git("ls-tree", "-r", "--name-only", EXP_REF).split("\n")
    assert ".gitattributes" in tree
    attributes = repo.git("show", f"{EXP_REF}:.gitattributes")
    assert attributes == ("artifacts/model/weights[[:space:]]one.bin filter=lfs diff=lfs merge=lfs -text\n"
                          "artifacts/notes.txt filter=lfs diff=lfs merge=lfs -text\n"
                          "artifacts/report.bin filter=lfs diff=lfs merge=lfs -text\n")
    pointer = repo.git("show", f"{EXP_REF}:artifacts/report.bin")
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1\noid sha256:")
    assert repo.git("show", f"{EXP_REF}:artifacts/model/small.txt") == "small\n"  # below: unchanged
    assert lfs_object(repo, big).read_bytes() == big  # git-lfs's layout
    listed = repo.git("lfs", "ls-files", "--name-only", EXP_REF).split("\n")
    assert {"artifacts/model/weights one.bin", "artifacts/notes.txt", "artifacts/report.bin"} <= set(listed)
    assert "Git LFS fsck OK" in repo.git("lfs", "fsck", EXP_REF)
    # git-lfs's own checkout of the run's tree smudges the pointers back into the content
    repo.git("lfs", "install", "--local")
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "checkout"), EXP_REF)
    assert (tmp_path / "checkout" / "artifacts" / "report.bin").read_bytes() == big[::-1]
    client = gx.MlflowClient()
    sizes = {f.path: f.file_size for f in client.list_artifacts(run.info.run_id, "model")}
    assert sizes == {"model/small.txt": 6, "model/weights one.bin": 300_000}
    repo.fsck()


def test_the_large_file_cap_is_one_line_at_the_call(repo, monkeypatch, tmp_path):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "1KB")
    repo.write("gx.yaml", "lfs:\n  max_size: 10KB\n")
    (tmp_path / "big.bin").write_bytes(b"x" * 20_000)
    with gx.start_run(), pytest.raises(ArtifactTooLarge, match=r"'big.bin' is 20,000 bytes, over the 10,240-byte cap"):
        gx.log_artifact(str(tmp_path / "big.bin"))
    assert not (repo.path / ".git" / "lfs" / "objects").exists()  # refused before anything was copied


KILLED = r"""
import os, signal, gx
with gx.start_run(run_name="killed"):
    gx.log_artifact("big.bin")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_run_with_a_large_artifact_is_recorded_with_it(repo, git_lfs):
    big = os.urandom(3 * 2**20)
    (repo.path / "big.bin").write_bytes(big)
    script = repo.write("killed.py", KILLED)
    env = dict(os.environ, GX_LFS_THRESHOLD="1MB")
    proc = subprocess.run([sys.executable, str(script)], cwd=repo.path, env=env, capture_output=True, timeout=60)
    assert proc.returncode == -9
    listing = gx_subprocess("ls", "--json", cwd=repo.path)  # recovers the dead run first
    (run,) = json.loads(listing.stdout)
    assert run["status"] == "KILLED"
    assert repo.git("show", f"{EXP_REF}:artifacts/big.bin").startswith("version https://git-lfs")
    assert "Git LFS fsck OK" in repo.git("lfs", "fsck", EXP_REF)
    got = gx_subprocess("artifacts", "get", run["run_id"], "big.bin", "-o", "got", cwd=repo.path)
    assert got.returncode == 0, got.stderr
    assert (repo.path / "got" / "big.bin").read_bytes() == big
    repo.fsck()


STREAM = r"""
import resource, sys
import gx

def address_space():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024

with gx.start_run(run_name="big"):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (address_space() + 100 * 2**20, hard))
    try:
        gx.log_artifact(sys.argv[1])
        print("ACCEPTED")
    except MemoryError:
        print("MEMORYERROR")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
"""


def test_a_large_artifact_streams_into_the_store_under_a_memory_limit(repo, tmp_path):
    big = tmp_path / "weights.bin"
    with open(big, "wb") as fh:
        fh.truncate(200 * 2**20)  # sparse to write, 200 MB to read: twice the memory the child may add
    script = repo.write("stream.py", STREAM)
    proc = subprocess.run([sys.executable, str(script), str(big)], cwd=repo.path, capture_output=True, timeout=120)
    assert proc.stdout.decode().strip() == "ACCEPTED", proc.stderr.decode()[-1500:]
    pointer = repo.git("show", f"{EXP_REF}:artifacts/weights.bin")
    assert f"size {200 * 2**20}" in pointer
    assert not list((repo.path / ".git" / "lfs" / "tmp").iterdir())  # no partial object left behind
    repo.fsck()


def test_gx_run_children_log_large_artifacts_the_same_way(repo, git_lfs):
    big = os.urandom(200_000)
    (repo.path / "out.bin").write_bytes(big)
    proc = gx_subprocess("run", "--", sys.executable, "-c", "import gx; gx.log_artifact('out.bin', 'outputs')",
                         cwd=repo.path, env={"GX_LFS_THRESHOLD": "100KB"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert repo.git("show", f"{EXP_REF}:.gitattributes") == "artifacts/outputs/out.bin filter=lfs diff=lfs merge=lfs -text\n"
    assert lfs_object(repo, big).read_bytes() == big
    assert "Git LFS fsck OK" in repo.git("lfs", "fsck", EXP_REF)
    repo.fsck()


def test_a_copy_killed_half_way_leaves_no_object(repo, tmp_path):
    import signal
    import time

    big = tmp_path / "weights.bin"
    with open(big, "wb") as fh:
        fh.truncate(300 * 2**20)
    code = ("import sys; from pathlib import Path; from gx.lfs.objects import store_file; "
            "store_file(Path(sys.argv[1]), Path(sys.argv[2]))")
    child = subprocess.Popen([sys.executable, "-c", code, str(repo.path / ".git"), str(big)])
    tmp = repo.path / ".git" / "lfs" / "tmp"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p.stat().st_size for p in (tmp.glob("gx-*") if tmp.is_dir() else ())):
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    objects = [p for p in (repo.path / ".git" / "lfs" / "objects").glob("??/??/*")]
    for obj in objects:  # the copy may have won the race: then the object is whole (open_object verifies)
        open_object(repo.path / ".git", Pointer(obj.name, obj.stat().st_size)).close()
    assert objects or any(tmp.glob("gx-*")), "the kill landed mid-copy: only a temporary file remains"


def test_a_large_artifact_whose_gitattributes_line_git_would_ignore_is_refused(repo, monkeypatch, tmp_path):
    """git ignores a .gitattributes line of 2,048 bytes or more, so a large file with such a path would
    not be an LFS file to git: refused at the call, naming the path, and nothing is recorded."""
    from gx.errors import BadName

    monkeypatch.setenv("GX_LFS_THRESHOLD", "1KB")
    (tmp_path / "big.bin").write_bytes(b"b" * 4096)
    deep = "/".join(["d" * 250] * 8)
    with gx.start_run():
        with pytest.raises(BadName, match=r"\.gitattributes line"):
            gx.log_artifact(str(tmp_path / "big.bin"), deep)
        gx.log_artifact(str(tmp_path / "big.bin"), "short")  # a short path is fine
    (run,) = gx.search_runs(output_format="list")
    assert [a.path for a in gx.MlflowClient().list_artifacts(run.info.run_id)] == ["short"]


def test_large_files_stop_where_the_runs_gitattributes_would_pass_what_readers_read(repo, monkeypatch, tmp_path):
    """Every reader reads a run's .gitattributes up to 4 MiB (it may come from anyone's clone), so a
    run never writes more: the large file whose line would pass it is refused at the call, one line,
    and every large file logged before it is still a large file when read back."""
    from gx import limits

    monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", 256 * 1024)  # 4 MiB in use: the same rule, 16x fewer files
    monkeypatch.setenv("GX_LFS_THRESHOLD", "1KB")
    (tmp_path / "big.bin").write_bytes(b"b" * 2048)
    deep = "/".join(["d" * 250] * 7)  # a ~1,800-byte line per file: about 145 fit
    logged = []
    refused = r"\.gitattributes, one line per large file, would pass 262,144 bytes"
    with gx.start_run(), pytest.raises(BadValue, match=refused):
        for i in range(limits.MAX_FILES_PER_RUN):
            gx.log_artifact(str(tmp_path / "big.bin"), f"{deep}/{i}")
            logged.append(f"{deep}/{i}/big.bin")
    assert 130 < len(logged) < 160
    (run,) = gx.search_runs(output_format="list")
    record = gx.query.runs.get_record(run.info.run_id)
    assert sorted(record.artifacts) == sorted(logged)
    assert all(type(content).__name__ == "LfsArtifact" for content in record.artifacts.values())
    size = int(repo.git("cat-file", "-s", f"{EXP_REF}:.gitattributes").strip())
    assert 256 * 1024 - 2000 < size <= 256 * 1024


def test_a_journal_past_the_gitattributes_bound_is_recorded_without_the_files_past_it(repo, monkeypatch, tmp_path, capsys):
    """A journal holding more large files than the bound allows (written under another limit, or by
    hand) is still recorded: the files whose lines would pass it are left out, and the user is told."""
    from gx import limits

    monkeypatch.setenv("GX_LFS_THRESHOLD", "1KB")
    (tmp_path / "big.bin").write_bytes(b"b" * 2048)
    deep = "/".join(["d" * 250] * 7)
    with gx.start_run():
        for i in range(20):
            gx.log_artifact(str(tmp_path / "big.bin"), f"{deep}/{i:02}")
        monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", 10 * 1850)
    (run,) = gx.search_runs(output_format="list")
    kept = sorted(gx.query.runs.get_record(run.info.run_id).artifacts)
    assert kept == [f"{deep}/{i:02}/big.bin" for i in range(len(kept))] and 8 <= len(kept) <= 10
    err = capsys.readouterr().err
    assert f"left out {20 - len(kept)} parts of its journal: cannot store 'dd" in err
    reasons = next((repo.path / ".git" / "gx" / "lost").glob("*/REASONS.txt")).read_text()
    assert reasons.count("cannot store 'dddd") == 20 - len(kept)  # and the journal is kept beside it
    repo.fsck()
