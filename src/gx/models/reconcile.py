"""Joining a remote's registry with this clone's: what was pushed never changes meaning; what was not
may be renumbered.

Rules (docs/models.md, "Sharing"):

- A remote tag this clone lacks is taken as it is.
- The same tag name on both sides with the same target is one event; if only its description or tags
  differ, the later edit (``Gx-Updated``) wins.
- A local tag whose name the remote already uses for something else, or whose event counter the
  remote has passed, was made concurrently and not yet pushed: it is replayed on top of the remote's
  registry. A registration becomes the next free version (gx says so); an alias assignment is made
  again, so the assignment that reaches the remote last wins, and the history keeps both.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from gx.errors import GxError, GxWarning
from gx.models import registry as reg
from gx.models.events import Event, parse_event
from gx.models.state import STAGES, read_events
from gx.store.repo import Store
from gx.store.tagnames import (
    ASSIGN,
    COUNTED,
    DEPRECATE,
    DEREGISTER,
    META,
    REGISTER,
    UNASSIGN,
    parse_tag_name,
)
from gx.store.tags import delete_tag, list_tag_refs, move_tag_ref, read_tag


@dataclass
class Reconciled:
    received: list[str] = field(default_factory=list)  # remote tags now local
    renumbered: list[str] = field(default_factory=list)  # what gx tells the user
    replayed: int = 0


def newer_edit(store: Store, name: str, theirs: str, mine: str) -> bool | None:
    """For one name on both sides: True/False when theirs is a later/earlier edit of the same event,
    None when the two tags record different events (a conflict)."""
    parsed = parse_tag_name(name)
    a, b = read_tag(store, name, theirs), read_tag(store, name, mine)
    if parsed is None or a is None or b is None:
        return None
    if a.target != b.target and parsed.kind != META:
        return None
    try:
        ea, eb = parse_event(parsed, a), parse_event(parsed, b)
    except GxError:
        return None
    return (ea.updated or ea.time) > (eb.updated or eb.time)


def reconcile(store: Store, remote_tags: dict[str, str], remote: str) -> Reconciled:
    """Bring ``remote_tags`` (objects already fetched) into the local registry; replay conflicting
    unpushed local events of each affected model on top."""
    out = Reconciled()
    local = {n: s for n, s in list_tag_refs(store.paths).items() if parse_tag_name(n) is not None}
    conflicted: set[str] = set()
    for name, sha in sorted(remote_tags.items()):
        mine = local.get(name)
        if mine == sha:
            continue
        if mine is None:
            if move_tag_ref(store, name, None, sha):
                out.received.append(name)
            continue
        newer = newer_edit(store, name, sha, mine)
        if newer is None:
            conflicted.add(parse_tag_name(name).model)  # type: ignore[union-attr]
        elif newer and move_tag_ref(store, name, mine, sha):
            out.received.append(name)
    remote_max: dict[str, int] = {}
    for name in remote_tags:
        parsed = parse_tag_name(name)
        if parsed is not None and parsed.counter:
            remote_max[parsed.model] = max(remote_max.get(parsed.model, 0), parsed.counter)
    for name in local:
        parsed = parse_tag_name(name)
        if (parsed is not None and name not in remote_tags and parsed.counter
                and parsed.counter <= remote_max.get(parsed.model, 0)):
            conflicted.add(parsed.model)
    for model in sorted(conflicted):
        _replay(store, model, remote_tags, remote, out)
    return out


def _unpushed(store: Store, model: str, remote_tags: dict[str, str]) -> list[Event]:
    events = read_events(store, model, warn=False).get(model, [])
    out = []
    for event in events:
        theirs = remote_tags.get(event.tag.name)
        if theirs == event.tag.sha or event.name.kind == META:
            continue
        if theirs is not None and newer_edit(store, event.tag.name, theirs, event.tag.sha) is not None:
            continue  # the same event, edited on one side: an update, not a replay
        out.append(event)
    return sorted(out, key=lambda e: (e.time, e.name.counter or 0))


def _replay(store: Store, model: str, remote_tags: dict[str, str], remote: str, out: Reconciled) -> None:
    events = _unpushed(store, model, remote_tags)
    for event in events:  # make way: the remote's tags take their names back
        delete_tag(store, event.tag.name, event.tag.sha)
        if event.tag.name in remote_tags:
            move_tag_ref(store, event.tag.name, None, remote_tags[event.tag.name])
    numbers: dict[int, int] = {}
    for event in events:
        try:
            _apply(store, model, event, numbers, remote, out)
            out.replayed += 1
        except GxError as exc:
            warnings.warn(f"gx: {event.tag.name} from this clone no longer applies after {remote}'s changes "
                          f"({exc}); it was dropped", GxWarning, stacklevel=2)


def _apply(store: Store, model: str, event: Event, numbers: dict[int, int], remote: str, out: Reconciled) -> None:
    kind, alias = event.name.kind, event.name.alias
    version = numbers.get(event.version or 0, event.version)
    if kind == REGISTER:
        state = reg.load_model_state(store, model, must_exist=False)
        existing = state.version_at(event.tag.target)
        if existing is not None:
            numbers[event.version or 0] = existing.version
            return
        number = reg.register(store, model, event.tag.target, event.path, event.run_id, event.experiment,
                              event.description, event.tags, tagger=event.tag.tagger)
        numbers[event.version or 0] = number
        if number != event.version:
            message = (f"gx: version {event.version} of model {model!r} is now version {number}: {remote} "
                       f"already had a version {event.version} (run {(event.run_id or '?')[:8]} is unchanged)")
            out.renumbered.append(message)
            warnings.warn(message, GxWarning, stacklevel=3)
    elif kind == DEREGISTER:
        reg.deregister(store, model, version)
    elif kind == DEPRECATE:
        reg.deprecate(store, model)
    elif kind in (ASSIGN, UNASSIGN) and kind in COUNTED and alias is not None:
        state = reg.load_model_state(store, model)
        target = reg.get_version(state, version)
        if alias in STAGES:
            if kind == ASSIGN and target.stage != alias:
                reg.transition_stage(store, model, target.version, alias, archive_existing=False)
            elif kind == UNASSIGN and target.stage == alias:
                reg.transition_stage(store, model, target.version, "None", archive_existing=False)
        elif kind == ASSIGN:
            reg.set_alias(store, model, alias, target.version)
        elif state.aliases.get(alias) == target.version:
            reg.delete_alias(store, model, alias)
