"""``.git/gx/cache/experiment-tags.json``: each experiment's tag events as last read, keyed by the
tips they were read at, so reading an experiment's tags walks only the commits added since. A cache:
written whole or not at all, read as untrusted (any surprise and it is ignored), safe to delete."""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from gx.store.repo import Store

CACHE_FILE = "experiment-tags.json"
_MAX_BYTES = 16 << 20
_SHA = re.compile(r"[0-9a-f]{40}\Z")


@dataclass
class TagEvents:
    """An experiment's tag events over a set of tips: what each event changes (None: unreadable, with
    the reason), and for each event and tip the tag events it descends from (itself included)."""

    tips: list[bytes]
    changes: dict[bytes, tuple[float, dict[str, str | None] | None, str]] = field(default_factory=dict)
    below: dict[bytes, frozenset[bytes]] = field(default_factory=dict)
    created: float | None = None


def _path(store: Store) -> str:
    return os.path.join(store.paths.gx_dir, "cache", CACHE_FILE)


def _read_all(store: Store) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        with open(_path(store), "rb") as fh:
            data = json.loads(fh.read(_MAX_BYTES + 1)[:_MAX_BYTES + 1])
        if isinstance(data, dict):
            return data
    return {}


def _shas(items: Any) -> list[bytes]:
    if not isinstance(items, list) or not all(isinstance(s, str) and _SHA.match(s) for s in items):
        raise ValueError("not a list of commit ids")
    return [s.encode() for s in items]


def _changes(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and (v is None or isinstance(v, str))
                                              for k, v in value.items()):
        raise ValueError("bad changes")
    return value


def load(store: Store, experiment: str) -> TagEvents | None:
    """The cached events of ``experiment``, or None (absent, or not what gx writes)."""
    raw = _read_all(store).get(experiment)
    try:
        created = raw["created"]
        if created is not None and not isinstance(created, (int, float)):
            raise ValueError("bad created")
        out = TagEvents(_shas(raw["tips"]), created=created)
        for sha, (when, changes, reason) in raw["changes"].items():
            if not isinstance(when, (int, float)) or not isinstance(reason, str):
                raise ValueError("bad event")
            out.changes[_shas([sha])[0]] = (float(when), _changes(changes), reason)
        for sha, shas in raw["below"].items():
            out.below[_shas([sha])[0]] = frozenset(_shas(shas))
        if any(sha not in out.below for sha in [*out.tips, *out.changes]):
            raise ValueError("incomplete")
        return out
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def save(store: Store, experiment: str, events: TagEvents) -> None:
    """Keep ``events`` for ``experiment``; a cache that cannot be written is simply not kept."""
    data = _read_all(store)
    data[experiment] = {
        "tips": [t.decode() for t in events.tips], "created": events.created,
        "changes": {s.decode(): [w, c, r] for s, (w, c, r) in events.changes.items()},
        "below": {s.decode(): sorted(b.decode() for b in shas) for s, shas in events.below.items()},
    }
    path = _path(store)
    tmp = f"{path}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
