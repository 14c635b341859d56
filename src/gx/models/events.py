"""Registry tag messages: GTO's subject line, an optional description, and gx's ``Gx-*`` trailers.

::

    Registering artifact churn version v3.0.0

    Gradient boosting on the March data.

    Gx-Version: 3
    Gx-Path: model
    Gx-Run: 5f0c...
    Gx-Experiment: churn
    Gx-Tags: {"team": "growth"}

GTO reads the subject; gx reads the trailers (tags GTO or a person made have none, and still count).
A message from another clone is parsed with limits; a malformed one makes the tag a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gx.errors import BadRecord
from gx.store.tagnames import TagName
from gx.store.tags import TagInfo

_TRAILER_KEY = re.compile(r"Gx-[A-Za-z-]+\Z")
_PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*\Z")
_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}\Z")
MAX_TAGS = 100
MAX_TAG_VALUE = 5000
MAX_DESCRIPTION = 20_000


@dataclass
class Event:
    """One registry tag, parsed: what happened to which model, version or alias, by whom and when."""

    name: TagName
    tag: TagInfo
    version: int | None = None  # the version it concerns (from the name, or the Gx-Version trailer)
    path: str = "model"
    run_id: str | None = None
    experiment: str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    updated: float | None = None
    renamed_from: str | None = None

    @property
    def time(self) -> float:
        return self.tag.time

    @property
    def who(self) -> str:
        return self.tag.tagger.rsplit(" <", 1)[0]


def format_message(subject: str, description: str = "", **trailers: Any) -> str:
    """A tag message: subject, description paragraph, then one ``Gx-*`` line per non-empty field."""
    lines = [subject.replace("\n", " ")]
    if description.strip():
        lines += ["", description.strip()]
    body = []
    for key, value in trailers.items():
        if value is None or value == {} or value == "":
            continue
        text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)
        body.append(f"Gx-{key.replace('_', '-').title()}: {text}")
    if body:
        lines += ["", *body]
    return "\n".join(lines) + "\n"


def _tags(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRecord("its Gx-Tags line is not JSON") from None
    if not isinstance(value, dict) or len(value) > MAX_TAGS:
        raise BadRecord(f"its Gx-Tags line is not a mapping of at most {MAX_TAGS} tags")
    for key, val in value.items():
        if not isinstance(val, str) or len(key) > 250 or len(val) > MAX_TAG_VALUE:
            raise BadRecord(f"its Gx-Tags line has a bad tag {str(key)[:40]!r}")
    return value


def parse_event(name: TagName, tag: TagInfo) -> Event:
    """The event a tag records; raises BadRecord with the reason for a malformed message."""
    paragraphs = tag.message.strip("\n").split("\n\n")
    trailers: dict[str, str] = {}
    if len(paragraphs) > 1 and paragraphs[-1].startswith("Gx-"):
        for line in paragraphs[-1].split("\n"):
            key, sep, value = line.partition(": ")
            if not sep or not _TRAILER_KEY.match(key):
                trailers = {}
                break
            trailers[key] = value
        if trailers:
            paragraphs.pop()
    description = "\n\n".join(paragraphs[1:]).strip()
    if len(description) > MAX_DESCRIPTION:
        raise BadRecord(f"its description is over {MAX_DESCRIPTION:,} characters")
    event = Event(name, tag, version=name.version, description=description)
    if "Gx-Version" in trailers:
        if not re.fullmatch(r"[1-9][0-9]{0,8}", trailers["Gx-Version"]):
            raise BadRecord(f"its Gx-Version {trailers['Gx-Version'][:20]!r} is not a version number")
        claimed = int(trailers["Gx-Version"])
        if name.version is not None and claimed != name.version:
            raise BadRecord(f"its message says version {claimed}, its name version {name.version}")
        event.version = claimed
    path = trailers.get("Gx-Path", "model")
    if path != "model" and (not _PATH.match(path) or ".." in path.split("/")):
        raise BadRecord(f"its Gx-Path {path[:60]!r} is not a path inside a run")
    event.path = path
    run_id = trailers.get("Gx-Run")
    if run_id is not None and not _RUN.match(run_id):
        raise BadRecord(f"its Gx-Run {run_id[:40]!r} is not a run id")
    event.run_id = run_id
    event.experiment = trailers.get("Gx-Experiment")
    if "Gx-Tags" in trailers:
        event.tags = _tags(trailers["Gx-Tags"])
    if "Gx-Updated" in trailers:
        try:
            event.updated = float(trailers["Gx-Updated"])
        except ValueError:
            raise BadRecord("its Gx-Updated is not a time") from None
    event.renamed_from = trailers.get("Gx-Renamed-From")
    return event


def subject(kind: str, model: str, version: int | None = None, alias: str | None = None) -> str:
    """GTO's wording for each kind of event (so ``gto history`` reads naturally)."""
    return {
        "register": f"Registering artifact {model} version v{version}.0.0",
        "deregister": f"Deregistering artifact {model} version v{version}.0.0",
        "assign": f"Assigning stage {alias} to artifact {model} version v{version}.0.0",
        "unassign": f"Unassigning stage '{alias}' to artifact '{model}' version 'v{version}.0.0'",
        "deprecate": f"Deprecating artifact {model}",
        "meta": f"Description and tags of model {model} (gx)",
    }[kind]
