"""Experiment tags: ``tags`` commits on the experiment's ref (docs/format.md), each holding the keys
it sets (a null value removes a key). Two clones' tag events meet in a merge like runs do; a write
that saw another (its descendant) wins, and of writes made independently the latest ``Gx-Time`` wins.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

from dulwich.objects import Blob, ShaFile, Tree

from gx import limits, yamlio
from gx.errors import BadRecord, GxWarning
from gx.store import objects as gobj
from gx.store.encode import FORMAT_VERSION
from gx.store.history import Entry, experiment_tips, generations, history_parents, walk
from gx.store.repo import Store

KIND_TAGS = "tags"
TAGS_FILE = "experiment-tags.yaml"
#: An experiment holds at most this many tags; a tags commit's file is read up to this size.
MAX_EXPERIMENT_TAGS = 1000
MAX_TAGS_FILE_BYTES = 1 << 20


def write_experiment_tags(store: Store, experiment: str, changes: Mapping[str, str | None],
                          when: float | None = None) -> bytes:
    """Append one ``tags`` commit setting (or, for None, removing) ``changes``; creates the
    experiment when it has no ref yet. Keys and values are checked by the caller."""
    now = time.time() if when is None else when
    new: list[ShaFile] = []
    tree = gobj.build_tree({TAGS_FILE: yamlio.dump(dict(changes)).encode("utf-8")}, new)
    store.add_objects(new)
    shown = [f"{k}={'(removed)' if v is None else v}" for k, v in changes.items()]
    subject = gobj.subject_line([f"tags {experiment}:", *shown] if shown else [f"created {experiment}"])
    trailers = {"Gx-Kind": KIND_TAGS, "Gx-Experiment": experiment, "Gx-Time": repr(now),
                "Gx-Format": str(FORMAT_VERSION)}
    identity = store.identity()
    return store.append(experiment, lambda parent: gobj.make_commit(tree, [parent], subject, trailers, identity, now)).id


@dataclass
class ExperimentState:
    """What an experiment's history says of it besides runs: its tags and when it was created."""

    tags: dict[str, str] = field(default_factory=dict)
    tag_times: dict[str, float] = field(default_factory=dict)  # when each tag's winning value was set
    created: float | None = None  # the earliest time of a commit after the root, in seconds


def _tag_changes(store: Store, entry: Entry) -> dict[str, str | None]:
    """The keys one ``tags`` commit sets, read as untrusted input (bounded, checked)."""
    tree = store.repo[entry.commit.tree]
    if not isinstance(tree, Tree):
        raise BadRecord("its tree is not a tree")
    try:
        _mode, sha = tree[TAGS_FILE.encode()]
    except KeyError:
        raise BadRecord(f"it has no {TAGS_FILE}") from None
    blob = store.repo[sha]
    if not isinstance(blob, Blob) or blob.raw_length() > MAX_TAGS_FILE_BYTES:
        raise BadRecord(f"its {TAGS_FILE} is not a file of at most {MAX_TAGS_FILE_BYTES:,} bytes")
    try:
        loaded = yamlio.load_fast(blob.as_raw_string()) or {}
    except (yamlio.YAMLError, UnicodeDecodeError, ValueError):
        raise BadRecord(f"its {TAGS_FILE} is not valid YAML") from None
    if not isinstance(loaded, dict) or len(loaded) > MAX_EXPERIMENT_TAGS:
        raise BadRecord(f"its {TAGS_FILE} is not a mapping of at most {MAX_EXPERIMENT_TAGS} tags")
    out: dict[str, str | None] = {}
    for key, value in loaded.items():
        if not isinstance(key, str) or not 0 < len(key) <= limits.MAX_KEY_LENGTH or \
                any(ord(c) < 32 or ord(c) == 127 for c in key):
            raise BadRecord(f"its {TAGS_FILE} has a bad key {str(key)[:40]!r}")
        if value is not None and (not isinstance(value, str) or len(value) > limits.MAX_VALUE_LENGTH or "\0" in value):
            raise BadRecord(f"its {TAGS_FILE} has a bad value for {key!r}")
        out[key] = value
    return out


def resolve_state(store: Store, entries: list[Entry]) -> ExperimentState:
    """Apply an experiment's tag events: per key, the events no other event of that key descends
    from compete, and the latest ``Gx-Time`` (then the larger commit id) wins."""
    state = ExperimentState()
    later = [e.time for e in entries if e.kind != gobj.KIND_INIT]
    state.created = float(min(later)) if later else None
    events = [e for e in entries if e.kind == KIND_TAGS]
    if not events:
        return state
    gen = generations(entries)
    seen_below: dict[bytes, frozenset[bytes]] = {}  # tag events each commit descends from (itself included)
    empty: frozenset[bytes] = frozenset()
    for entry in sorted(entries, key=lambda e: gen[e.sha]):
        below = empty
        for parent in history_parents(entry.commit, entry.trailers):
            got = seen_below.get(parent, empty)
            below = got if not below else below | got
        seen_below[entry.sha] = below | {entry.sha} if entry.kind == KIND_TAGS else below
    by_key: dict[str, list[tuple[Entry, str | None]]] = {}
    for event in events:
        try:
            changes = _tag_changes(store, event)
        except (BadRecord, KeyError) as exc:
            warnings.warn(f"gx: skipping experiment tags in {event.sha.decode()[:12]}: {exc}", GxWarning, stacklevel=2)
            continue
        for key, value in changes.items():
            by_key.setdefault(key, []).append((event, value))
    for key, writes in by_key.items():
        heads = [(e, v) for e, v in writes if not any(o is not e and e.sha in seen_below[o.sha] for o, _ in writes)]
        event, value = max(heads, key=lambda w: (w[0].event_time, w[0].sha))
        if value is not None and len(state.tags) < MAX_EXPERIMENT_TAGS:
            state.tags[key], state.tag_times[key] = value, event.event_time
    return state


_states: dict[tuple[str, tuple[bytes, ...]], ExperimentState] = {}


def experiment_state(store: Store, experiment: str) -> ExperimentState:
    """The experiment's tags and creation time over its local and remote-tracking tips (cached by tips)."""
    tips = tuple(sorted(experiment_tips(store, experiment)))
    key = (experiment, tips)
    if key not in _states:
        if len(_states) > 1024:
            _states.clear()
        _states[key] = resolve_state(store, list(walk(store, tips))) if tips else ExperimentState()
    return _states[key]
