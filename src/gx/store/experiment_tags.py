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
from gx.store import experiment_cache as _cache
from gx.store import objects as gobj
from gx.store.encode import FORMAT_VERSION
from gx.store.experiment_cache import TagEvents
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


def _extend(store: Store, old: TagEvents | None, tips: list[bytes]) -> TagEvents | None:
    """``old`` carried to ``tips`` by walking only the commits ``old``'s tips lack; None when that
    is not possible (the new tips do not all descend from the old ones): walk everything then."""
    base = set(old.tips) if old is not None else set()
    entries = list(walk(store, tips, stop=base))
    parents = {e.sha: history_parents(e.commit, e.trailers) for e in entries}
    if old is not None and any(e.kind == gobj.KIND_INIT for e in entries):
        return None
    if any(p not in parents and p not in base for ps in parents.values() for p in ps):
        return None  # history beyond what was walked (a shallow clone, an unreachable parent)
    out = TagEvents(list(tips), dict(old.changes) if old else {}, {}, old.created if old else None)
    later = [float(e.time) for e in entries if e.kind != gobj.KIND_INIT]
    out.created = min([*later, *([out.created] if out.created is not None else [])], default=None)
    gen = generations(entries)
    empty: frozenset[bytes] = frozenset()
    below: dict[bytes, frozenset[bytes]] = {t: old.below.get(t, empty) for t in base} if old else {}
    for entry in sorted(entries, key=lambda e: gen[e.sha]):
        got = empty
        for parent in parents[entry.sha]:
            more = below.get(parent, empty)
            got = more if not got else got | more
        if entry.kind == KIND_TAGS:
            try:
                out.changes[entry.sha] = (entry.event_time, _tag_changes(store, entry), "")
            except (BadRecord, KeyError) as exc:
                out.changes[entry.sha] = (entry.event_time, None, str(exc))
            got = got | {entry.sha}
            out.below[entry.sha] = got
        below[entry.sha] = got
    for sha in out.changes:
        if sha not in out.below and old is not None:
            out.below[sha] = old.below[sha]
    for tip in tips:
        out.below[tip] = below.get(tip, empty)
    return out


_warned: set[bytes] = set()


def _resolve(events: TagEvents) -> ExperimentState:
    """Per key, the events no other event of that key descends from compete, and the latest
    ``Gx-Time`` (then the larger commit id) wins."""
    state = ExperimentState(created=events.created)
    by_key: dict[str, list[tuple[bytes, float, str | None]]] = {}
    for sha, (when, changes, reason) in events.changes.items():
        if changes is None:
            if sha not in _warned:
                _warned.add(sha)
                warnings.warn(f"gx: skipping experiment tags in {sha.decode()[:12]}: {reason}", GxWarning, stacklevel=3)
            continue
        for key, value in changes.items():
            by_key.setdefault(key, []).append((sha, when, value))
    for key, writes in by_key.items():
        heads = [w for w in writes if not any(o[0] != w[0] and w[0] in events.below[o[0]] for o in writes)]
        _sha, when, value = max(heads, key=lambda w: (w[1], w[0]))
        if value is not None and len(state.tags) < MAX_EXPERIMENT_TAGS:
            state.tags[key], state.tag_times[key] = value, when
    return state


_memo: dict[tuple[str, str], TagEvents] = {}


def experiment_state(store: Store, experiment: str, tips: list[bytes] | None = None) -> ExperimentState:
    """The experiment's tags and creation time over its local and remote-tracking tips (read from
    the refs unless given). What was read for earlier tips is kept (in this process and in
    ``.git/gx/cache/``), so only commits added since are walked."""
    tips = sorted(experiment_tips(store, experiment) if tips is None else tips)
    if not tips:
        return ExperimentState()
    key = (str(store.paths.common_dir), experiment)
    old = _memo.get(key) or _cache.load(store, experiment)
    if old is not None and old.tips == tips:
        return _resolve(old)
    events = _extend(store, old, tips) if old is not None else None
    if events is None:
        events = _extend(store, None, tips) or TagEvents(tips)  # a walk from nothing always succeeds
    _memo[key] = events
    _cache.save(store, experiment, events)
    return _resolve(events)


def experiment_states(store: Store) -> dict[str, ExperimentState]:
    """Every experiment's state, by name, reading the refs once (not once per experiment)."""
    tips: dict[str, list[bytes]] = {}
    for name, sha in store.experiment_refs().values():
        tips.setdefault(name, []).append(sha)
    return {name: experiment_state(store, name, tips[name]) for name in sorted(tips)}
