"""Issue 14, sharing and reading: large artifacts and models pushed to a path or file:// remote with
their LFS objects, pulled as pointers into a second clone, fetched on demand, verified, loaded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

import gx
from conftest import Repo, gx_subprocess, run_git
from gx.errors import GxError

EXP_REF = "refs/experiments/default"


class BigModel:
    """A pyfunc model whose pickle is over the old 10 MB limit."""

    def __init__(self) -> None:
        self.weights = os.urandom(11 * 2**20)

    def predict(self, rows):
        return [len(self.weights) for _ in rows]


def object_files(git_dir: Path) -> list[Path]:
    return sorted(p for p in (git_dir / "lfs" / "objects").glob("??/??/*") if p.is_file())


def gx_ok(clone: Repo, *args: str) -> str:
    proc = gx_subprocess(*args, cwd=clone.path, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode()[-1500:]
    return proc.stdout.decode()


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A bare remote and two clones: alice (cwd) and bob."""
    clones = make_team(tmp_path)
    monkeypatch.chdir(clones.alice.path)
    return clones


def make_team(tmp_path: Path) -> SimpleNamespace:
    """A bare remote with one commit on main, and two clones of it: alice and bob."""
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", "-b", "main", str(remote))
    alice = Repo(tmp_path / "alice")
    run_git("clone", "-q", str(remote), str(alice.path))
    alice.write("README.md", "project\n")
    alice.git("add", "README.md")
    alice.git("commit", "-q", "-m", "initial")
    alice.git("push", "-q", "origin", "main")
    bob = Repo(tmp_path / "bob")
    run_git("clone", "-q", str(remote), str(bob.path))
    return SimpleNamespace(remote=remote, alice=alice, bob=bob)


def test_a_50_mb_artifact_and_a_large_model_travel_and_load_in_a_second_clone(team, git_lfs, tmp_path, monkeypatch):
    big = os.urandom(50 * 2**20)
    (tmp_path / "sample.bin").write_bytes(big)
    with gx.start_run() as run:
        gx.log_artifact(str(tmp_path / "sample.bin"), "data")
        gx.pyfunc.log_model(name="model", python_model=BigModel(), registered_model_name="big")
    run_id = run.info.run_id
    assert len(object_files(team.alice.path / ".git")) == 2  # the sample and the model's pickle
    gx_ok(team.alice, "push")
    assert [p.name for p in object_files(team.remote)] == [p.name for p in object_files(team.alice.path / ".git")]

    gx_ok(team.bob, "pull")  # pointers only
    assert object_files(team.bob.path / ".git") == []
    out = gx_ok(team.bob, "artifacts", "get", run_id[:8], "data/sample.bin", "-o", "got")
    assert out.strip().endswith("got/data/sample.bin")
    assert (team.bob.path / "got" / "data" / "sample.bin").read_bytes() == big
    monkeypatch.chdir(team.bob.path)
    assert len(object_files(team.bob.path / ".git")) == 1
    shown = json.loads(gx_ok(team.bob, "models", "show", "big", "--json"))  # sizes read from the pointers
    assert shown["files"]["python_model.pkl"] > 11 * 2**20
    assert len(object_files(team.bob.path / ".git")) == 1
    assert gx.pyfunc.load_model("models:/big/1").predict([1, 2]) == [11 * 2**20] * 2  # fetched on demand
    assert gx.pyfunc.load_model(f"runs:/{run_id}/model").predict([1]) == [11 * 2**20]
    assert len(object_files(team.bob.path / ".git")) == 2
    for clone in (team.alice, team.bob):
        assert "Git LFS fsck OK" in clone.git("lfs", "fsck", EXP_REF)
        clone.fsck()


def _one_run(team, size: int = 300_000) -> tuple[str, bytes]:
    data = os.urandom(size)
    (team.alice.path / "blob.bin").write_bytes(data)
    with gx.start_run() as run:
        gx.log_artifact("blob.bin")
    return run.info.run_id, data


def _corrupt(obj: Path) -> None:
    data = bytearray(obj.read_bytes())
    data[1000] ^= 0xFF
    obj.write_bytes(bytes(data))  # same size: only the hash can tell


def test_file_url_remotes_and_corrupt_objects_are_refused_never_used(team, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    run_id, data = _one_run(team)
    gx_ok(team.alice, "push", f"file://{team.remote}")
    gx_ok(team.bob, "pull")
    gx_ok(team.bob, "artifacts", "get", run_id, "blob.bin", "-o", "first")
    [obj] = object_files(team.bob.path / ".git")
    _corrupt(obj)  # a good copy is on the remote: refused, replaced, said once
    proc = gx_subprocess("artifacts", "get", run_id, "blob.bin", "-o", "second", cwd=team.bob.path)
    assert proc.returncode == 0 and b"was corrupt; it was replaced by a verified copy" in proc.stderr, proc.stderr
    assert (team.bob.path / "second" / "blob.bin").read_bytes() == data == obj.read_bytes()
    _corrupt(obj)
    [remote_obj] = object_files(team.remote)
    _corrupt(remote_obj)  # no good copy anywhere: refused, nothing written
    proc = gx_subprocess("artifacts", "get", run_id, "blob.bin", "-o", "third", cwd=team.bob.path)
    assert proc.returncode == 1 and b"corrupt" in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not (team.bob.path / "third" / "blob.bin").exists()  # never handed out
    assert object_files(team.bob.path / ".git") == []  # the remote's bad copy was not placed either
    monkeypatch.chdir(team.bob.path)
    with pytest.raises(GxError, match="could not be fetched"):
        gx.MlflowClient().download_artifacts(run_id, "blob.bin", str(team.bob.path / "fourth"))


def test_missing_content_is_one_line_and_a_truncated_remote_object_leaves_nothing(team, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    run_id, data = _one_run(team)
    gx_ok(team.alice, "push")
    gx_ok(team.bob, "pull")
    [remote_obj] = object_files(team.remote)
    remote_obj.write_bytes(data[: len(data) // 2])  # a copy interrupted half-way on the server
    proc = gx_subprocess("artifacts", "get", run_id, "blob.bin", cwd=team.bob.path)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert b"could not be fetched" in proc.stderr
    assert object_files(team.bob.path / ".git") == []  # no partial object placed
    assert list((team.bob.path / ".git" / "lfs" / "tmp").iterdir()) == []
    remote_obj.unlink()
    proc = gx_subprocess("artifacts", "get", run_id, "blob.bin", cwd=team.bob.path)
    assert proc.returncode == 1 and b"not in origin's LFS store" in proc.stderr, proc.stderr


def test_a_push_whose_content_is_missing_moves_no_remote_ref(team, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    _one_run(team)
    for obj in object_files(team.alice.path / ".git"):
        obj.unlink()
    proc = gx_subprocess("push", cwd=team.alice.path)
    assert proc.returncode == 1 and b"gx: error:" in proc.stderr and b"LFS object" in proc.stderr, proc.stderr
    assert run_git("for-each-ref", "refs/experiments/", cwd=team.remote) == ""  # the run did not arrive


@pytest.mark.parametrize("with_git_lfs", [False, True])
def test_plain_git_push_carries_the_objects_after_remote_setup(team, git_lfs, monkeypatch, with_git_lfs):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    if with_git_lfs:
        team.alice.git("lfs", "install", "--local")  # git-lfs's pre-push first; gx's chains it
    gx_ok(team.alice, "remote", "setup")
    _one_run(team)
    proc = subprocess.run(["git", "push", "origin"], cwd=team.alice.path, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(object_files(team.remote)) == 1
    assert run_git("for-each-ref", "--format=%(refname)", "refs/experiments/", cwd=team.remote).strip() == EXP_REF
    if not with_git_lfs:  # content missing: gx's hook stops git before the run's ref moves
        _one_run(team, 200_000)
        for obj in object_files(team.alice.path / ".git"):
            obj.unlink()
        before = run_git("rev-parse", EXP_REF, cwd=team.remote)
        proc = subprocess.run(["git", "push", "origin"], cwd=team.alice.path, capture_output=True, timeout=120)
        assert proc.returncode != 0 and b"large artifacts" in proc.stderr, proc.stderr
        assert run_git("rev-parse", EXP_REF, cwd=team.remote) == before


def test_gc_removes_only_what_nothing_references(team, git_lfs, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    run_id, data = _one_run(team)
    from gx.lfs.objects import store_file

    orphan = team.alice.path / "orphan.bin"
    orphan.write_bytes(os.urandom(150_000))
    staged = team.alice.path / "tracked.bin"  # a file git-lfs staged but nobody committed yet
    staged.write_bytes(os.urandom(120_000))
    team.alice.git("lfs", "install", "--local")
    team.alice.git("lfs", "track", "tracked.bin")
    team.alice.git("add", "tracked.bin")
    store_file(team.alice.path / ".git", orphan)
    old = 1_000_000_000
    for obj in object_files(team.alice.path / ".git"):
        os.utime(obj, (old, old))  # past the grace period for objects being written
    assert len(object_files(team.alice.path / ".git")) == 3
    out = gx_ok(team.alice, "gc", "--lfs")
    assert out.strip() == "removed 1 LFS object, 0.1 MiB (150,000 bytes); kept 2"
    assert len(object_files(team.alice.path / ".git")) == 2
    assert gx_ok(team.alice, "artifacts", "get", run_id, "blob.bin", "-o", "got")
    assert (team.alice.path / "got" / "blob.bin").read_bytes() == data
    assert "Git LFS fsck OK" in team.alice.git("lfs", "fsck", EXP_REF)
    assert gx_ok(team.alice, "gc", "--lfs").startswith("removed 0 LFS objects")


def test_an_http_remote_without_an_lfs_server_is_one_clear_line(team, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    _one_run(team)
    import socket

    from gx.lfs.remote import push_objects
    from gx.lfs.scan import history_pointers
    from gx.store.repo import Store

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Store.open() as store:
        pointers = list(history_pointers(store, [store.tip("default")]).values())
        with pytest.raises(GxError, match=f"cannot reach LFS server http://127.0.0.1:{port}/r.git/info/lfs"):
            push_objects(store.paths.common_dir, f"http://127.0.0.1:{port}/r", pointers)


def test_gx_ui_serves_a_large_image_fetched_on_demand(team, monkeypatch):
    from ui_helpers import request, running_server, tiny_png

    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    image = tiny_png() + os.urandom(150_000)  # trailing bytes: still a PNG to a browser, and large
    (team.alice.path / "plot.png").write_bytes(image)
    with gx.start_run() as run:
        gx.log_artifact("plot.png")
    gx_ok(team.alice, "push")
    gx_ok(team.bob, "pull")
    with running_server(team.bob.path) as base:
        code, _, body = request(base, f"/api/run/{run.info.run_id}/artifact/plot.png")
        assert code == 200 and body == image
        code, _, body = request(base, f"/api/run/{run.info.run_id}")
        assert code == 200 and b'{"path":"plot.png","size":%d,' % len(image) in body
    assert len(object_files(team.bob.path / ".git")) == 1


def test_git_lfs_fetches_gx_runs_and_gx_reads_what_git_lfs_placed(team, git_lfs, monkeypatch):
    monkeypatch.setenv("GX_LFS_THRESHOLD", "100KB")
    run_id, data = _one_run(team)
    gx_ok(team.alice, "push")
    gx_ok(team.bob, "pull")
    team.bob.git("lfs", "fetch", "origin", EXP_REF)  # git-lfs's own transfer from the path remote
    assert len(object_files(team.bob.path / ".git")) == 1
    for obj in object_files(team.remote):
        obj.unlink()  # so gx cannot have fetched it itself
    gx_ok(team.bob, "artifacts", "get", run_id, "blob.bin", "-o", "got")
    assert (team.bob.path / "got" / "blob.bin").read_bytes() == data
