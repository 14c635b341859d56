"""``git-lfs-authenticate`` over ssh, as git-lfs runs it for ssh remotes (docs/api/authentication.md):
``ssh [-p port] [user@]host git-lfs-authenticate <path> <operation>`` prints JSON with the headers (and
optionally the href) to use against the LFS server. Its output is read bounded and checked like any
server answer; a server without the command falls back to the guessed https endpoint.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from gx.errors import GxError
from gx.lfs.endpoint import Endpoint, SshTarget
from gx.lfs.untrusted import checked_action
from gx.limits import LFS_TIMEOUT, MAX_LFS_JSON_BYTES
from gx.paths import find_repo
from gx.store.gitconfig import config_value
from gx.store.repo import Store

#: What a server without git-lfs-authenticate says (git-lfs's own list, lower case).
_NOT_FOUND = ("git-lfs-authenticate: not found", "git-lfs-authenticate: command not found",
              "git-lfs-authenticate: no such file", "command not found: git-lfs-authenticate")


def _ssh_command(common_dir: Path) -> list[str]:
    """The user's ssh: ``GIT_SSH_COMMAND``, ``GIT_SSH``, ``core.sshCommand``, else ``ssh``."""
    if os.environ.get("GIT_SSH_COMMAND"):
        return shlex.split(os.environ["GIT_SSH_COMMAND"])
    if os.environ.get("GIT_SSH"):
        return [os.environ["GIT_SSH"]]
    with Store(find_repo(common_dir)) as store:
        configured = config_value(store, ("core",), "sshCommand")
    return shlex.split(configured) if configured else ["ssh"]


def authenticate(common_dir: Path, endpoint: Endpoint, operation: str) -> tuple[str, dict[str, str]]:
    """The LFS URL and the headers ``git-lfs-authenticate`` grants for ``operation``; the endpoint's
    guessed URL and no headers when the server has no such command."""
    target = endpoint.ssh
    if target is None:
        return endpoint.url, {}
    argv = [*_ssh_command(common_dir), *_port_args(target), target.user_and_host,
            f"git-lfs-authenticate {shlex.quote(target.path)} {operation}"]
    stdout, stderr, status = _run_bounded(argv, target)
    if status != 0:
        if status == 127 or any(needle in stderr.lower() for needle in _NOT_FOUND):
            return endpoint.url, {}
        detail = " ".join(stderr.split())[-300:] or f"exit status {status}"
        raise GxError(f"git-lfs-authenticate on {target.user_and_host} failed: {detail}; check your ssh access "
                      "or set lfs.url to the LFS server's https URL")
    try:
        answer = json.loads(stdout)
    except (UnicodeDecodeError, ValueError):
        raise GxError(f"git-lfs-authenticate on {target.user_and_host} did not answer JSON; "
                      "set lfs.url to the LFS server's https URL") from None
    where = f"git-lfs-authenticate on {target.user_and_host}"
    href, headers = checked_action(answer, where, href_required=False)
    return href or endpoint.url, headers


def _port_args(target: SshTarget) -> list[str]:
    return ["-p", target.port] if target.port else []


def _run_bounded(argv: list[str], target: SshTarget) -> tuple[bytes, str, int]:
    """Run ssh with stdout read up to the JSON limit and stderr kept in a temporary file."""
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        except OSError as exc:
            raise GxError(f"cannot run {argv[0]!r} to authenticate with the LFS server of "
                          f"{target.user_and_host} ({exc.strerror or exc}); install ssh, or set lfs.url "
                          "to the LFS server's https URL (git config lfs.url https://HOST/PATH.git/info/lfs)"
                          ) from None
        assert proc.stdout is not None
        with proc.stdout:
            stdout = proc.stdout.read(MAX_LFS_JSON_BYTES + 1)
            if len(stdout) > MAX_LFS_JSON_BYTES:
                proc.kill()
        try:
            status = proc.wait(timeout=LFS_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise GxError(f"ssh to {target.user_and_host} did not finish git-lfs-authenticate in "
                          f"{LFS_TIMEOUT:.0f} s; check your ssh access or set lfs.url") from None
        if len(stdout) > MAX_LFS_JSON_BYTES:
            raise GxError(f"git-lfs-authenticate on {target.user_and_host} answered over "
                          f"{MAX_LFS_JSON_BYTES:,} bytes; refused")
        err.seek(0)
        stderr = err.read(64 * 1024).decode("utf-8", "replace")
    return stdout, stderr, status
