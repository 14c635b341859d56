"""Annotated registry tags: list them fast, read them bounded, create/replace/delete them with CAS.

Tags fetched from a teammate's clone are someone else's input: every tag object is checked (an
annotated tag, its own name equal to its ref's, a bounded message, a commit target) and one that
fails is returned as a problem for the caller to warn about, never raised. Parsed tags are cached
in ``.git/gx/tags.cache`` by object id (tag objects never change), so listing thousands of
versions does not decompress thousands of objects each time.
"""

from __future__ import annotations

import marshal
import os
import time
from dataclasses import dataclass
from pathlib import Path

from dulwich.file import FileLocked
from dulwich.objects import Commit, Tag, Tree

from gx.errors import BadName, StoreConflict
from gx.store import objects as gobj
from gx.store.repo import Store
from gx.store.tagnames import TAGS_PREFIX, list_tag_refs, parse_tag_name

#: A registry tag's message (subject and gx's YAML fields) may be at most this many bytes.
MAX_TAG_MESSAGE = 64 * 1024
_CACHE_FILE = "tags.cache"
_CACHE_FORMAT = 1
_REGISTRY_IDENTITY = b"gx <gx@localhost>"


@dataclass(frozen=True)
class TagInfo:
    """An annotated tag as read back: what it points at, who made it when, and its message."""

    name: str
    sha: str  # the tag object's id
    target: str  # the commit it points at
    tagger: str
    time: float
    tz: int
    message: str


def _load_cache(path: Path) -> dict[str, tuple]:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data[1] if isinstance(data, tuple) and len(data) == 2 and data[0] == _CACHE_FORMAT else {}


def _save_cache(path: Path, entries: dict[str, tuple]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((_CACHE_FORMAT, entries)))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache only: the next reader parses the objects again


def _parse_object(store: Store, name: str, sha: str) -> tuple | str:
    """The cached fields of one tag object, or the reason it is refused."""
    try:
        obj = store.repo[sha.encode()]
    except KeyError:
        return "its object is missing from this repository"
    if not isinstance(obj, Tag):
        return f"it is a lightweight tag (a {obj.type_name.decode()}), not an annotated tag"
    if obj.name.decode("utf-8", "replace") != name:
        return f"its tag object is named {obj.name.decode('utf-8', 'replace')[:80]!r}"
    if len(obj.message) > MAX_TAG_MESSAGE:
        return f"its message is {len(obj.message):,} bytes; the limit is {MAX_TAG_MESSAGE:,}"
    kind, target = obj.object
    if kind is not Commit:
        return f"it points at a {kind.type_name.decode()}, not a commit"
    return (target.decode(), (obj.tagger or b"").decode("utf-8", "replace"), float(obj.tag_time),
            int(obj.tag_timezone), obj.message.decode("utf-8", "replace"))


def read_tag(store: Store, name: str, sha: str) -> TagInfo | None:
    """One registry tag object, checked; None when it is malformed or missing."""
    parsed = _parse_object(store, name, sha)
    return None if isinstance(parsed, str) else TagInfo(name, sha, *parsed)


def move_tag_ref(store: Store, name: str, old_sha: str | None, new_sha: str) -> bool:
    """Point ``refs/tags/<name>`` at an object already stored (a fetched tag), if it still holds ``old_sha``."""
    if parse_tag_name(name) is None:
        raise BadName(f"{name!r} is not a registry tag name gx writes")
    ref = (TAGS_PREFIX + name).encode()
    try:
        if old_sha is None:
            return store.repo.refs.add_if_new(ref, new_sha.encode(), message=b"gx: registry from remote")
        return store.repo.refs.set_if_equals(ref, old_sha.encode(), new_sha.encode(), message=b"gx: registry from remote")
    except (FileLocked, NotADirectoryError, IsADirectoryError, FileExistsError):
        return False


def read_registry_tags(store: Store, prefixes: tuple[str, ...] | None = None,
                       refs: dict[str, str] | None = None) -> tuple[list[TagInfo], dict[str, str]]:
    """Every registry-shaped tag (whose name starts with one of ``prefixes``, when given), read and
    checked: ``(tags, {refused tag name: reason})``. ``refs`` are the registry refs to read, if the
    caller has picked them already."""
    if refs is None:
        refs = {n: s for n, s in list_tag_refs(store.paths).items()
                if (prefixes is None or n.startswith(prefixes)) and parse_tag_name(n) is not None}
    cache_path = store.paths.gx_dir / _CACHE_FILE
    cache = _load_cache(cache_path)
    entries = dict(cache) if prefixes is not None else {}
    tags, problems = [], {}
    for name, sha in sorted(refs.items()):
        fields = cache.get(sha)
        if fields is None or fields[0] != name:
            parsed = _parse_object(store, name, sha)
            if isinstance(parsed, str):
                problems[name] = parsed
                continue
            fields = (name, *parsed)
        entries[sha] = fields
        tags.append(TagInfo(name, sha, *fields[1:]))
    if entries.keys() != cache.keys():
        _save_cache(cache_path, entries)
    return tags, problems


def _message_bytes(message: str) -> bytes:
    data = message.encode("utf-8")
    if len(data) > MAX_TAG_MESSAGE:
        raise BadName(f"the tag message is {len(data):,} bytes; the limit is {MAX_TAG_MESSAGE:,}")
    return data if data.endswith(b"\n") else data + b"\n"


def build_tag(store: Store, name: str, target: str, message: str, when: float | None = None,
              tagger: bytes | None = None, tz: int | None = None) -> Tag:
    """An annotated tag object for a registry tag name (not yet stored or referenced)."""
    if parse_tag_name(name) is None:
        raise BadName(f"{name!r} is not a registry tag name gx writes")
    commit = store.commit(target.encode())
    when = time.time() if when is None else when
    tag = Tag()
    tag.object = (Commit, commit.id)
    tag.name = name.encode()
    tag.tagger = tagger or store.identity()
    tag.tag_time = int(when)
    tag.tag_timezone = gobj.local_timezone(when) if tz is None else tz
    tag.message = _message_bytes(message)
    return tag


def create_tag(store: Store, tag: Tag) -> TagInfo:
    """Store ``tag`` and create its ref, only if no tag of that name exists (compare-and-swap)."""
    ref = (TAGS_PREFIX + tag.name.decode()).encode()
    store.repo.object_store.add_object(tag)
    try:
        ok = store.repo.refs.add_if_new(ref, tag.id, message=b"gx: registry")
    except FileLocked:
        ok = False  # another process is writing this very tag: the caller re-reads and decides again
    except (NotADirectoryError, IsADirectoryError, FileExistsError):
        raise BadName(f"tag {tag.name.decode()!r} clashes with an existing tag of a folder's name") from None
    if not ok:
        raise StoreConflict(f"tag {tag.name.decode()!r} already exists (another gx process wrote it); try again")
    return info_of(tag)


def replace_tag(store: Store, old_sha: str, tag: Tag) -> TagInfo:
    """Point an existing tag's ref at a new tag object, only if it still holds ``old_sha``."""
    ref = (TAGS_PREFIX + tag.name.decode()).encode()
    store.repo.object_store.add_object(tag)
    try:
        ok = store.repo.refs.set_if_equals(ref, old_sha.encode(), tag.id, message=b"gx: registry")
    except FileLocked:
        ok = False
    if not ok:
        raise StoreConflict(f"tag {tag.name.decode()!r} changed meanwhile; try again")
    return info_of(tag)


def delete_tag(store: Store, name: str, old_sha: str) -> None:
    """Remove a registry tag's ref (used when renumbering unpushed tags), only if unchanged."""
    if parse_tag_name(name) is None:
        raise BadName(f"{name!r} is not a registry tag name gx writes")
    try:
        ok = store.repo.refs.remove_if_equals((TAGS_PREFIX + name).encode(), old_sha.encode())
    except FileLocked:
        ok = False
    if not ok:
        raise StoreConflict(f"tag {name!r} changed meanwhile; try again")


def info_of(tag: Tag) -> TagInfo:
    return TagInfo(tag.name.decode(), tag.id.decode(), tag.object[1].decode(),
                   (tag.tagger or b"").decode("utf-8", "replace"), float(tag.tag_time), int(tag.tag_timezone),
                   tag.message.decode("utf-8", "replace"))


def registry_root(store: Store) -> str:
    """A commit that is the same object in every clone (empty tree, fixed date) for ``<model>@meta``."""
    tree = Tree()
    commit = gobj.make_commit(tree, [], "gx model registry", {}, _REGISTRY_IDENTITY, 946684800, tz=0)
    store.add_objects([tree, commit])
    return commit.id.decode()
