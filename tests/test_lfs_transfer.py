"""gx.lfs.transfer against a real LFS server on loopback (giftless, tests/lfsserver.py): round trips,
only missing objects uploaded, corrupt/truncated/cut downloads never placed, credentials through git's
credential helpers, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import make_repo
from gx.errors import GxError
from gx.lfs import objects, transfer
from gx.lfs.pointer import Pointer

pytest.importorskip("giftless")
from lfsserver import LfsServer  # noqa: E402

REMOTE = "https://git.example.invalid/team/project"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    srv = LfsServer(tmp_path_factory.mktemp("lfs-server"))
    yield srv
    srv.stop()


@pytest.fixture
def lfs(server: LfsServer, tmp_path: Path):
    """Two clones whose ``lfs.url`` is the loopback server; switches off, log empty."""
    server.reset()
    clones = []
    for name in ("alice", "bob"):
        repo = make_repo(tmp_path / name)
        repo.git("config", "lfs.url", server.url)
        clones.append(repo.path / ".git")
    return server, clones[0], clones[1]


def stored(common: Path, size: int) -> Pointer:
    """A random object of ``size`` bytes put in ``common``'s local store."""
    source = common.parent / f"blob-{size}"
    with open(source, "wb") as fh:
        for _ in range(0, size, 1 << 20):
            fh.write(os.urandom(min(1 << 20, size)))
        fh.truncate(size)
    return objects.store_file(common, source)


def no_leftovers(common: Path) -> None:
    for sub in ("tmp", "incomplete"):
        folder = common / "lfs" / sub
        assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


def puts(server: LfsServer) -> list[str]:
    return [line.split()[1].rsplit("/", 1)[1] for line in server.requests() if line.startswith("PUT ")]


def test_round_trip_of_a_few_megabytes(lfs) -> None:
    server, alice, bob = lfs
    pointers = [stored(alice, 3_000_000), stored(alice, 1_048_577), stored(alice, 10)]
    transfer.upload(alice, REMOTE, pointers)
    for p in pointers:
        assert server.object_path(p.oid).read_bytes() == objects.object_path(alice, p.oid).read_bytes()
    transfer.download(bob, REMOTE, pointers)
    for p in pointers:
        with objects.open_object(bob, p) as fh:
            assert fh.read() == objects.object_path(alice, p.oid).read_bytes()
    no_leftovers(bob)
    assert "POST /gx/models.git/info/lfs/objects/storage/verify" in server.requests()  # the verify action
    before = len(server.requests())
    transfer.download(bob, REMOTE, pointers)  # all local already: the server is not asked
    assert len(server.requests()) == before


def test_only_what_the_server_lacks_is_uploaded(lfs) -> None:
    server, alice, _ = lfs
    first, second = stored(alice, 200_000), stored(alice, 300_000)
    transfer.upload(alice, REMOTE, [first])
    assert puts(server) == [first.oid]
    transfer.upload(alice, REMOTE, [first, second, second])
    assert puts(server) == [first.oid, second.oid]


def test_a_missing_local_object_is_a_clear_error(lfs) -> None:
    _, alice, _ = lfs
    with pytest.raises(GxError, match="not in this clone"):
        transfer.upload(alice, REMOTE, [Pointer("a" * 64, 5)])


@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_a_damaged_object_on_the_server_is_refused_and_never_placed(lfs, damage: str) -> None:
    server, alice, bob = lfs
    pointer = stored(alice, 500_000)
    transfer.upload(alice, REMOTE, [pointer])
    server.reset()
    if damage == "corrupt":
        with open(server.object_path(pointer.oid), "r+b") as fh:
            fh.seek(1234)
            fh.write(b"\x00not the bytes\x00")
    else:  # the body ends cleanly but short, every time
        server.cut_downloads(after_bytes=400_000, times=10, clean=True)
    with pytest.raises(GxError, match="wrong content .* twice.*nothing was placed"):
        transfer.download(bob, REMOTE, [pointer])
    assert len([r for r in server.requests() if r.startswith("GET")]) == 2  # refused, fetched once more
    assert not objects.object_path(bob, pointer.oid).exists()
    no_leftovers(bob)


def test_an_object_the_server_sizes_wrongly_is_refused_by_the_batch(lfs) -> None:
    server, alice, bob = lfs
    pointer = stored(alice, 50_000)
    transfer.upload(alice, REMOTE, [pointer])
    with open(server.object_path(pointer.oid), "r+b") as fh:
        fh.truncate(40_000)
    with pytest.raises(GxError, match="invalid \\(422\\)"):
        transfer.download(bob, REMOTE, [pointer])
    assert not objects.object_path(bob, pointer.oid).exists()


def test_a_cut_download_resumes_with_range(lfs) -> None:
    server, alice, bob = lfs
    pointer = stored(alice, 3_000_000)
    transfer.upload(alice, REMOTE, [pointer])
    server.reset()
    server.serve_ranges()
    server.cut_downloads(after_bytes=1_200_000, times=1)
    transfer.download(bob, REMOTE, [pointer])
    gets = [r for r in server.requests() if r.startswith("GET")]
    assert len(gets) == 2 and gets[1].endswith(" bytes=1200000-")
    with objects.open_object(bob, pointer) as fh:
        assert fh.read() == objects.object_path(alice, pointer.oid).read_bytes()
    no_leftovers(bob)


def test_a_cut_download_restarts_when_the_server_ignores_range(lfs) -> None:
    server, alice, bob = lfs
    pointer = stored(alice, 2_000_000)
    transfer.upload(alice, REMOTE, [pointer])
    server.reset()
    server.cut_downloads(after_bytes=700_000, times=1)
    transfer.download(bob, REMOTE, [pointer])
    assert objects.has_object(bob, pointer)
    no_leftovers(bob)


def test_a_download_cut_every_time_fails_and_leaves_nothing(lfs) -> None:
    server, alice, bob = lfs
    pointer = stored(alice, 2_000_000)
    transfer.upload(alice, REMOTE, [pointer])
    server.reset()
    server.serve_ranges()
    server.cut_downloads(after_bytes=500_000, times=100)
    with pytest.raises(GxError, match="cannot reach LFS server"):
        transfer.download(bob, REMOTE, [pointer])
    assert not objects.object_path(bob, pointer.oid).exists()
    no_leftovers(bob)


def credential_store(repo_git_dir: Path, tmp_path: Path, url: str, user: str, password: str) -> Path:
    """``credential.helper store`` with a temporary file, seeded through ``git credential approve``."""
    store = tmp_path / "credentials"
    work = repo_git_dir.parent
    subprocess.run(["git", "config", "credential.helper", f"store --file={store}"], cwd=work, check=True)
    protocol, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    subprocess.run(["git", "credential", "approve"], cwd=work, check=True,
                   input=f"protocol={protocol}\nhost={host}\nusername={user}\npassword={password}\n\n".encode())
    return store


def test_credentials_come_from_git_credential_helpers(lfs, tmp_path: Path, monkeypatch) -> None:
    server, alice, _ = lfs
    pointer = stored(alice, 100_000)
    server.require_auth("ada", "s3cret-token")
    monkeypatch.chdir(alice.parent)
    with pytest.raises(GxError, match="needs credentials.*credential helper"):
        transfer.upload(alice, REMOTE, [pointer])
    store = credential_store(alice, tmp_path, server.url, "ada", "s3cret-token")
    transfer.upload(alice, REMOTE, [pointer])
    assert server.has(pointer.oid)
    assert store.read_text().count("s3cret-token") == 1
    for path in alice.rglob("*"):  # nothing gx wrote in the repository holds the secret
        assert not path.is_file() or b"s3cret-token" not in path.read_bytes(), path


def test_refused_credentials_are_rejected_from_the_helper(lfs, tmp_path: Path, monkeypatch) -> None:
    server, alice, _ = lfs
    pointer = stored(alice, 100_000)
    server.require_auth("ada", "right")
    monkeypatch.chdir(alice.parent)
    store = credential_store(alice, tmp_path, server.url, "ada", "wrong")
    with pytest.raises(GxError, match="refused the credentials") as error:
        transfer.upload(alice, REMOTE, [pointer])
    assert "wrong" not in str(error.value)
    assert "wrong" not in store.read_text()  # git credential reject erased them


def test_credentials_in_the_url_are_used_and_never_shown(lfs) -> None:
    server, alice, _ = lfs
    pointer = stored(alice, 1000)
    server.require_auth("ada", "in-url")
    url = server.url.replace("http://", "http://ada:in-url@")
    subprocess.run(["git", "config", "lfs.url", url], cwd=alice.parent, check=True)
    transfer.upload(alice, REMOTE, [pointer])
    assert server.has(pointer.oid)
    server.require_auth("ada", "changed")
    with pytest.raises(GxError) as error:
        transfer.upload(alice, REMOTE, [stored(alice, 1001)])
    assert "in-url" not in str(error.value) and "refused the credentials" in str(error.value)


def test_server_errors_are_one_line_and_say_what_to_do(lfs, tmp_path: Path) -> None:
    server, alice, _ = lfs
    pointer = stored(alice, 1000)
    wrong = server.url.replace("/gx/models.git/info/lfs", "/no/such/path")
    subprocess.run(["git", "config", "lfs.url", wrong], cwd=alice.parent, check=True)
    with pytest.raises(GxError, match="404.*LFS is not enabled.*lfs.url") as error:
        transfer.upload(alice, REMOTE, [pointer])
    assert "\n" not in str(error.value)
    closed = f"http://127.0.0.1:{free_port()}/x.git/info/lfs"
    subprocess.run(["git", "config", "lfs.url", closed], cwd=alice.parent, check=True)
    with pytest.raises(GxError, match="cannot reach LFS server http://127.0.0.1:.*check the URL"):
        transfer.download(alice, REMOTE, [Pointer("b" * 64, 3)])


def test_a_download_the_server_does_not_have_is_a_clear_error(lfs) -> None:
    _, alice, bob = lfs
    there = stored(alice, 1000)
    transfer.upload(alice, REMOTE, [there])
    with pytest.raises(GxError, match="does not have object bbbbbbbbbbbb.*push it"):
        transfer.download(bob, REMOTE, [there, Pointer("b" * 64, 3)])  # giftless: a per-object 404
    with pytest.raises(GxError, match="404.*objects are not there"):
        transfer.download(bob, REMOTE, [Pointer("b" * 64, 3)])  # giftless: the whole batch is a 404


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_ssh_remote_authenticates_through_git_lfs_authenticate(lfs, tmp_path: Path, monkeypatch) -> None:
    server, alice, _ = lfs
    subprocess.run(["git", "config", "--unset", "lfs.url"], cwd=alice.parent, check=True)
    server.require_auth("deploy", "from-ssh")
    answer = json.dumps({"href": server.url, "header": {"Authorization": "Basic ZGVwbG95OmZyb20tc3No"},
                         "expires_in": 60})
    ssh = tmp_path / "fake-ssh"
    ssh.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'ssh-calls'}\necho '{answer}'\n")
    ssh.chmod(0o755)
    monkeypatch.setenv("GIT_SSH_COMMAND", str(ssh))
    pointer = stored(alice, 10_000)
    transfer.upload(alice, "git@127.0.0.1:gx/models.git", [pointer])
    assert server.has(pointer.oid)
    assert (tmp_path / "ssh-calls").read_text().split() == [
        "git@127.0.0.1", "git-lfs-authenticate", "gx/models.git", "upload"]


def test_working_credentials_are_approved_once(lfs, tmp_path: Path, monkeypatch) -> None:
    server, alice, _ = lfs
    server.require_auth("ada", "pw")
    helper = tmp_path / "helper"
    helper.write_text(f"#!/bin/sh\necho \"$1\" >> {tmp_path / 'calls'}\n"
                      "[ \"$1\" = get ] && printf 'username=ada\\npassword=pw\\n'\nexit 0\n")
    helper.chmod(0o755)
    subprocess.run(["git", "config", "credential.helper", str(helper)], cwd=alice.parent, check=True)
    monkeypatch.chdir(alice.parent)
    transfer.upload(alice, REMOTE, [stored(alice, 1000), stored(alice, 2000)])
    assert (tmp_path / "calls").read_text().split() == ["get", "store"]
