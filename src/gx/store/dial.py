"""A remote's upload-pack started before dulwich's client loads: the head start of ``gx pull`` and
``gx sync`` (``share/head_start.py``).

The fetch speaks the protocol through dulwich's client (``transfer_one``), and importing it takes
~50 ms (its repository, object store and pack code) that would pass before the remote hears a
thing. Starting the connection needs none of it: from a path it is ``git upload-pack PATH``, over ssh
the user's ssh running ``git-upload-pack 'PATH'``. ``upload_pack`` starts that process from the URL
and the config as dulwich's client reads them (the same ``apply_instead_of``, ``GIT_SSH_COMMAND``,
``core.sshCommand``); the client then takes it only if, once loaded, it asks for that very command
(``Dialed.take``, called from ``transfer_one``). Otherwise the process is ended unused and dulwich
connects as it always does, so a guess here can cost time, never behaviour.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from urllib.parse import urlparse

from dulwich.config import ConfigFile, StackedConfig, apply_instead_of

from gx.store import gitwire
from gx.store.remote import ssh_command_from_env

#: A host name as an scp-like URL (``[user@]host:path``) gives it; anything else is left to dulwich.
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


class Dialed:
    """A started upload-pack process and the command it runs (``key``), for the one client that asks
    for exactly that command."""

    def __init__(self, key: tuple[object, ...], proc: subprocess.Popen[bytes]) -> None:
        self.key, self._proc = key, proc

    def take(self, key: tuple[object, ...]) -> subprocess.Popen[bytes] | None:
        """The process, once, if it runs the command ``key`` describes; None otherwise."""
        if self._proc is None or key != self.key:
            return None
        proc, self._proc = self._proc, None
        return proc

    def close(self) -> None:
        """End the process if nobody took it."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        proc.kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        proc.wait()


def local_key(git: str, path: str) -> tuple[object, ...]:
    """What ``git upload-pack PATH`` on this machine is known by."""
    return ("upload-pack", git, path)


def ssh_key(host: str, command: bytes, username: str | None, port: int | None,
            ssh_command: str | None) -> tuple[object, ...]:
    """What an ssh connection running ``command`` is known by: the arguments of dulwich's
    ``SubprocessSSHVendor.run_command`` that shape its process."""
    return ("ssh", host, command, username, port, ssh_command)


def upload_pack(config: ConfigFile, git: str, url: str) -> Dialed | None:
    """``url``'s upload-pack, started now; None where dulwich's client is the one to say how (http,
    ``git://``, ``file://``, a worktree's own config, a URL of an unusual shape)."""
    if config.get_boolean((b"extensions",), b"worktreeconfig", False):
        return None
    stack = StackedConfig([config, *StackedConfig.default_backends()])
    url = apply_instead_of(stack, url, push=False)
    parsed = urlparse(url)
    scheme = parsed.scheme
    if "://" in url:
        if scheme not in ("ssh", "git+ssh"):
            return None
        try:
            host, port, username, path = parsed.hostname, parsed.port, parsed.username, parsed.path
        except ValueError:  # a port that is not one: dulwich says what is wrong
            return None
    elif ":" not in url:  # a path on this machine (a directory: a bundle file is dulwich's to read)
        if not os.path.isdir(url):
            return None
        return Dialed(local_key(git, url), gitwire.spawn(git, ["upload-pack", url], gitwire.clean_env()))
    elif scheme in ("ssh", "git+ssh", "git", "http", "https", "file"):  # "ssh:x" and the like: dulwich decides
        return None
    else:  # [user@]host:path
        user_host, path = url.split(":", 1)
        user, _, host = user_host.rpartition("@")
        username, port = user or None, None
    if not host or not _HOST.fullmatch(host):
        return None
    ssh_command = ssh_command_from_env() or _config_ssh_command(stack)
    command = _upload_pack_command(path)
    args = [*shlex.split(ssh_command), "-x"] if ssh_command else ["ssh", "-x"]
    if port:
        args += ["-p", str(port)]
    args.append(f"{username}@{host}" if username else host)
    proc = subprocess.Popen([*args, command], bufsize=0, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    return Dialed(ssh_key(host, command, username, port, ssh_command), proc)


def _config_ssh_command(stack: StackedConfig) -> str:
    try:
        value = stack.get((b"core",), b"sshCommand")
    except KeyError:
        return "ssh"
    return value.decode() if value else "ssh"


def _upload_pack_command(path: str) -> bytes:
    """The command the remote's login shell runs, quoted as git's ``sq_quote`` quotes it."""
    if path.startswith("/~"):
        path = path[1:]
    return b"git-upload-pack '" + path.encode("utf-8").replace(b"'", b"'\\''") + b"'"
