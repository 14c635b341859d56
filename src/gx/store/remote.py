"""Remotes through dulwich: resolve a remote, connect to it, and report its failures in one line.

Works over local paths, ``file://``, ssh (the user's ``ssh``, ``GIT_SSH_COMMAND``, ``core.sshCommand``)
and http(s) (credentials from the URL, ``~/.git-credentials``, or ``git credential fill`` when git exists).
What moves over a connection is in ``transfer.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlparse

from dulwich.errors import GitProtocolError, NotGitRepository
from dulwich.objects import ZERO_SHA

from gx.errors import RemoteError
from gx.store.gitconfig import remotes_in, values_in
from gx.store.refs import PREFIX, experiment_from_ref, tracking_prefix

if TYPE_CHECKING:
    from dulwich.config import ConfigFile

    from gx.paths import RepoPaths
    from gx.store.repo import Store

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Remote:
    """A configured remote (``name`` set) or a bare URL/path given on the command line."""

    name: str | None
    url: str
    push_url: str

    @property
    def label(self) -> str:
        return self.name or self.url

    def tracking_ref(self, experiment: str) -> bytes:
        """Where plain ``git fetch`` keeps this remote's copy of an experiment (after setup)."""
        return (tracking_prefix(self.name) + experiment).encode()


def _is_url(spec: str) -> bool:
    return any(c in spec for c in ":/\\") or os.path.exists(spec)


def resolve_remote(store: Store, spec: str | None) -> Remote:
    """``origin`` (or the only remote) by default; a remote name; or a URL/path used as is."""
    return resolve_in(store.repo.get_config(), store.paths, spec)


def resolve_in(config: ConfigFile, paths: RepoPaths, spec: str | None) -> Remote:
    """``resolve_remote`` from the repository's own config as read, and its paths."""
    names = remotes_in(config)
    if spec is None:
        spec = "origin" if "origin" in names or len(names) != 1 else names[0]
    if spec in names:
        [url, *_] = values_in(config, ("remote", spec), "url") or [""]
        if not url:
            raise RemoteError(f"remote {spec!r} has no url; set one with 'git remote set-url {spec} URL'")
        push_url = (values_in(config, ("remote", spec), "pushurl") or [url])[0]
        return Remote(spec, _absolute(paths, url), _absolute(paths, push_url))
    if _is_url(spec):
        return Remote(None, _absolute(paths, spec), _absolute(paths, spec))
    raise unknown_remote(spec, names, urls_work=True)


def unknown_remote(name: str, names: list[str], urls_work: bool) -> RemoteError:
    """The one message for a remote name that is not configured."""
    known = f"; known remotes: {', '.join(names)}" if names else ""
    alternative = " or give a URL or path" if urls_work else " first"
    return RemoteError(f"no remote named {name!r}{known}; add one with 'git remote add {name} URL'{alternative}")


def _absolute(paths: RepoPaths, url: str) -> str:
    """Relative local paths are relative to the top of the worktree, as git reads them."""
    if "://" in url or os.path.isabs(url) or (":" in url and "/" not in url.split(":", 1)[0]):
        return url
    base = paths.worktree or paths.git_dir
    return os.path.normpath(os.path.join(base, url))


def _credentials(url: str) -> dict[str, str] | None:
    """The user's usual https credentials: the credential store, then ``git credential fill``."""
    from dulwich.client import get_credentials_from_store

    parsed = urlparse(url)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    files = [os.path.expanduser("~/.git-credentials"), os.path.join(xdg, "git", "credentials")]
    for user, password in get_credentials_from_store(parsed.scheme, parsed.hostname or "", fnames=files):
        return {"username": user, "password": password}
    git = shutil.which("git")
    if git is None:
        return None
    query = f"protocol={parsed.scheme}\nhost={parsed.netloc}\npath={parsed.path.lstrip('/')}\n\n"
    proc = subprocess.run([git, "credential", "fill"], input=query.encode(), stdout=subprocess.PIPE, check=False)
    fields = dict(line.split("=", 1) for line in proc.stdout.decode().splitlines() if "=" in line)
    if proc.returncode != 0 or "username" not in fields:
        return None
    return {"username": fields["username"], "password": fields.get("password", "")}


def ssh_command_from_env() -> str | None:
    """The ssh the environment asks for (``GIT_SSH_COMMAND``, then ``GIT_SSH``); None: the config's, or ``ssh``."""
    return os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH") or None


def client_for(store: Store, url: str, operation: str) -> tuple[object, str]:
    """dulwich's client for ``url`` (imported here: git's transport never needs it) and the path on it."""
    # dulwich's own HTTP client by its real name: other libraries in the process (scmrepo) rebind
    # ``dulwich.client.HttpGitClient`` to a subclass whose retried POSTs hang dulwich's servers
    # and the user's ssh, as git runs it: scmrepo rebinds ``dulwich.client.get_ssh_vendor`` to asyncssh
    # (which reads neither GIT_SSH_COMMAND nor core.sshCommand) for the whole process
    from dulwich.client import SSHGitClient, SubprocessSSHVendor, get_transport_and_path
    from dulwich.client import Urllib3HttpGitClient as HttpGitClient
    from dulwich.config import apply_instead_of

    config = store.repo.get_config_stack()
    url = apply_instead_of(config, url, push=operation == "push")
    client, path = get_transport_and_path(url, config=config, operation=operation, ssh_command=ssh_command_from_env())
    if isinstance(client, SSHGitClient):
        client.ssh_vendor = SubprocessSSHVendor()
    parsed = urlparse(url)
    if isinstance(client, HttpGitClient) and not parsed.username:
        cache: list[dict[str, str] | None] = []

        def auth(_url: str, _www_authenticate: str, attempt: int) -> dict[str, str] | None:
            if not cache:
                cache.append(_credentials(url))
            return cache[0] if attempt == 1 else None

        base = parsed._replace(path="").geturl()
        try:
            client = HttpGitClient(base, config=config, auth_callback=auth)
        except TypeError:  # dulwich < 0.25 (the newest on Python 3.9) asks for credentials up front
            creds = _credentials(url) or {}
            client = HttpGitClient(base, config=config, username=creds.get("username"),
                                   password=creds.get("password"))
    return client, path


@contextmanager
def remote_errors(remote: Remote, url: str, http: bool = True) -> Iterator[None]:
    """Turn transport failures into one-line RemoteErrors naming the remote (``http=False``: no http
    client is involved, urllib3 is not loaded)."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized

    http_errors: tuple[type[BaseException], ...] = ()
    try:
        if http:
            import urllib3.exceptions as urllib3_errors

            http_errors = (urllib3_errors.HTTPError,)
    except ImportError:  # pragma: no cover - urllib3 comes with dulwich's http support
        pass
    where = remote.label if remote.label == url else f"{remote.label} ({url})"
    try:
        yield
    except (HTTPUnauthorized, HTTPProxyUnauthorized) as exc:
        raise RemoteError(f"remote {where} refused the credentials: {_one_line(exc)}") from exc
    except (GitProtocolError, NotGitRepository, OSError, *http_errors) as exc:
        raise RemoteError(f"cannot reach remote {where}: {_one_line(exc)}") from exc


_BARE_ERRORS = {"NotGitRepository": "no git repository there", "HTTPUnauthorized": "authentication failed"}


def _one_line(exc: BaseException) -> str:
    """The most telling message in the chain: ssh's own stderr, the socket error under urllib3's."""
    chain, inner = [exc], exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
        chain.append(inner)
    text = ""
    for link in chain:
        lines = getattr(link, "stderr_lines", None)
        reason = getattr(link, "reason", None)
        if lines:
            text = " ".join(line.decode("utf-8", "replace").strip() for line in lines)
            break
        if isinstance(reason, BaseException):
            text = str(reason)
            break
    text = " ".join((text or str(exc)).split()) or _BARE_ERRORS.get(type(exc).__name__, type(exc).__name__)
    return text if len(text) < 300 else text[:297] + "..."


def progress_bytes(progress: Progress | None) -> Callable[[bytes], None] | None:
    """The remote's progress and hook messages, each line prefixed ``remote: `` as git does."""
    if progress is None:
        return None
    at_line_start = [True]

    def write(data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        out = []
        for piece in re.split(r"(?<=[\r\n])", text):
            if piece:
                remote = at_line_start[0] and not piece.startswith("Receiving objects")  # dulwich's own line
                out.append(("remote: " if remote else "") + piece)
                at_line_start[0] = piece.endswith(("\r", "\n"))
        progress("".join(out))

    return write


def remote_experiments(refs: dict[bytes, bytes | None], wanted: set[str] | None) -> dict[str, bytes]:
    """The experiments among advertised refs, optionally limited to ``wanted``."""
    out = {}
    for ref, sha in refs.items():
        name = experiment_from_ref(ref) if ref.startswith(PREFIX.encode()) else None
        if name is not None and sha and sha != ZERO_SHA and (wanted is None or name in wanted):
            out[name] = sha
    return out


def local_heads(store: Store) -> list[bytes]:
    """Tips a remote may assume we have: branches, experiments and remote-tracking refs."""
    refs = store.repo.refs.as_dict()
    wanted = (b"refs/heads/", PREFIX.encode(), b"refs/remotes/")
    return sorted({sha for ref, sha in refs.items() if ref.startswith(wanted) and sha in store.repo.object_store})
