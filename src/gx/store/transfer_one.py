"""A fetch in one connection, as ``git fetch`` makes: the refs are listed and the pack sent over the
same upload-pack conversation, and git indexes the pack.

``transfer_git.fetch`` without a listing in hand would otherwise run ``git ls-remote`` and then
``git fetch-pack`` (which needs exact ref names): two connections, two ssh handshakes. Here dulwich
speaks the protocol, so ``select`` picks the refs from the very advertisement the pack is asked on,
and the pack streams into ``git index-pack --stdin --fix-thin`` in the quarantine's private
repository (C speed, the repository's objects an alternate for the thin pack's bases); then the
received objects are read back and checked as after ``fetch-pack`` (``incoming_git``). Paths and
``file://`` run ``git upload-pack`` with a clean environment; ssh and ``git://`` use dulwich's
client for the URL (the user's ``ssh``, ``core.sshCommand``, ``insteadOf``). Protocol v0, whose
upload-pack acknowledges each have as it comes, so the offer of local commits stops early.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from dulwich.client import (
    AbstractHttpGitClient,
    LocalGitClient,
    SubprocessGitClient,
    SubprocessSSHVendor,
    SubprocessWrapper,
)
from dulwich.protocol import Protocol

from gx.errors import RemoteError
from gx.store import gitwire
from gx.store.dial import Dialed, local_key, ssh_key
from gx.store.remote import Progress, Remote, client_for, local_heads, progress_bytes, remote_errors
from gx.store.repo import Store

if TYPE_CHECKING:
    from gx.store.incoming import Quarantine
    from gx.store.transfer import Select


class PackRefused(RemoteError):
    """git would not index the remote's pack (hostile objects, broken deltas...): nothing was stored."""


class _Pipes(SubprocessWrapper):
    """dulwich's pipes to a subprocess, closed with a plain wait (dulwich's polls with sleeps of up to
    50 ms for an upload-pack that exits as soon as its input ends)."""

    def close(self, timeout: int | None = None) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self.proc.wait()


class _UploadPack(SubprocessGitClient):
    """``git upload-pack`` of a repository on this machine, without the caller's repository variables
    (gx may run inside a git hook)."""

    def __init__(self, git: str) -> None:
        super().__init__()
        self._git = git
        self.dialed: Dialed | None = None

    def _connect(self, cmd: bytes, path: bytes | str, protocol_version: int | None = None,
                 ) -> tuple[Protocol, object, IO[bytes] | None]:
        where = path.decode() if isinstance(path, bytes) else path
        early = self.dialed.take(local_key(self._git, where)) if self.dialed and cmd == b"upload-pack" else None
        proc = early or gitwire.spawn(self._git, [cmd.decode("ascii"), where], gitwire.clean_env())
        wrapper = _Pipes(proc)
        return Protocol(wrapper.read, wrapper.write, wrapper.close), wrapper.can_read, proc.stderr


class _Offer(SubprocessSSHVendor):
    """dulwich's ssh vendor, handing over the process ``dial`` started when dulwich's client asks
    for that very command (and starting its own otherwise, as always)."""

    def __init__(self, dialed: Dialed) -> None:
        self._dialed = dialed

    def run_command(self, host: str, command: bytes, username: str | None = None, port: int | None = None,
                    password: str | None = None, key_filename: str | None = None, ssh_command: str | None = None,
                    protocol_version: int | None = None) -> SubprocessWrapper:
        plain = password is None and key_filename is None and not protocol_version
        proc = self._dialed.take(ssh_key(host, command, username, port, ssh_command)) if plain else None
        if proc is None:
            return super().run_command(host, command, username, port, password, key_filename, ssh_command,
                                       protocol_version)
        return SubprocessWrapper(proc)


@contextlib.contextmanager
def _offered(client: object, dialed: Dialed | None) -> Iterator[None]:
    """``client`` connects through the process ``dialed`` if it asks for its command (what it does not
    take, ``started`` ends)."""
    if dialed is None:
        yield
        return
    vendor = getattr(client, "ssh_vendor", None)
    try:
        if isinstance(client, _UploadPack):
            client.dialed = dialed
        elif type(vendor) is SubprocessSSHVendor:  # dulwich's own: another is the user's, not guessed here
            client.ssh_vendor = _Offer(dialed)  # type: ignore[attr-defined]
        yield
    finally:
        if isinstance(client, _UploadPack):
            client.dialed = None
        elif vendor is not None:
            client.ssh_vendor = vendor  # type: ignore[attr-defined]


class _Indexer:
    """``git index-pack --stdin --fix-thin`` into the quarantine, started by the pack's first bytes."""

    def __init__(self, git: str, git_dir: str, quarantine: Quarantine, progress: Progress | None) -> None:
        self._git, self._args = git, ["index-pack", "--stdin", "--fix-thin", *(["-v"] if progress else [])]
        self._env = gitwire.clean_env(GIT_DIR=git_dir, GIT_OBJECT_DIRECTORY=quarantine.path,
                                      GIT_ALTERNATE_OBJECT_DIRECTORIES=os.path.abspath(quarantine.main.path))
        self._progress = progress
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: gitwire.Stderr | None = None
        self._broken = False

    def write(self, data: bytes) -> None:
        if self.proc is None:
            self.proc = gitwire.spawn(self._git, self._args, self._env)
            self._stderr = gitwire.Stderr(self.proc.stderr, self._progress)  # type: ignore[arg-type]
        if self._broken:
            return
        try:
            self.proc.stdin.write(data)  # type: ignore[union-attr]
        except OSError:  # index-pack gave up: its status says why
            self._broken = True

    def finish(self, label: str) -> bool:
        """Wait for git to index the pack; whether a pack came. PackRefused when git would not take it."""
        if self.proc is None:
            return False
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.stdout.read()  # type: ignore[union-attr]  # "pack\t<hash>": the pack is in place
        self.proc.stdout.close()  # type: ignore[union-attr]
        code = self.proc.wait()
        err = self._stderr.join()  # type: ignore[union-attr]
        if code:
            done = gitwire.Finished(code, "", err)
            raise PackRefused(f"{label} sent a pack git would not index: {done.errors()}")
        return True

    def abort(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


#: Haves sent with no ACK before giving up, as git's fetch-pack does (MAX_IN_VAIN).
MAX_IN_VAIN = 256


class _Haves:
    """dulwich's walk over the local history for haves, bounded: after ``MAX_IN_VAIN`` haves the
    remote did not acknowledge it stops (the pack is then less thin, never wrong), where dulwich's
    own would offer every commit of every branch."""

    def __init__(self, walker: object) -> None:
        self._walker, self._in_vain = walker, 0
        self.shallow = getattr(walker, "shallow", None)

    def __next__(self) -> bytes | None:
        if self._in_vain >= MAX_IN_VAIN:
            return None
        self._in_vain += 1
        return next(self._walker)  # type: ignore[call-overload]

    next = __next__

    def ack(self, sha: bytes) -> None:
        self._in_vain = 0
        self._walker.ack(sha)  # type: ignore[attr-defined]

    def nak(self) -> None:
        self._walker.nak()  # type: ignore[attr-defined]


def connection(store: Store, git: str, url: str) -> tuple[object, str] | None:
    """The client and path for a one-connection fetch from ``url``, or None (http(s): dulwich's own)."""
    client, path = client_for(store, url, "pull")
    if isinstance(client, LocalGitClient):
        return _UploadPack(git), path
    if isinstance(client, AbstractHttpGitClient):
        return None
    return client, path


class Started:
    """An upload-pack conversation started ahead of the fetch that holds it: the remote (a process
    start, or an ssh handshake, away) answers while gx readies the quarantine and loads its checks."""

    def __init__(self, client: object, path: str, dialed: Dialed | None = None) -> None:
        self.client, self.path = client, path
        # dulwich's clients connect through ``_connect`` (the hook its subclasses implement, as
        # ``_UploadPack`` does); fetch_pack then asks it for the connection: ``take`` hands this one
        with _offered(client, dialed):
            self._conn: tuple[Protocol, object, IO[bytes] | None] | None = client._connect(  # type: ignore[attr-defined]
                b"upload-pack", path.encode(), 0)

    def take(self, cmd: bytes, path: bytes | str, protocol_version: int | None = None,
             ) -> tuple[Protocol, object, IO[bytes] | None]:
        if self._conn is None:
            raise RemoteError("a fetch asked for a second connection")  # pragma: no cover - one per fetch
        conn, self._conn = self._conn, None
        return conn

    def close(self) -> None:
        """End the conversation if no fetch took it (an error came first, or nothing was fetched)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn[0].close()


@contextlib.contextmanager
def started(store: Store, git: str, remote: Remote, dialed: Dialed | None = None) -> Iterator[Started | None]:
    """The one-connection fetch from ``remote``, started now (through ``dialed`` if that is its
    command) and ended on the way out if no fetch took it; None where it is not the transport (http)
    or cannot start (the fetch then tries itself, and says what is wrong)."""
    try:
        with remote_errors(remote, remote.url, http=False):
            found = connection(store, git, remote.url)
            early = None if found is None else Started(*found, dialed)
    except RemoteError:
        early = None
    finally:
        if dialed is not None:
            dialed.close()  # not the connection: ended
    try:
        yield early
    finally:
        if early is not None:
            early.close()


def fetch(store: Store, git: str, remote: Remote, select: Select, ref_prefix: bytes, quarantine: Quarantine,
          progress: Progress | None, started: Started | None = None) -> tuple[dict[str, bytes], dict[bytes, bytes]]:
    """The tips ``select`` picks among the remote's refs under ``ref_prefix``, their objects received
    into ``quarantine`` (checked, not yet admitted), and every ref the remote listed under it (for a
    push that follows). Tips already stored here are not asked for. ``started``: the conversation
    begun by ``started``, held from here on."""
    from gx.store.incoming_git import private_repository, read_received

    if started is not None:
        client, path = started.client, started.path
        client._connect = started.take  # type: ignore[attr-defined]  # fetch_pack talks over it
    else:
        with remote_errors(remote, remote.url, http=False):
            found = connection(store, git, remote.url)
            if found is None:
                raise RemoteError(f"cannot fetch from {remote.label} in one connection")
            client, path = found
    local = store.repo.object_store
    picked: dict[str, bytes] = {}
    listed: dict[bytes, bytes] = {}

    def determine_wants(refs: dict[bytes, bytes | None], depth: int | None = None) -> list[bytes]:
        for ref, sha in refs.items():
            if sha and ref.startswith(ref_prefix) and not ref.endswith(b"^{}"):
                listed[ref] = sha
        picked.update(select(dict(listed)))  # type: ignore[arg-type]
        return sorted({sha for sha in picked.values() if sha not in local})

    git_dir = private_repository(quarantine, str(store.paths.common_dir / "config"))
    indexer = _Indexer(git, git_dir, quarantine, progress)
    try:
        with remote_errors(remote, remote.url, http=False):
            # protocol v0: upload-pack answers each have as it comes (multi_ack_detailed), so the walk
            # stops at the first common commit; v2 answers only once every have is sent
            try:
                client.fetch_pack(path.encode(), determine_wants,  # type: ignore[attr-defined]
                                  _Haves(store.repo.get_graph_walker(local_heads(store))), indexer.write,
                                  progress=gitwire.Delayed(progress_bytes(progress)), ref_prefix=[ref_prefix], protocol_version=0)
            except AssertionError as exc:  # dulwich before 1.0 on the remote's fatal-error channel
                raise RemoteError(f"{remote.label} stopped sending: {exc}") from exc
        if indexer.finish(remote.label):
            read_received(quarantine, git, git_dir)
    finally:
        indexer.abort()
    return picked, listed
