"""A pull's upload-pack dialed before dulwich's client loads (``gx.store.dial``): the very process
dulwich's client would start, taken by it, and any other ended unused."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_repo, run_git
from gx.paths import find_repo
from gx.store import dial, transfer_one
from gx.store.gitwire import git_binary
from gx.store.glance import repo_config
from gx.store.remote import resolve_remote
from gx.store.repo import Store

RECORDER = "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" >> {log}\n"


@pytest.fixture
def ssh_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A repository whose ssh (``GIT_SSH_COMMAND``) only writes down how it was called; dulwich's
    ssh vendor is its own, as in a gx process (an earlier test may have imported scmrepo, which
    rebinds it to asyncssh and whose vendor starts a thread that outlives the test)."""
    import dulwich.client

    monkeypatch.setattr(dulwich.client, "get_ssh_vendor", dulwich.client.SubprocessSSHVendor)
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    monkeypatch.delenv("GIT_SSH", raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    log = tmp_path / "ssh.log"
    ssh = tmp_path / "rec ssh"
    ssh.write_text(RECORDER.format(log=log))
    ssh.chmod(0o755)
    monkeypatch.setenv("GIT_SSH_COMMAND", f"'{ssh}' -o BatchMode=yes")
    return make_repo(tmp_path / "r"), log


def calls(log: Path) -> list[list[str]]:
    """Each ssh call's arguments, as written down."""
    lines, out = log.read_text().splitlines() if log.exists() else [], []
    while lines:
        count = int(lines.pop(0))
        out.append(lines[:count])
        del lines[:count]
    return out


def fetch_start(repo, url: str, dialed: dial.Dialed | None) -> None:
    """What a pull does with its connection first: dulwich's client connects (through ``dialed``
    if it asks for that command), and the conversation is ended."""
    with Store.open(repo.path) as store, transfer_one.started(store, git_binary(), resolve_remote(store, url),
                                                              dialed) as started:
        assert started is not None


@pytest.mark.parametrize("url", [
    "ssh://example.invalid/srv/exp.git",
    "ssh://alice@example.invalid:2222/srv/it's here.git",
    "git+ssh://example.invalid/~/exp.git",
    "ssh://example.invalid/~bob/exp.git",
    "example.invalid:exp.git",
    "bob@example.invalid:/srv/exp.git",
    "bob@example.invalid:~/with space.git",
])
def test_the_dialed_ssh_is_the_one_dulwich_would_start(ssh_repo, url: str):
    repo, log = ssh_repo
    fetch_start(repo, url, None)  # dulwich's own
    [theirs] = calls(log)
    log.unlink()
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), url)
    assert dialed is not None
    fetch_start(repo, url, dialed)
    assert calls(log) == [theirs]  # one process, the same command: dulwich took the dialed one
    assert dialed.take(dialed.key) is None  # taken, once


def test_core_ssh_command_and_insteadof_are_read_as_dulwich_reads_them(ssh_repo, monkeypatch, tmp_path):
    repo, log = ssh_repo
    ssh = tmp_path / "rec ssh"
    monkeypatch.delenv("GIT_SSH_COMMAND")
    repo.git("config", "core.sshCommand", f"'{ssh}' -p 1")
    (tmp_path / "gitconfig").write_text('[url "ssh://alice@example.invalid/srv/"]\n\tinsteadOf = lab:\n')
    fetch_start(repo, "lab:exp.git", None)
    [theirs] = calls(log)
    assert theirs == ["-p", "1", "-x", "alice@example.invalid", "git-upload-pack '/srv/exp.git'"]
    log.unlink()
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), "lab:exp.git")
    fetch_start(repo, "lab:exp.git", dialed)
    assert calls(log) == [theirs]


def test_a_dialed_process_for_another_command_is_ended_unused(ssh_repo):
    repo, log = ssh_repo
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), "ssh://example.invalid/one.git")
    proc = dialed._proc
    fetch_start(repo, "ssh://example.invalid/two.git", dialed)
    commands = [args[-1] for args in calls(log)]  # the dialed one may be ended before it says anything
    assert "git-upload-pack '/two.git'" in commands  # dulwich's own, for the URL asked
    assert set(commands) <= {"git-upload-pack '/one.git'", "git-upload-pack '/two.git'"}
    assert proc.returncode is not None and dialed.take(dialed.key) is None  # ended and reaped


def test_a_path_is_dialed_as_git_upload_pack(ssh_repo, tmp_path):
    repo, log = ssh_repo
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", str(remote))
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), str(remote))
    assert dialed is not None and dialed.key == dial.local_key(git_binary(), str(remote))
    fetch_start(repo, str(remote), dialed)
    assert dialed.take(dialed.key) is None and not log.exists()  # taken; no ssh involved
    other = make_repo(tmp_path / "other")
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), str(other.path))
    proc = dialed._proc
    fetch_start(repo, str(remote), dialed)
    assert proc.returncode is not None  # another path's: ended


@pytest.mark.parametrize("url", ["https://example.invalid/x.git", "git://example.invalid/x.git",
                                 "file:///srv/x.git", "ssh:x.git", "-oProxyCommand=x:y", "ssh://-x/y.git",
                                 "ssh://example.invalid:99999999/x.git", "/no/such/dir"])
def test_what_dulwich_must_decide_is_not_dialed(ssh_repo, url: str):
    repo, log = ssh_repo
    assert dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), url) is None
    assert not log.exists()


def test_a_worktree_config_is_left_to_dulwich(ssh_repo):
    repo, log = ssh_repo
    repo.git("config", "extensions.worktreeConfig", "true")
    assert dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), "ssh://example.invalid/x.git") is None


def test_the_users_ssh_even_where_another_library_rebinds_dulwichs(ssh_repo, monkeypatch):
    """scmrepo (DVC's git layer) rebinds ``dulwich.client.get_ssh_vendor`` for the whole process to
    asyncssh, which reads neither GIT_SSH_COMMAND nor core.sshCommand: gx keeps the user's ssh."""
    import dulwich.client

    class Elsewhere(dulwich.client.SubprocessSSHVendor):
        def run_command(self, *args, **kwargs):
            raise AssertionError("not the user's ssh")

    repo, log = ssh_repo
    monkeypatch.setattr(dulwich.client, "get_ssh_vendor", Elsewhere)
    url = "ssh://example.invalid/srv/exp.git"
    fetch_start(repo, url, None)
    assert [args[-1] for args in calls(log)] == ["git-upload-pack '/srv/exp.git'"]
    dialed = dial.upload_pack(repo_config(find_repo(repo.path)), git_binary(), url)
    fetch_start(repo, url, dialed)
    assert len(calls(log)) == 2 and dialed.take(dialed.key) is None  # the dialed one, taken
