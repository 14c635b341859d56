"""Auto-logged artifacts over the LFS threshold: streamed from the committed blob into the LFS store,
git-lfs's own pointers reused unread, the cap one line; through real commits with gx's hooks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tracemalloc

import gx.query.runs
from conftest import gx_subprocess
from gx.hooks.commit_runs import record_commit
from gx.hooks.manage import install
from gx.lfs.pointer import parse

EXP_REF = "refs/experiments/commits"
BIG = 12 * 2**20


def commit(repo, message: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "commit", "-q", "-m", message, *flags], cwd=repo.path, capture_output=True,
                          text=True, timeout=120)


def only_run_id() -> str:
    (run,) = gx.query.runs.list_runs(["commits"])
    return run.run_id


def fetched(repo, run_id: str, path: str) -> bytes:
    got = gx_subprocess("artifacts", "get", run_id, path, "-o", "got", cwd=repo.path)
    assert got.returncode == 0, got.stderr
    return (repo.path / "got" / path).read_bytes()


def test_a_large_committed_artifact_goes_to_lfs_from_the_committed_blob(repo, git_lfs):
    repo.write("gx.yaml", "autolog:\n  artifacts: [model/weights.bin, notes.txt]\n")
    committed = os.urandom(BIG)
    (repo.path / "model").mkdir()
    (repo.path / "model" / "weights.bin").write_bytes(committed)
    repo.write("notes.txt", "small\n")
    install(["pre-commit", "post-commit"])
    repo.git("add", "-A")
    (repo.path / "model" / "weights.bin").write_bytes(os.urandom(BIG))  # unstaged: never the run's
    proc = commit(repo, "train")
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert "warning" not in proc.stderr
    attributes = repo.git("show", f"{EXP_REF}:.gitattributes")
    assert attributes == "artifacts/model/weights.bin filter=lfs diff=lfs merge=lfs -text\n"
    pointer = parse(repo.git("show", f"{EXP_REF}:artifacts/model/weights.bin").encode())
    assert pointer is not None and pointer.size == BIG and pointer.oid == hashlib.sha256(committed).hexdigest()
    assert repo.git("show", f"{EXP_REF}:artifacts/notes.txt") == "small\n"  # below the threshold: a blob
    assert "Git LFS fsck OK" in repo.git("lfs", "fsck", EXP_REF)
    assert fetched(repo, only_run_id(), "model/weights.bin") == committed
    repo.fsck()


def test_a_git_lfs_tracked_file_reuses_its_pointer_without_reading_the_object(repo, git_lfs):
    repo.git("lfs", "install", "--local")  # git-lfs's hooks first: gx's chain them
    repo.git("lfs", "track", "data/*.bin")
    content = os.urandom(300_000)
    (repo.path / "data").mkdir()
    (repo.path / "data" / "train.bin").write_bytes(content)
    repo.write("gx.yaml", "autolog:\n  artifacts: [data]\n")
    install(["pre-commit", "post-commit"])
    repo.git("add", "-A")
    committed_pointer = repo.git("rev-parse", ":data/train.bin").strip()
    obj = repo.path / ".git" / "lfs" / "objects" / hashlib.sha256(content).hexdigest()[:2]
    inode = next(obj.rglob("*")).stat().st_ino if obj.exists() else None
    proc = commit(repo, "data")
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert repo.git("rev-parse", f"{EXP_REF}:artifacts/data/train.bin").strip() == committed_pointer
    assert "artifacts/data/train.bin filter=lfs" in repo.git("show", f"{EXP_REF}:.gitattributes")
    assert inode is not None and next(obj.rglob("*")).stat().st_ino == inode  # git-lfs's object, not rewritten
    assert "Git LFS fsck OK" in repo.git("lfs", "fsck", EXP_REF)
    assert fetched(repo, only_run_id(), "data/train.bin") == content
    repo.fsck()


def test_the_cap_stops_the_commit_in_one_line_and_the_post_commit_hook_warns(repo):
    repo.write("gx.yaml", "lfs:\n  threshold: 1KB\n  max_size: 20KB\nautolog:\n  artifacts: [big.bin]\n")
    (repo.path / "big.bin").write_bytes(b"x" * 30_000)
    install(["pre-commit", "post-commit"])
    repo.git("add", "-A")
    proc = commit(repo, "too big")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "gx: error: artifact 'big.bin' is 30,000 bytes, over the 20,480-byte cap for large files (GX_LFS_MAX_BYTES "
        "or lfs.max_size in gx.yaml); remove it from autolog.artifacts or raise the cap (gx's pre-commit check: "
        "fix it, or skip the check with git commit --no-verify)"]
    proc = commit(repo, "too big", "--no-verify")
    assert proc.returncode == 0 and proc.stderr.count("\n") == 1 and "gx: warning:" in proc.stderr, proc.stderr
    assert "commits" not in gx.query.runs.open_store().experiments()
    assert not (repo.path / ".git" / "lfs" / "objects").exists()  # refused before anything was stored


def test_recording_a_large_artifact_keeps_memory_flat(repo, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "1MB")
    repo.write("gx.yaml", "autolog:\n  artifacts: [big.bin]\n")
    (repo.path / "big.bin").write_bytes(os.urandom(BIG))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "no hooks installed")
    store = gx.query.runs.open_store()
    tracemalloc.start()
    try:
        result = record_commit(store)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result is not None and result.recorded
    assert peak < BIG // 2, f"peak {peak:,} bytes for a {BIG:,}-byte artifact"
    meta = json.loads(gx_subprocess("ls", "commits", "--json", cwd=repo.path).stdout)
    assert len(meta) == 1
