"""Registry tags over a remote: fetch the remote's registry tags, and send tag updates with the
remote's compare-and-swap (receive-pack refuses a ref whose old value changed meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Callable

from dulwich.client import LocalGitClient
from dulwich.file import FileLocked
from dulwich.objects import ZERO_SHA, Commit, Tag
from dulwich.repo import Repo

from gx.store.merge import objects_to_send, pack_records
from gx.store.remote import (
    Progress,
    Remote,
    _client,
    _FetchTarget,
    _local_heads,
    _progress_bytes,
    remote_errors,
)
from gx.store.repo import Store
from gx.store.tagnames import TAGS_PREFIX, parse_tag_name

_PREFIX = TAGS_PREFIX.encode()


def registry_refs(refs: dict[bytes, bytes | None]) -> dict[str, str]:
    """``{tag name: object id}`` of the registry tags among advertised refs."""
    out = {}
    for ref, sha in refs.items():
        if ref.startswith(_PREFIX) and not ref.endswith(b"^{}") and sha and sha != ZERO_SHA:
            name = ref[len(_PREFIX):].decode("utf-8", "replace")
            if parse_tag_name(name) is not None:
                out[name] = sha.decode()
    return out


def _objects(objects: object, tag_ids: list[bytes], haves: list[bytes]) -> list[bytes]:
    """The tag objects plus whatever of their commits' history the other side lacks."""
    store = objects  # a dulwich object store
    tags, targets = [], []
    for sha in tag_ids:
        obj = store[sha]  # type: ignore[index]
        tags.append(sha)
        if isinstance(obj, Tag) and obj.object[0] is Commit:
            targets.append(obj.object[1])
    commits = [h for h in haves if h in store and isinstance(store[h], Commit)]  # type: ignore[operator,index]
    return tags + (objects_to_send(store, targets, commits) if targets else [])  # type: ignore[arg-type]


def fetch_registry_tags(store: Store, remote: Remote, progress: Progress | None = None) -> dict[str, str]:
    """Download the remote's registry tags (objects only: no local ref moves); returns their ids."""
    found: dict[str, str] = {}
    object_store = store.repo.object_store

    def determine_wants(refs: dict[bytes, bytes | None], depth: int | None = None) -> list[bytes]:
        found.update(registry_refs(refs))
        return sorted({sha.encode() for sha in found.values() if sha.encode() not in object_store})

    with remote_errors(remote, remote.url):
        client, path = _client(store, remote.url, "pull")
        if isinstance(client, LocalGitClient):
            with closing(Repo(path)) as other:
                wants = determine_wants(other.get_refs())  # type: ignore[arg-type]
                ids = _objects(other.object_store, wants, _local_heads(store)) if wants else []
                ids = [i for i in ids if i not in object_store]
                if ids:
                    object_store.add_pack_data(len(ids), pack_records(other.object_store, ids, progress, "Receiving"))
            return found
        target = _FetchTarget(store.repo, _local_heads(store))
        client.fetch(path.encode(), target, determine_wants=determine_wants,  # type: ignore[attr-defined]
                     progress=_progress_bytes(progress), ref_prefix=[_PREFIX])
    return found


@dataclass
class TagSend:
    """What the remote did: tags it took, and tags it refused (someone pushed meanwhile)."""

    before: dict[str, str] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    busy: bool = False


def send_registry_tags(store: Store, remote: Remote, decide: Callable[[dict[str, str]], dict[str, str]],
                       progress: Progress | None = None) -> TagSend:
    """Push: ``decide(remote's registry tags)`` names the tags to create or move on the remote."""
    result = TagSend()

    def update_refs(refs: dict[bytes, bytes]) -> dict[bytes, bytes]:
        result.before = registry_refs(refs)  # type: ignore[arg-type]
        result.sent = decide(dict(result.before))
        return {(TAGS_PREFIX + name).encode(): sha.encode() for name, sha in result.sent.items()}

    def pack_data(have: set[bytes], want: set[bytes], *, ofs_delta: bool = False,
                  progress: Callable[..., None] | None = None) -> tuple[int, Iterator[object]]:
        ids = _objects(store.repo.object_store, sorted(want), sorted(have))
        return len(ids), pack_records(store.repo.object_store, ids, None)

    with remote_errors(remote, remote.push_url):
        client, path = _client(store, remote.push_url, "push")
        try:
            sent = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data,  # type: ignore[attr-defined]
                                    progress=_progress_bytes(progress))
        except FileLocked:
            return TagSend(result.before, {}, {}, busy=True)
    for ref, error in (sent.ref_status or {}).items():
        name = ref.decode("utf-8", "replace")[len(TAGS_PREFIX):]
        if error is not None and name in result.sent:
            result.refused[name] = error if isinstance(error, str) else str(error)
            result.sent.pop(name)
    return result
