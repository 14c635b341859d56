"""A model's history read back from its tags (who did what, when, from which version to which),
and what ``rollback`` returns an alias to."""

from __future__ import annotations

from dataclasses import dataclass

from gx.models.registry import UnknownModel
from gx.models.state import STAGES, ModelState
from gx.store.tagnames import ASSIGN, COUNTED, DEPRECATE, DEREGISTER, REGISTER, UNASSIGN


@dataclass
class HistoryRow:
    time: float
    who: str
    event: str  # registered, deleted, assigned, unassigned, deprecated
    version: int | None
    alias: str | None
    previous: int | None  # for an assignment: the version the alias named before
    tag: str
    description: str = ""

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


_WORDS = {REGISTER: "registered", DEREGISTER: "deleted", ASSIGN: "assigned", UNASSIGN: "unassigned",
          DEPRECATE: "deprecated"}


def history(model: ModelState) -> list[HistoryRow]:
    """Every event, oldest first; an assignment says which version the alias left."""
    holders: dict[str, int] = {}
    left: dict[str, int] = {}  # the version an alias last left: a move is an unassign, then an assign
    rows = []
    counted = sorted((e for e in model.events if e.name.kind in COUNTED), key=lambda e: (e.name.counter or 0, e.time))
    plain = [e for e in model.events if e.name.kind not in COUNTED]
    for event in sorted(plain + counted, key=lambda e: (e.time, e.name.counter or 0)):
        kind, alias = event.name.kind, event.name.alias
        previous = None
        if kind == ASSIGN and alias is not None:
            previous = holders.get(alias, left.pop(alias, None))
            holders[alias] = event.version  # type: ignore[assignment]
        elif kind == UNASSIGN and alias is not None and holders.get(alias) == event.version:
            left[alias] = holders.pop(alias)
        rows.append(HistoryRow(event.time, event.who, _WORDS.get(kind, kind), event.version, alias, previous,
                               event.tag.name, event.description if kind == REGISTER else ""))
    return rows


def rollback_target(model: ModelState, alias: str) -> int:
    """The version ``alias`` named before its current one (the newest earlier one still registered)."""
    key = alias.lower() if alias.lower() in STAGES else alias
    if key in STAGES:
        current_versions = [v.version for v in model.active_versions if v.stage == key]
        current = current_versions[-1] if current_versions else None
    else:
        current = model.aliases.get(key)
    if current is None:
        raise UnknownModel(f"model {model.name!r} has no alias {alias!r} to roll back")
    assignments = sorted((e for e in model.events if e.name.kind == ASSIGN and e.name.alias == key),
                         key=lambda e: (e.name.counter or 0, e.time))
    for event in reversed(assignments):
        number = event.version
        if number is not None and number != current and number in model.versions and model.versions[number].active:
            return number
    raise UnknownModel(f"alias {alias!r} of model {model.name!r} has named no other registered version "
                       f"before version {current}; nothing to roll back to")
