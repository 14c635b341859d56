"""Registry tags over a remote: fetch the remote's registry tags, and send tag updates with the
remote's compare-and-swap (receive-pack refuses a ref whose old value changed meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Callable

from dulwich.file import FileLocked
from dulwich.objects import Commit, Tag

from gx.errors import RemoteError
from gx.store import gitwire, transfer_git
from gx.store.merge import objects_to_send, pack_records
from gx.store.remote import Progress, Remote, client_for, progress_bytes, remote_errors
from gx.store.repo import Store
from gx.store.tagnames import TAGS_PREFIX, registry_refs

_PREFIX = TAGS_PREFIX.encode()


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


def fetch_registry_tags(store: Store, remote: Remote, progress: Progress | None = None,
                        advertised: dict[bytes, bytes] | None = None) -> dict[str, str]:
    """Download the remote's registry tags (objects only: no local ref moves); returns their ids.

    Like experiments, they pass through the fetch quarantine: a tag, or the run history behind it,
    that would make this repository fail ``git fsck`` is not stored, and is one warning."""
    from gx.store.transfer import fetch_refs

    def select(refs: dict[bytes, bytes | None]) -> dict[str, bytes]:
        return {name: sha.encode() for name, sha in registry_refs(refs).items()}

    return fetch_refs(store, remote, select, _PREFIX, progress, tags=True, advertised=advertised).tag_ids(remote)


@dataclass
class TagSend:
    """What the remote did: tags it took, and tags it refused (someone pushed meanwhile)."""

    before: dict[str, str] = field(default_factory=dict)
    sent: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    busy: bool = False


def send_registry_tags(store: Store, remote: Remote, decide: Callable[[dict[str, str]], dict[str, str]],
                       progress: Progress | None = None, advertised: dict[bytes, bytes] | None = None) -> TagSend:
    """Push: ``decide(remote's registry tags)`` names the tags to create or move on the remote, each
    only from the value it had (a compare-and-swap). ``advertised``: the remote's refs already listed."""
    git = transfer_git.usable(store, remote.push_url)
    if git is not None:
        return _send_with_git(store, git, remote, decide, progress, advertised)
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
        client, path = client_for(store, remote.push_url, "push")
        try:
            sent = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data,  # type: ignore[attr-defined]
                                    progress=progress_bytes(progress))
        except FileLocked:
            return TagSend(result.before, {}, {}, busy=True)
    for ref, error in (sent.ref_status or {}).items():
        name = ref.decode("utf-8", "replace")[len(TAGS_PREFIX):]
        if error is not None and name in result.sent:
            result.refused[name] = error if isinstance(error, str) else str(error)
            result.sent.pop(name)
    return result


def _send_with_git(store: Store, git: str, remote: Remote, decide: Callable[[dict[str, str]], dict[str, str]],
                   progress: Progress | None, advertised: dict[bytes, bytes] | None) -> TagSend:
    """``send_registry_tags`` through one ``git push`` whose every tag carries a lease on its old value."""
    if advertised is None:
        advertised = gitwire.ls_remote(git, remote.push_url, [f"{TAGS_PREFIX}*"],
                                       gitwire.clean_env(GIT_DIR=str(store.paths.git_dir)), remote.label)
    result = TagSend(before=registry_refs(advertised))  # type: ignore[arg-type]
    result.sent = decide(dict(result.before))
    if not result.sent:
        return result
    updates = {(TAGS_PREFIX + name).encode(): sha.encode() for name, sha in result.sent.items()}
    leases = {(TAGS_PREFIX + name).encode(): (result.before[name].encode() if name in result.before else None)
              for name in result.sent}
    pushed = gitwire.push(git, str(store.paths.git_dir), remote.push_url, updates, remote.label, progress, leases)
    if pushed.unpack_failed:
        raise RemoteError(f"{remote.label} refused the registry's tags: {pushed.unpack_failed}")
    for ref in updates:
        name = ref.decode("utf-8", "replace")[len(TAGS_PREFIX):]
        reason = pushed.status.get(ref, "the remote did not report on it")
        if reason is not None:
            result.refused[name] = reason
            result.sent.pop(name)
    return result
