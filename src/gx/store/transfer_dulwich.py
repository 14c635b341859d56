"""``transfer.py``'s fetch and push through dulwich's transport: http(s), no ``git`` on PATH,
``GX_GIT_BINARY=0``, a shallow repository, or a pack git would not take. Imported only then: dulwich's
client (sockets, urllib3) stays out of the usual push and pull.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import closing
from typing import TYPE_CHECKING, Callable

from dulwich.client import LocalGitClient
from dulwich.errors import SendPackError
from dulwich.file import FileLocked
from dulwich.repo import Repo

from gx.errors import RemoteError
from gx.store.incoming import Quarantine
from gx.store.merge import UNREADABLE, objects_to_send, pack_records
from gx.store.receive import checked_records, local_receiver, other_repository_env
from gx.store.refs import experiment_from_ref, experiment_ref
from gx.store.remote import (
    Progress,
    Remote,
    client_for,
    local_heads,
    progress_bytes,
    remote_errors,
    remote_experiments,
)
from gx.store.repo import Store
from gx.store.verify import COMMIT, TAG

if TYPE_CHECKING:
    from gx.store.transfer import Select, SendResult

#: A fetched pack stays in memory up to this size, then spills to a file inside the quarantine.
_PACK_IN_MEMORY = 16 * 1024 * 1024


def fetch(store: Store, remote: Remote, select: Select, ref_prefix: bytes, found: dict[str, bytes],
          quarantine: Quarantine, progress: Progress | None) -> None:
    """Fill ``found`` with the tips ``select`` picks, their objects received into ``quarantine``."""
    with remote_errors(remote, remote.url):
        client, path = client_for(store, remote.url, "pull")
        if isinstance(client, LocalGitClient):
            _copy_from_repository(store, path, select, found, quarantine, progress)
        else:
            _fetch_pack(store, client, path, remote.label, select, ref_prefix, found, quarantine, progress)


def _copy_from_repository(store: Store, path: str, select: Select, found: dict[str, bytes],
                          quarantine: Quarantine, progress: Progress | None) -> None:
    """Read the objects straight from another repository on this machine (no pack to parse)."""
    local = store.repo.object_store
    with closing(Repo(path)) as other:
        found.update(select(other.get_refs()))  # type: ignore[arg-type]
        wants = sorted({sha for sha in found.values() if sha not in local})
        commits, others = [], []
        for sha in wants:  # a ref at a blob or tree is brought as is, for the checks to name it
            try:
                kind, raw = other.object_store.get_raw(sha)
            except (KeyError, *UNREADABLE):
                continue
            if kind == TAG and raw.startswith(b"object ") and raw[47:59] == b"\ntype commit":
                commits.append(raw[7:47])  # a registry tag: its run commit's history comes too
            (commits if kind == COMMIT else others).append(sha)
        ids = objects_to_send(other.object_store, commits, local_heads(store), store.repo.get_shallow()) \
            if commits else []
        ids += others
        if ids:
            quarantine.add_objects(other.object_store, ids, progress)


def _fetch_pack(store: Store, client: object, path: str, label: str, select: Select, ref_prefix: bytes,
                found: dict[str, bytes], quarantine: Quarantine, progress: Progress | None) -> None:
    """The upload-pack protocol (ssh, http): the pack is kept aside, then indexed in the quarantine."""
    local = store.repo.object_store

    def determine_wants(refs: dict[bytes, bytes | None], depth: int | None = None) -> list[bytes]:
        found.update(select(refs))
        return sorted({sha for sha in found.values() if sha not in local})

    walker = store.repo.get_graph_walker(local_heads(store))
    with tempfile.SpooledTemporaryFile(max_size=_PACK_IN_MEMORY, dir=quarantine.path) as pack:
        client.fetch_pack(path.encode(), determine_wants, walker, pack.write,  # type: ignore[attr-defined]
                          progress=progress_bytes(progress), ref_prefix=[ref_prefix])
        if pack.tell():
            pack.seek(0)
            try:
                quarantine.add_thin_pack(pack.read)
            except UNREADABLE as exc:
                raise RemoteError(f"{label} sent a pack that cannot be read ({exc}); nothing of it was stored") from exc


class _RemoteMessages:
    """The remote's messages (hook output, its fsck's errors): shown as progress when asked, and
    kept so that a refused push can say why in one line."""

    def __init__(self, show: Callable[[bytes], None] | None) -> None:
        self.show, self.text = show, bytearray()

    def __call__(self, data: bytes) -> None:
        if len(self.text) < 65536:
            self.text += data
        if self.show is not None:
            self.show(data)

    def _lines(self) -> list[str]:
        """Whole lines, without git's progress counters."""
        lines = (line.rsplit("\r", 1)[-1].strip() for line in self.text.decode("utf-8", "replace").split("\n"))
        return [line for line in lines if line and not _PROGRESS.search(line)]

    def errors(self) -> str:
        found = [line.split(":", 1)[1].strip() for line in self._lines() if line.startswith(("error:", "fatal:"))]
        return _short("; ".join(dict.fromkeys(found)))

    def said(self) -> str:
        return _short("; ".join(dict.fromkeys(self._lines())))


def _short(text: str) -> str:
    return text if len(text) < 300 else text[:297] + "..."


_PROGRESS = re.compile(r"^(Counting|Compressing|Writing|Unpacking|Resolving|Receiving|Enumerating|Total) ")


def send(store: Store, remote: Remote, decide: Callable[[dict[str, bytes]], dict[str, bytes]],
         progress: Progress | None, result: SendResult) -> SendResult:
    """``send_experiments`` over dulwich's send-pack; a local remote through its own receive side."""
    progress_text = progress
    objects = store.repo.object_store

    def update_refs(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
        result.before = remote_experiments(refs, None)  # type: ignore[arg-type]
        result.updated = decide(dict(result.before))
        return {experiment_ref(name): sha for name, sha in result.updated.items()}

    with remote_errors(remote, remote.push_url):
        client, path = client_for(store, remote.push_url, "push")
        policy = None
        if isinstance(client, LocalGitClient):
            receiver, policy = local_receiver(path, remote.label)
            client = receiver or client

        def pack_data(have: set[bytes], want: set[bytes], *, ofs_delta: bool = False,
                      progress: Callable[..., None] | None = None) -> tuple[int, Iterator[object]]:
            ids = objects_to_send(objects, sorted(want), sorted(have))
            records = pack_records(objects, ids, progress_text)
            return len(ids), records if policy is None else checked_records(records, policy, remote.label, objects)

        messages = _RemoteMessages(progress_bytes(progress))
        try:
            with other_repository_env():
                sent = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data,  # type: ignore[attr-defined]
                                        progress=messages)
        except FileLocked:  # dulwich's local transport takes the remote's ref lock itself
            result.updated, result.failed, result.busy = {}, {}, True
            return result
        except SendPackError as exc:  # the remote would not take the pack (its fsck, a full disk...)
            status = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
            raise RemoteError(f"{remote.label} refused the push: {messages.errors() or status}") from exc
    said = messages.said()
    for ref, error in (sent.ref_status or {}).items():
        name = experiment_from_ref(ref)
        if error is not None and name is not None:
            reason = error if isinstance(error, str) else str(error)
            result.failed[name] = f"{reason} (remote: {said})" if said else reason
            if "lock" in reason:  # git's "cannot lock ref": another push held it, a race and not a no
                result.raced.add(name)
            result.updated.pop(name, None)
    return result
