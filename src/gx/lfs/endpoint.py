"""Which LFS server a remote's objects go to, found as git-lfs finds it (docs/api/server-discovery.md).

In git-lfs's order: ``lfs.pushurl`` (uploads), ``lfs.url``, ``remote.<name>.lfspushurl`` (uploads),
``remote.<name>.lfsurl``, then the remote's own URL with ``.git/info/lfs`` appended (only
``/info/lfs`` when it already ends in ``.git``). Each key is read from git config first, then from a
committed ``.lfsconfig`` at the top of the work tree (only the keys git-lfs deems safe there).
SSH remotes ask the server with ``ssh [-p port] [user@]host git-lfs-authenticate <path> <operation>``
for the URL and headers to use (``sshauth``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gx.errors import GxError
from gx.paths import find_repo
from gx.store.gitconfig import config_value, file_config_value
from gx.store.repo import Store

_SSH_SCHEMES = ("ssh", "git+ssh", "ssh+git")
_HOST_PORT = re.compile(r"([^:]+)(?::(\d+))?")


@dataclass(frozen=True)
class SshTarget:
    """Where ``git-lfs-authenticate`` runs: ``[user@]host``, an optional port, the repository path."""

    user_and_host: str
    port: str
    path: str


@dataclass(frozen=True)
class Endpoint:
    """An LFS server URL (the batch API is at ``<url>/objects/batch``), with the ssh target that
    authenticates for it when the remote is reached over ssh, and the setting it came from."""

    url: str
    ssh: SshTarget | None = None
    source: str = ""

    @property
    def is_http(self) -> bool:
        """Whether gx can talk to this endpoint over HTTP(S) (else it is a local path or unknown)."""
        return urlsplit(self.url).scheme in ("http", "https")

    @property
    def display(self) -> str:
        """The URL without any credentials in it, for messages."""
        return redact_url(self.url)


def redact_url(url: str) -> str:
    """``url`` without its user, password, query and fragment (where presigned URLs carry their
    signatures): what gx may print or log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


def find_endpoint(common_dir: Path, remote_url: str, remote: str | None, operation: str) -> Endpoint:
    """The LFS endpoint for ``operation`` (``upload`` or ``download``) to the remote at ``remote_url``."""
    worktree = common_dir.parent if common_dir.name == ".git" else None
    lfsconfig = str(worktree / ".lfsconfig") if worktree is not None else None
    with Store(find_repo(common_dir)) as store:

        def setting(section: tuple[str, ...], key: str, safe_in_lfsconfig: bool = True) -> str | None:
            value = config_value(store, section, key)
            if value is None and safe_in_lfsconfig and lfsconfig is not None:
                value = file_config_value(lfsconfig, section, key)
            return value or None

        candidates: list[tuple[str, tuple[str, ...], str, bool]] = []
        if operation == "upload":
            candidates.append(("lfs.pushurl", ("lfs",), "pushurl", True))
        candidates.append(("lfs.url", ("lfs",), "url", True))
        if remote:
            if operation == "upload":
                candidates.append((f"remote.{remote}.lfspushurl", ("remote", remote), "lfspushurl", False))
            candidates.append((f"remote.{remote}.lfsurl", ("remote", remote), "lfsurl", True))
        for name, section, key, safe in candidates:
            value = setting(section, key, safe)
            if value is not None:
                return endpoint_from_url(value, source=name)
    return endpoint_from_clone_url(remote_url, source=f"remote {remote}" if remote else "remote URL")


def endpoint_from_url(url: str, source: str = "") -> Endpoint:
    """An LFS URL taken as is (``lfs.url``); an ssh URL becomes its https twin plus the ssh target."""
    if "://" not in url:
        if url.startswith("/") or os.path.exists(url) or not _bare_ssh(url):
            return Endpoint(Path(url).absolute().as_uri() if url else url, None, source)
        return _from_ssh(_bare_ssh(url), source)  # type: ignore[arg-type]
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in _SSH_SCHEMES:
        return _from_ssh(_ssh_url(parts.netloc, parts.path), source)
    if scheme == "git":
        return Endpoint(f"https://{parts.hostname or ''}{parts.path}", None, source)
    return Endpoint(url, None, source)


def endpoint_from_clone_url(url: str, source: str = "") -> Endpoint:
    """The LFS server git-lfs guesses from a git remote's URL: ``<url>.git/info/lfs``, or
    ``<url>/info/lfs`` when it already ends in ``.git``; local paths and ``file://`` stay as they are."""
    endpoint = endpoint_from_url(url, source)
    if not endpoint.is_http:
        return endpoint
    base = endpoint.url[:-1] if endpoint.url.endswith("/") else endpoint.url
    path = urlsplit(base).path
    suffix = "/info/lfs" if os.path.splitext(path)[1] == ".git" else ".git/info/lfs"
    return Endpoint(base + suffix, endpoint.ssh, endpoint.source)


def _ssh_url(netloc: str, path: str) -> SshTarget:
    user, at, host_port = netloc.rpartition("@")
    match = _HOST_PORT.fullmatch(host_port)
    if match is None:
        raise GxError(f"cannot read the ssh address {netloc!r}; set lfs.url to the LFS server's https URL")
    host = match.group(1)
    return SshTarget(f"{user}@{host}" if at and user else host, match.group(2) or "", path)


def _bare_ssh(url: str) -> SshTarget | None:
    """``[user@]host:path`` or ``[[user@]host:port]:path`` (scp-like syntax), else None."""
    if url.startswith("["):
        match = re.fullmatch(r"\[([^\]]+)\]:(.*)", url)
        if match is None:
            return None
        target = _ssh_url(match.group(1), "/" + match.group(2).lstrip("/"))
    else:
        host, sep, path = url.partition(":")
        if not sep or not host or "/" in host:
            return None
        target = _ssh_url(host, "/" + path.lstrip("/"))
    return SshTarget(target.user_and_host, target.port, target.path.lstrip("/"))


def _from_ssh(target: SshTarget, source: str) -> Endpoint:
    host = target.user_and_host.rpartition("@")[2]
    if not host or host.startswith("-"):
        raise GxError(f"cannot use the ssh host {host!r}; set lfs.url to the LFS server's https URL")
    path = target.path if target.path.startswith("/") else "/" + target.path
    return Endpoint(f"https://{host}{path}", target, source)
