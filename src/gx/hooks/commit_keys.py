"""Auto-logging's duplicate check: a commit's key (``gx.autolog_key``), and the runs already recorded
with it, found through the key cache ``.git/gx/autolog-keys`` or, failing that, the ref's history."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gx.hooks.commit_files import read_cache, write_cache

if TYPE_CHECKING:
    from gx.store.repo import Store

#: How many runs of the experiment are read when the key cache cannot answer.
SCAN_LIMIT = 200
CACHE_FILE = "autolog-keys"
#: How many keys per experiment the cache keeps (the newest).
CACHE_KEYS = 2000
_KEY_LINE = re.compile(rb"^gx\.autolog_key: ['\"]?([0-9a-f]{40})['\"]?$", re.MULTILINE)


def autolog_key(tree: bytes, ids: list[tuple[str, str]]) -> str:
    """The identity of what a commit would record: its tree and the declared files' blob ids."""
    digest = hashlib.sha1(b"gx-autolog 1\n" + tree + b"\n")
    for path, sha in ids:
        digest.update(f"{path} {sha}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def keys_in_tags(tags_yaml: bytes | None) -> str | None:
    """The autolog key in a run's tags.yaml, without parsing YAML (it is read for many runs)."""
    if not tags_yaml:
        return None
    match = _KEY_LINE.search(tags_yaml)
    return match.group(1).decode() if match else None


# -- the key cache: ``.git/gx/autolog-keys`` maps each experiment's tip to the keys in its history.
# It only saves walking history: on any doubt (another tip) the ref history is read again.
def _cache_path(store: Store) -> Path:
    return store.paths.gx_dir / CACHE_FILE


def _load_cache(store: Store) -> dict[str, Any]:
    return read_cache(_cache_path(store))


def _save_cache(store: Store, data: dict[str, Any]) -> None:
    for entry in data.values():  # amends and rebases touch recent commits: the newest keys suffice
        if isinstance(entry, dict) and isinstance(entry.get("keys"), dict) and len(entry["keys"]) > CACHE_KEYS:
            entry["keys"] = dict(list(entry["keys"].items())[-CACHE_KEYS:])
    write_cache(_cache_path(store), data)


def _scan(store: Store, tip: bytes, old_tip: bytes | None) -> tuple[dict[str, list[str]], bool]:
    """Keys of the newest SCAN_LIMIT runs above ``old_tip``, and whether the old cached keys still hold:
    the walk reached ``old_tip``, or stopped at the limit before it could tell (gx only appends)."""
    from gx.store.history import walk
    from gx.store.objects import KIND_RUN

    keys: dict[str, list[str]] = {}
    reached, seen = False, 0
    for entry in walk(store, tip, stop={old_tip} if old_tip else frozenset()):
        reached = reached or old_tip in entry.commit.parents
        if entry.kind != KIND_RUN:
            continue
        key = keys_in_tags(store.read_blob(entry.commit.tree, "tags.yaml"))
        if key and key not in keys:
            keys[key] = [entry.sha.decode(), entry.run_id or ""]
        seen += 1
        if seen >= SCAN_LIMIT:
            break
    oldest_first = dict(reversed(list(keys.items())))
    return oldest_first, reached or seen >= SCAN_LIMIT


def find_recorded(store: Store, experiment: str, key: str) -> tuple[str, str] | None:
    """``(run commit, run id)`` of a run already recorded with ``key``, else None."""
    tip = store.tip(experiment)
    cache = _load_cache(store)
    if tip is None:
        if cache.pop(experiment, None) is not None:
            _save_cache(store, cache)
        return None
    entry = cache.get(experiment)
    if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
        entry = None
    if entry is None or entry.get("tip") != tip.decode():
        old_tip = entry["tip"].encode() if entry and isinstance(entry.get("tip"), str) else None
        keys, keep_old = _scan(store, tip, old_tip)
        if entry is not None and keep_old:
            keys = {**entry["keys"], **keys}
        entry = cache[experiment] = {"tip": tip.decode(), "keys": keys}
        _save_cache(store, cache)
    hit = entry["keys"].get(key)
    return (hit[0], hit[1]) if isinstance(hit, list) and len(hit) == 2 else None


def remember(store: Store, experiment: str, key: str, run_commit: bytes, run_id: str, tip: bytes | None) -> None:
    """Add a new run's key; the cached tip moves only when the run went right on top of it."""
    cache = _load_cache(store)
    entry = cache.get(experiment)
    if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
        entry = {"tip": None, "keys": {}}
    entry["keys"][key] = [run_commit.decode(), run_id]
    parent = store.commit(run_commit).parents[0]
    if (tip is not None and parent == tip and entry.get("tip") == tip.decode()) or (
        tip is None and not store.commit(parent).parents
    ):
        entry["tip"] = run_commit.decode()
    cache[experiment] = entry
    _save_cache(store, cache)
