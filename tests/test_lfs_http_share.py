"""Issue 14 end to end over HTTP: a 50 MB artifact logged, ``gx push`` to a remote whose LFS endpoint
(``lfs.url``) is the loopback giftless server, pulled as pointers into a second clone, fetched with
``gx artifacts get``; ``git lfs fsck`` clean in both clones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gx

pytest.importorskip("giftless")
from lfsserver import LfsServer  # noqa: E402
from test_lfs_share import gx_ok, make_team  # noqa: E402

EXP_REF = "refs/experiments/default"




def test_a_50_mb_artifact_travels_through_an_lfs_server(tmp_path: Path, git_lfs: str, monkeypatch) -> None:
    server = LfsServer(tmp_path / "lfs-server")
    try:
        team = make_team(tmp_path)
        remote, alice, bob = team.remote, team.alice, team.bob
        for clone in (alice, bob):
            clone.git("config", "lfs.url", server.url)
        monkeypatch.chdir(alice.path)

        big = os.urandom(50 * 2**20)
        (tmp_path / "sample.bin").write_bytes(big)
        with gx.start_run() as run:
            gx.log_artifact(str(tmp_path / "sample.bin"), "data")
        gx_ok(alice, "push")
        oids = [p.name for p in (alice.path / ".git" / "lfs" / "objects").glob("??/??/*")]
        assert len(oids) == 1 and server.has(oids[0])
        assert not (remote / "lfs" / "objects").exists()  # lfs.url wins over the path remote's own store

        gx_ok(bob, "pull")  # pointers only
        assert not list((bob.path / ".git" / "lfs" / "objects").glob("??/??/*"))
        out = gx_ok(bob, "artifacts", "get", run.info.run_id[:8], "data/sample.bin", "-o", "got")
        assert out.strip().endswith("got/data/sample.bin")
        assert (bob.path / "got" / "data" / "sample.bin").read_bytes() == big
        for clone in (alice, bob):
            assert "Git LFS fsck OK" in clone.git("lfs", "fsck", EXP_REF)
            clone.fsck()
    finally:
        server.stop()
