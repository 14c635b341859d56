"""The credentials git uses for an URL: those written in the URL itself, else ``git credential fill``
(the user's helpers: store, cache, the OS keychain, a manager), approved after they worked and
rejected after a server refused them, as git-lfs does. ``GIT_TERMINAL_PROMPT=0`` keeps git from
waiting on a terminal. gx keeps credentials in memory only and never prints them.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

#: How long a credential helper may take (a GUI prompt waits for the user).
HELPER_TIMEOUT = 120.0
_MAX_HELPER_OUTPUT = 64 * 1024


@dataclass(frozen=True)
class Credential:
    """A username and password for one origin; ``fields`` are what ``git credential`` answered
    (handed back as is to ``approve``/``reject``), empty for credentials taken from the URL."""

    username: str
    password: str = field(repr=False)
    fields: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def header(self) -> str:
        """The ``Authorization`` header value (HTTP Basic, as the LFS API specifies)."""
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def origin(url: str) -> str:
    """``scheme://host[:port]``, without credentials: the key credentials are kept under."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{parts.port}" if parts.port else "")


def from_url(url: str) -> Credential | None:
    """The credentials written into ``url`` (``https://user:token@host/...``), if any."""
    parts = urlsplit(url)
    if parts.username is None:
        return None
    return Credential(unquote(parts.username), unquote(parts.password or ""))


def _query(url: str) -> str:
    parts = urlsplit(url)
    host = origin(url).split("://", 1)[1]
    return f"protocol={parts.scheme.lower()}\nhost={host}\npath={parts.path.lstrip('/')}\n"


def _git(action: str, text: str) -> subprocess.CompletedProcess[bytes] | None:
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run([git, "credential", action], input=(text + "\n").encode(), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=HELPER_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def fill(url: str) -> Credential | None:
    """What ``git credential fill`` gives for ``url`` (None without git or without credentials)."""
    proc = _git("fill", _query(url))
    if proc is None or proc.returncode != 0:
        return None
    fields = []
    for line in proc.stdout[:_MAX_HELPER_OUTPUT].decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key and "\n" not in value:
            fields.append((key, value))
    found = dict(fields)
    if "username" not in found:
        return None
    return Credential(found["username"], found.get("password", ""), tuple(fields))


def approve(credential: Credential) -> None:
    """Tell git's helpers the credentials worked, so they may keep them."""
    _report("approve", credential)


def reject(credential: Credential) -> None:
    """Tell git's helpers the server refused the credentials, so they forget them."""
    _report("reject", credential)


def _report(action: str, credential: Credential) -> None:
    if credential.fields:
        _git(action, "".join(f"{key}={value}\n" for key, value in credential.fields))
