"""A run's objects written as one small pack, and small packs merged once there are many.

A run is about a dozen objects: as loose objects that is a dozen files (and fan-out directories) to
create, as one pack it is two. The pack is written as git writes one: the data, then its index,
each into a temporary file that is flushed to disk and renamed into place, so readers (git's and
dulwich's both look for the index) never see half a pack, and a failed write leaves nothing. Only
the ref update is flushed to disk by default (dulwich's), as gx's loose objects and dulwich's own
packs were; the pack and its index are flushed first when the repository asks for it
(``core.fsync``, read as git reads it, or ``core.fsyncObjectFiles``). Standing in for loose objects,
a run's pack is compressed at git's loose-object level (``core.looseCompression``, else
``core.compression``, else 1: best speed, a third of zlib's default time on a model of a few MB);
merged packs at the pack level. A large blob known before its pack is written (a model a live
run logs) is deflated ahead on other threads (``prepare_blob``, ``gx.store.deflate``).

One pack per run would make every object lookup try every pack, so once the pack directory holds
more than git's ``gc.autoPackLimit`` (50) packs, the small ones are merged into one, as
``git gc --auto`` would; larger packs (fetched history, a ``git gc``) are left to git.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import struct
import threading
import zlib
from collections.abc import Iterable
from typing import Any

from dulwich.objects import ShaFile
from dulwich.pack import Pack, write_pack_index_v2

from gx.store import deflate
from gx.store.locks import share_paths, shown_path, write_failed

#: More packs than this and the small ones are merged (git's default ``gc.autoPackLimit``).
PACK_LIMIT = 50
#: Packs up to this size are merged; larger ones are git gc's business.
SMALL_PACK_BYTES = 1 << 20
#: Fewer small packs than this are not worth a merge (the packs over the limit are then large ones).
MIN_MERGE = 8
#: git's ``core.looseCompression`` when neither it nor ``core.compression`` is set (Z_BEST_SPEED).
LOOSE_DEFAULT_LEVEL = 1
#: Files beside a pack that mean someone else manages it (kept, promised, cruft, bitmapped).
_MANAGED = (".keep", ".promisor", ".mtimes", ".bitmap")
_MODE = 0o444


def _object_header(type_num: int, size: int) -> bytes:
    """A pack entry's header: the type and the size in git's little-endian base-128."""
    byte = (type_num << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


#: The level this process last wrote a run's pack at: the guess for blobs prepared before the next one
#: (a wrong guess costs the time saved, never a wrong pack: the level is part of the match).
_loose_level_seen = LOOSE_DEFAULT_LEVEL


def prepare_blob(content: bytes) -> None:
    """Start deflating ``content``, a blob about to go into a run's pack, so ``pack_bytes`` finds it
    done (``gx.store.deflate``; small blobs: nothing)."""
    deflate.prepare(content, _loose_level_seen)


def pack_bytes(objects: Iterable[ShaFile], level: int = -1) -> tuple[bytes, list[tuple[bytes, int, int]]]:
    """A version-2 pack of whole (undeltified) objects and its index entries ``(sha, offset, crc32)``."""
    unique = list({obj.id: obj for obj in objects}.values())
    data = bytearray(b"PACK" + struct.pack(">II", 2, len(unique)))
    entries = []
    for obj in unique:
        raw = obj.as_raw_string()
        sha = obj.sha().digest()
        deflated = deflate.take(sha, len(raw), level) if obj.type_num == 3 and len(raw) >= deflate.MIN_BYTES else None
        record = _object_header(obj.type_num, len(raw)) + (deflated or deflate.compress(raw, level))
        entries.append((sha, len(data), zlib.crc32(record)))
        data += record
    data += hashlib.sha1(data).digest()
    entries.sort()
    return bytes(data), entries


#: What each word of ``core.fsync`` names, as git reads it (``loose-object`` and the rest are not ours).
_FSYNC_WORDS = {
    "pack": {"pack"}, "pack-metadata": {"pack-metadata"}, "objects": {"pack"},
    "derived-metadata": {"pack-metadata"}, "committed": {"pack"}, "added": {"pack"},
    "all": {"pack", "pack-metadata"},
}


def fsynced_parts(value: str | None) -> frozenset[str]:
    """Which of ``pack`` and ``pack-metadata`` to flush for a ``core.fsync`` value: none when it is
    not set; else as git reads it: from git's default (both), ``none`` starts from nothing, ``-word``
    removes, unknown words are ignored."""
    if value is None:
        return frozenset()
    current = {"pack", "pack-metadata"}
    added: set[str] = set()
    removed: set[str] = set()
    for word in (value or "").split(","):
        word = word.strip().lower()
        if word == "none":
            current = set()
        elif word.startswith("-"):
            removed |= _FSYNC_WORDS.get(word[1:], set())
        else:
            added |= _FSYNC_WORDS.get(word, set())
    return frozenset((current - removed) | added)


def fsync_from_config(config: Any) -> frozenset[str]:
    """``fsynced_parts`` of a repository's configuration (a dulwich config or config stack)."""
    try:
        value = config.get((b"core",), b"fsync")
    except KeyError:
        value = None
    if value is None and config.get_boolean((b"core",), b"fsyncObjectFiles", False):
        return frozenset(("pack", "pack-metadata"))
    return fsynced_parts(None if value is None else value.decode("utf-8", "replace"))


def compression_level(object_store: Any, loose: bool) -> int:
    """The zlib level git would use: for loose objects (``loose``) dulwich's reading of
    ``core.looseCompression``/``core.compression``, git's default 1 when unset (dulwich says -1 for
    unset and for an explicit -1 alike: both give 1); for packs ``pack.compression`` as dulwich reads it."""
    level = getattr(object_store, "loose_compression_level" if loose else "pack_compression_level", -1)
    level = level if isinstance(level, int) and -1 <= level <= 9 else -1
    return LOOSE_DEFAULT_LEVEL if loose and level == -1 else level


def write_pack(object_store: Any, objects: Iterable[ShaFile], fsync: frozenset[str] = frozenset(),
               loose: bool = False) -> str:
    """Write ``objects`` into the store as one pack; returns its path without the extension.
    ``fsync`` says which of the pack and its index are flushed to disk (``fsynced_parts``); ``loose``:
    the pack stands in for loose objects (a run's), so it is compressed at the loose-object level."""
    global _loose_level_seen
    level = compression_level(object_store, loose)
    if loose:
        _loose_level_seen = level
    data, entries = pack_bytes(objects, level)
    index = io.BytesIO()
    write_pack_index_v2(index, entries, data[-20:])
    pack_dir = object_store.pack_dir
    base = os.path.join(pack_dir, f"pack-{data[-20:].hex()}")
    if os.path.exists(base + ".idx"):  # the very same pack is there already: keep it fresh for gc
        with contextlib.suppress(OSError):
            os.utime(base + ".pack", None)
        return base
    parts = [(".pack", data, "pack" in fsync), (".idx", index.getvalue(), "pack-metadata" in fsync)]
    temporary: list[str] = []
    placed: list[str] = []
    try:
        os.makedirs(pack_dir, exist_ok=True)
        for suffix, content, _ in parts:
            temporary.append(os.path.join(pack_dir, f"tmp_{suffix[1:]}_{os.urandom(6).hex()}"))
            _write_file(temporary[-1], content)
            share_paths(object_store, temporary[-1])
        _flush([path for path, (_, _, flush) in zip(temporary, parts) if flush])
        for tmp, (suffix, _, _) in zip(temporary, parts):  # the index last: it makes the pack visible
            os.replace(tmp, base + suffix)
            placed.append(base + suffix)
    except OSError as exc:
        for path in temporary + placed:  # our temporary files, and our pack if its index never came
            with contextlib.suppress(OSError):
                os.remove(path)
        raise write_failed(f"git objects into {shown_path(object_store.path)}", exc) from exc
    return base


def _write_file(path: str, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _flush(paths: list[str]) -> None:
    """fsync ``paths`` at the same time (one journal commit serves both on most filesystems)."""
    errors: list[OSError] = []

    def sync(path: str) -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            errors.append(exc)

    helpers = [threading.Thread(target=sync, args=(path,)) for path in paths[1:]]
    for helper in helpers:
        helper.start()
    for path in paths[:1]:
        sync(path)
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]


def merge_small_packs(object_store: Any, fsync: frozenset[str], limit: int | None = None) -> int:
    """Merge the small packs into one when there are more than ``limit`` (``PACK_LIMIT``) packs;
    returns how many were merged. Never raises: packs left as they are are only slower to read."""
    limit = PACK_LIMIT if limit is None else limit
    try:
        names = set(os.listdir(object_store.pack_dir))
    except OSError:
        return 0
    bases = [n[:-5] for n in names if n.endswith(".pack") and n[:-5] + ".idx" in names]
    if len(bases) <= limit:
        return 0
    small = [b for b in bases if not any(b + ext in names for ext in _MANAGED) and _size(object_store, b) <= SMALL_PACK_BYTES]
    if len(small) < min(MIN_MERGE, limit):
        return 0
    objects: dict[bytes, ShaFile] = {}
    merged = []
    for base in small:
        try:
            pack = Pack(os.path.join(object_store.pack_dir, base), object_format=object_store.object_format)
            try:
                found = {obj.id: obj for obj in pack.iterobjects()}
            finally:
                pack.close()
        except Exception:  # a pack we cannot read whole (a delta against another pack): leave it
            continue
        objects.update(found)
        merged.append(base)
    if len(merged) < 2:
        return 0
    try:
        kept = os.path.basename(write_pack(object_store, objects.values(), fsync))
    except Exception:
        return 0
    for base in merged:
        if base == kept:
            continue
        for ext in (".idx", ".rev", ".pack"):  # the index first: the pack stops being visible
            with contextlib.suppress(OSError):
                os.remove(os.path.join(object_store.pack_dir, base + ext))
    with contextlib.suppress(Exception):
        object_store._update_pack_cache()  # forget the removed packs in this process
    return len(merged)


def _size(object_store: Any, base: str) -> int:
    try:
        return os.stat(os.path.join(object_store.pack_dir, base + ".pack")).st_size
    except OSError:
        return SMALL_PACK_BYTES + 1
