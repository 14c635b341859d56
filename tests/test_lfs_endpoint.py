"""LFS endpoint discovery as git-lfs does it (checked against ``git lfs env`` itself), ssh remotes through
``git-lfs-authenticate``, and the checks on what servers answer."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from gx.errors import GxError
from gx.lfs import sshauth
from gx.lfs.endpoint import SshTarget, endpoint_from_clone_url, find_endpoint, redact_url
from gx.lfs.pointer import Pointer
from gx.lfs.untrusted import BadAnswer, checked_batch

CLONE_URLS = {
    "https://h.example/foo/bar": "https://h.example/foo/bar.git/info/lfs",
    "https://h.example/foo/bar.git": "https://h.example/foo/bar.git/info/lfs",
    "https://h.example/foo/bar.git/": "https://h.example/foo/bar.git/info/lfs",
    "http://h.example:8080/foo/bar/": "http://h.example:8080/foo/bar.git/info/lfs",
    "git@h.example:foo/bar.git": "https://h.example/foo/bar.git/info/lfs",
    "ssh://git@h.example:2222/foo/bar": "https://h.example/foo/bar.git/info/lfs",
    "[git@h.example:2222]:foo/bar.git": "https://h.example/foo/bar.git/info/lfs",
    "git://h.example/foo/bar": "https://h.example/foo/bar.git/info/lfs",
}


@pytest.mark.parametrize(("url", "expected"), CLONE_URLS.items())
def test_the_endpoint_guessed_from_a_remote_url(url: str, expected: str) -> None:
    assert endpoint_from_clone_url(url).url == expected


def test_guesses_match_git_lfs_itself(repo, git_lfs: str) -> None:
    for url, expected in CLONE_URLS.items():
        repo.git("remote", "remove", "origin", check=False)
        repo.git("remote", "add", "origin", url)
        env = repo.git("lfs", "env")
        assert f"Endpoint={expected} " in env, (url, env)
        assert find_endpoint(repo.path / ".git", url, "origin", "download").url == expected


@pytest.mark.parametrize(("url", "target"), [
    ("git@h.example:foo/bar.git", SshTarget("git@h.example", "", "foo/bar.git")),
    ("ssh://git@h.example:2222/foo/bar", SshTarget("git@h.example", "2222", "/foo/bar")),
    ("ssh://h.example/foo/bar.git", SshTarget("h.example", "", "/foo/bar.git")),
    ("[git@h.example:2222]:foo/bar.git", SshTarget("git@h.example", "2222", "foo/bar.git")),
])
def test_ssh_remotes_name_their_ssh_target(url: str, target: SshTarget) -> None:
    assert endpoint_from_clone_url(url).ssh == target


def test_local_remotes_are_not_http(tmp_path: Path) -> None:
    assert not endpoint_from_clone_url(str(tmp_path)).is_http
    assert not endpoint_from_clone_url(tmp_path.as_uri()).is_http
    with pytest.raises(GxError, match="lfs.url"):
        endpoint_from_clone_url("ssh://-oProxyCommand=evil/foo")


def test_settings_in_git_lfs_order(repo) -> None:
    common = repo.path / ".git"
    remote = "https://git.example/team/project"

    def found(operation: str = "download", name: str | None = "origin") -> str:
        return find_endpoint(common, remote, name, operation).url

    assert found() == remote + ".git/info/lfs"
    (repo.path / ".lfsconfig").write_text('[remote "origin"]\n\tlfsurl = https://lfsconfig.example/remote\n'
                                           '\tlfspushurl = https://lfsconfig.example/unsafe\n')
    assert found() == "https://lfsconfig.example/remote"
    assert found("upload") == "https://lfsconfig.example/remote"  # lfspushurl is not safe in .lfsconfig
    repo.git("config", "remote.origin.lfsurl", "https://config.example/remote")
    assert found() == "https://config.example/remote"  # git config beats .lfsconfig
    assert found(name=None) == remote + ".git/info/lfs"  # a bare URL has no remote.<name> settings
    (repo.path / ".lfsconfig").write_text("[lfs]\n\turl = https://lfsconfig.example/lfs\n")
    assert found() == "https://lfsconfig.example/lfs"  # lfs.url comes first, wherever it is set
    repo.git("config", "lfs.url", "https://config.example/lfs")
    assert found() == "https://config.example/lfs"
    repo.git("config", "lfs.pushurl", "https://config.example/push")
    assert found("upload") == "https://config.example/push"
    assert found("download") == "https://config.example/lfs"


def test_settings_match_git_lfs_itself(repo, git_lfs: str) -> None:
    repo.git("remote", "add", "origin", "https://git.example/team/project")
    (repo.path / ".lfsconfig").write_text('[remote "origin"]\n\tlfsurl = https://lfsconfig.example/remote\n')
    for key, value in [(None, None), ("remote.origin.lfsurl", "https://config.example/remote"),
                       ("lfs.url", "https://config.example/lfs")]:
        if key:
            repo.git("config", key, value)
        expected = re.search(r"^Endpoint=(\S+)", repo.git("lfs", "env"), re.M).group(1)
        assert find_endpoint(repo.path / ".git", "https://git.example/team/project", "origin",
                             "download").url == expected


def fake_ssh(tmp_path: Path, script: str) -> str:
    """A stand-in for ``ssh`` that records its arguments and answers as the server would."""
    path = tmp_path / "fake-ssh"
    path.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'ssh-args'}\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_git_lfs_authenticate_gives_href_and_headers(repo, tmp_path: Path, monkeypatch) -> None:
    answer = {"href": "https://lfs.example/foo/bar", "header": {"Authorization": "RemoteAuth tok"},
              "expires_in": 3600}
    monkeypatch.setenv("GIT_SSH_COMMAND", fake_ssh(tmp_path, f"echo '{json.dumps(answer)}'"))
    endpoint = endpoint_from_clone_url("ssh://git@h.example:2222/foo/bar.git")
    href, headers = sshauth.authenticate(repo.path / ".git", endpoint, "upload")
    assert (href, headers) == ("https://lfs.example/foo/bar", {"Authorization": "RemoteAuth tok"})
    assert (tmp_path / "ssh-args").read_text().split() == [
        "-p", "2222", "git@h.example", "git-lfs-authenticate", "/foo/bar.git", "upload"]


def test_a_server_without_git_lfs_authenticate_falls_back(repo, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_SSH_COMMAND", fake_ssh(tmp_path, "echo 'sh: git-lfs-authenticate: not found' >&2; exit 127"))
    endpoint = endpoint_from_clone_url("git@h.example:foo/bar.git")
    assert sshauth.authenticate(repo.path / ".git", endpoint, "download") == (
        "https://h.example/foo/bar.git/info/lfs", {})


@pytest.mark.parametrize("output", ["not json", '{"href": "file:///etc/passwd"}',
                                    '{"header": {"Bad\\nName": "x"}}', '{"header": {"X": "a\\r\\nInjected: 1"}}'])
def test_hostile_git_lfs_authenticate_answers_are_refused(repo, tmp_path: Path, monkeypatch, output: str) -> None:
    monkeypatch.setenv("GIT_SSH_COMMAND", fake_ssh(tmp_path, f"printf '%s' '{output}'"))
    with pytest.raises(GxError, match="git-lfs-authenticate on git@h.example"):
        sshauth.authenticate(repo.path / ".git", endpoint_from_clone_url("git@h.example:foo/bar.git"), "upload")


def test_failures_and_missing_ssh_name_lfs_url(repo, tmp_path: Path, monkeypatch) -> None:
    endpoint = endpoint_from_clone_url("git@h.example:foo/bar.git")
    monkeypatch.setenv("GIT_SSH_COMMAND", fake_ssh(tmp_path, "echo 'Permission denied (publickey).' >&2; exit 255"))
    with pytest.raises(GxError, match="Permission denied.*lfs.url"):
        sshauth.authenticate(repo.path / ".git", endpoint, "upload")
    monkeypatch.setenv("GIT_SSH_COMMAND", str(tmp_path / "no-such-ssh"))
    with pytest.raises(GxError, match="install ssh, or set lfs.url"):
        sshauth.authenticate(repo.path / ".git", endpoint, "upload")


def test_urls_in_messages_carry_no_secrets() -> None:
    assert redact_url("https://ada:tok@h.example:8443/a/b?X-Amz-Signature=abc#f") == "https://h.example:8443/a/b"
    assert redact_url("http://[::1]:80/x") == "http://[::1]:80/x"


ASKED = {"a" * 64: Pointer("a" * 64, 10)}


@pytest.mark.parametrize(("answer", "complaint"), [
    ([], "without an objects list"),
    ({"objects": [{"oid": "b" * 64, "size": 10}]}, "did not ask for"),
    ({"objects": [{"oid": "a" * 64, "size": 11}]}, "size 11, not 10"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "file:///etc/passwd"}}}]},
     "not an http"),
    ({"objects": [{"oid": "a" * 64, "size": 10}]}, "no download action"),
    ({"transfer": "tus", "objects": []}, "speaks only basic"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "https://h:99999/y"}}}]}, "not an http"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "https://hé.example/y"}}}]},
     "not an http"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "https:///y"}}}]}, "not an http"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "https://x/y",
                                                                         "header": {"X": "caf\u00e9"}}}}]},
     "malformed header"),
    ({"objects": [{"oid": "a" * 64, "size": 10, "actions": {"download": {"href": "https://x/y", "header": []}}}]},
     "headers"),
])
def test_batch_answers_are_checked(answer: object, complaint: str) -> None:
    with pytest.raises(BadAnswer, match=complaint):
        checked_batch(answer, "LFS server S", ASKED, "download")
