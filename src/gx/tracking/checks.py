"""The rules a journal entry and a run's meta.json must pass before gx records them.

Journals are read back after crashes, full disks and hand edits, so nothing in them is trusted:
each entry passes the checks the API applied when it was logged (``gx.values``), plus integer steps,
finite times and UTF-8 text. A meta.json without a usable run id or experiment raises
``Unrecordable``: that run cannot be recorded at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Callable

from gx import limits, values
from gx.errors import BadValue, GxError
from gx.records import FAILED, FINISHED, KILLED, RUN_ID, RunRecord
from gx.runinputs import check_input
from gx.store.refs import validate_experiment
from gx.values import (
    check_artifact_path,
    check_key,
    metric_value,
    param_value,
    run_name,
    step_value,
    tag_value,
)

#: Times are seconds since 1970 and before the year 10000 (what an ISO 8601 date in run.yaml holds).
MAX_TIME = values.MAX_TIMESTAMP
#: Problems listed one by one; past this many only their number is kept.
MAX_PROBLEMS = 200
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")
_SCALARS = (str, int, float, bool, type(None))


class Unrecordable(Exception):
    """The run cannot be recorded at all; the message says why."""


class Problems(list):
    """Reasons some of a journal was not recorded; counts past ``MAX_PROBLEMS`` without keeping them."""

    dropped = 0

    def add(self, reason: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(reason if len(reason) <= 300 else reason[:299] + "…")
        else:
            self.dropped += 1

    def total(self) -> int:
        return len(self) + self.dropped


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _time(value: Any, what: str) -> float:
    if type(value) not in (int, float) or not 0 <= value < MAX_TIME:  # NaN fails the comparison too
        raise BadValue(f"{what} {_short(value)} is not a time (seconds since 1970, before year 10000)")
    return float(value)


def _utf8(value: Any, what: str) -> Any:
    """``value`` if every string in it encodes as UTF-8 (JSON can carry lone surrogates)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue(f"{what} holds text that is not valid UTF-8") from None
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > limits.MAX_VALUE_LENGTH:
        raise BadValue(f"{what} must be a string of at most {limits.MAX_VALUE_LENGTH} characters")
    return _utf8(value, what)


def _metric(key: Any, value: Any, step: Any, timestamp: Any) -> tuple[Any, ...]:
    key = check_key("metric", key)
    number = metric_value(key, value)
    try:
        number = float(number)
    except OverflowError:
        raise BadValue(f"metric {key!r} value {_short(number)} is too large for a float") from None
    return ("m", key, number, step_value(key, step), _time(timestamp, f"timestamp of metric {key!r}"))


def _param(key: Any, value: Any) -> tuple[Any, ...]:
    key = check_key("param", key)
    if not isinstance(value, _SCALARS):
        raise BadValue(f"param {key!r} must be a string, number, boolean or null, not {_short(value)}")
    return ("p", key, param_value(key, value))


def _tag(key: Any, value: Any) -> tuple[Any, ...]:
    key = check_key("tag", key)
    return ("t", key, tag_value(key, _text(value, f"tag {key!r}")))


def _end(status: Any, end: Any, error: Any = None) -> tuple[Any, ...]:
    if status not in (FINISHED, FAILED, KILLED):
        raise BadValue(f"end status {_short(status)} is not FINISHED, FAILED or KILLED")
    return ("e", status, _time(end, "end time"), None if error is None else _text(error, "error"))


#: kind -> (checker, the numbers of fields it takes)
_KINDS: dict[str, tuple[Callable[..., tuple[Any, ...]], tuple[int, ...]]] = {
    "m": (_metric, (4,)),
    "p": (_param, (2,)),
    "t": (_tag, (2,)),
    "n": (lambda name: ("n", run_name(name)), (1,)),
    "a": (lambda path: ("a", check_artifact_path(path)), (1,)),
    "e": (_end, (2, 3)),
    "i": (lambda value: ("i", check_input(value).to_dict()), (1,)),
}


def check_entry(entry: Any) -> tuple[Any, ...]:
    """One journal entry, checked and normalised; BadValue (or another GxError) says what is wrong."""
    if not isinstance(entry, list) or not entry or not isinstance(entry[0], str) or entry[0] not in _KINDS:
        raise BadValue(f"{json.dumps(entry)[:80]} is not a journal entry (an array starting with m, p, t, n, a, e or i)")
    check, arities = _KINDS[entry[0]]
    if len(entry) - 1 not in arities:
        raise BadValue(f"{entry[0]!r} entry has {len(entry) - 1} fields, not {' or '.join(map(str, arities))}")
    return _utf8(check(*entry[1:]), f"{entry[0]!r} entry")


def _mapping(value: Any, what: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise BadValue(f"{what} is not a mapping")
    return value


def _source(value: Any) -> dict[str, Any]:
    source = _mapping(value, "source")
    out: dict[str, Any] = {}
    for key in ("commit", "snapshot"):  # None: a repository without commits
        if key in source:
            if source[key] is not None and (not isinstance(source[key], str) or not _SHA.match(source[key])):
                raise BadValue(f"source {key} {_short(source[key])} is not a commit id")
            out[key] = source[key]
    if "branch" in source:
        out["branch"] = None if source["branch"] is None else _text(source["branch"], "source branch")
    if isinstance(source.get("workdir"), str):  # where the run started, for gx reproduce
        out["workdir"] = _text(source["workdir"], "source workdir")
    if "dirty" in source:
        if not isinstance(source["dirty"], bool):
            raise BadValue("source dirty is not true or false")
        out["dirty"] = source["dirty"]
    return out


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list):
        raise BadValue(f"{what} is not a list")
    return [_text(v, what) for v in value]


def _exit_code(value: Any) -> int:
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise BadValue(f"exit code {_short(value)} is not an integer")
    return value


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "name": run_name,
    "start_time": lambda v: _time(v, "start time"),
    "command": lambda v: _strings(v, "command"),
    "host": lambda v: _text(v, "host"),
    "python": lambda v: _text(v, "python"),
    "platform": lambda v: _text(v, "platform"),
    "gx_version": lambda v: _text(v, "gx_version"),
    "env": lambda v: {_text(k, "env name"): _text(x, "env value") for k, x in _mapping(v, "env").items()},
    "source": _source,
    "exit_code": _exit_code,
    "signal": lambda v: _text(v, "signal"),
}


def check_meta(meta: dict[str, Any], problems: Problems) -> RunRecord:
    """A record holding what meta.json says; a field that fails its rule is left out as a problem."""
    run_id = meta.get("run_id")
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise Unrecordable(f"its meta.json has no valid run_id (got {_short(run_id)})")
    try:
        rec = RunRecord(run_id=run_id, experiment=validate_experiment(meta.get("experiment")))
    except GxError as exc:
        raise Unrecordable(f"its meta.json names no valid experiment: {exc}") from None
    for name, check in _FIELDS.items():
        if meta.get(name) is not None:
            try:
                setattr(rec, name, check(meta[name]))
            except GxError as exc:
                problems.add(f"meta.json {name}: {exc}")
    for field, kind in (("params", "p"), ("tags", "t")):
        try:
            items = _mapping(meta.get(field) or {}, field).items()
        except GxError as exc:
            problems.add(f"meta.json {field}: {exc}")
            continue
        for key, value in items:
            try:
                _, key, value = check_entry([kind, key, value])
            except GxError as exc:
                problems.add(f"meta.json {field}: {exc}")
                continue
            getattr(rec, field)[key] = value
    return rec


def check_room(kind: str, key: str, existing: Mapping[str, Any]) -> None:
    """Refuse a new key beyond ``MAX_KEYS_PER_RUN`` of its kind: a reader would refuse the run."""
    if len(existing) >= limits.MAX_KEYS_PER_RUN:
        raise BadValue(f"cannot log {kind} {key!r}: a run holds at most {limits.MAX_KEYS_PER_RUN:,} {kind}s")


def check_start(name: Any, params: Mapping[str, Any], tags: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """A new run's name, params and tags as the logging calls would check them one by one."""
    checked_params: dict[str, Any] = {}
    for key, value in params.items():
        check_room("param", key, checked_params)
        checked_params[check_key("param", key)] = param_value(key, value)
    checked_tags: dict[str, str] = {}
    for key, value in tags.items():
        check_room("tag", key, checked_tags)
        checked_tags[check_key("tag", key)] = tag_value(key, value)
    return run_name(name), checked_params, checked_tags
