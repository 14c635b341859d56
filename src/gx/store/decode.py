"""Files -> record: the read boundary. What comes out of git may come from someone else's clone, so
every file is parsed with limits and every field is checked for its type; anything else raises
``BadRecord`` naming the file and the rule, which readers turn into a per-run warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Callable

from gx import limits, yamlio
from gx.errors import BadRecord, BadValue
from gx.records import STATUSES, ArtifactLink, LfsArtifact, MetricPoint, RunRecord, parse_time
from gx.runinputs import check_inputs
from gx.store.encode import (
    ARTIFACTS_DIR,
    ATTRIBUTES_FILE,
    HISTORY_DIR,
    INPUTS_FILE,
    METRICS_FILE,
    PACKAGES_FILE,
    PARAMS_FILE,
    PATCH_FILE,
    RUN_FILE,
    STDERR_FILE,
    STDOUT_FILE,
    TAGS_FILE,
    lfs_attribute_line,
    lfs_marked,
    metric_key_from_file,
)

#: git-lfs never reads a blob this size or larger as a pointer (its spec).
_MAX_POINTER_BYTES = 1024

#: Earliest and latest times a run may claim (seconds since the epoch): 1970 to the year 9999.
_TIME_RANGE = (0.0, 253402300799.0)
#: What a run id may look like (gx writes 32 hex digits; imported runs keep theirs).
RUN_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,63}")
_TEXT_FIELDS = ("signal", "error", "author", "host", "python", "platform", "gx_version")


def _document(data: bytes | None, name: str) -> dict[str, Any]:
    """A YAML mapping file, bounded; absent or empty is an empty mapping."""
    if not data:
        return {}
    try:
        loaded = yamlio.load_fast(data)
    except yamlio.YAMLLimitError as exc:
        raise BadRecord(f"{name} is over a limit: {exc}") from None
    except (yamlio.YAMLError, UnicodeDecodeError, ValueError):
        raise BadRecord(f"{name} is not valid YAML") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise BadRecord(f"{name} holds a {type(loaded).__name__}, not a mapping")
    if len(loaded) > limits.MAX_KEYS_PER_RUN:
        raise BadRecord(f"{name} has {len(loaded):,} keys; a run may hold {limits.MAX_KEYS_PER_RUN:,}")
    return loaded


def _key(name: str, key: Any) -> str:
    if not isinstance(key, str) or not key or len(key) > limits.MAX_KEY_LENGTH or "\0" in key:
        raise BadRecord(f"{name} has a bad key {str(key)[:40]!r}")
    return key


def _text(name: str, field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{name}: {field} is a {type(value).__name__}, not text")
    if len(value) > limits.MAX_VALUE_LENGTH:
        raise BadRecord(f"{name}: {field} is {len(value):,} characters; the limit is {limits.MAX_VALUE_LENGTH:,}")
    return value


def _time(field: str, value: Any) -> float | None:
    try:
        seconds = parse_time(value)
    except (TypeError, ValueError, OverflowError):
        raise BadRecord(f"{RUN_FILE}: {field} {str(value)[:40]!r} is not a date and time") from None
    if seconds is not None and not (math.isfinite(seconds) and _TIME_RANGE[0] <= seconds <= _TIME_RANGE[1]):
        raise BadRecord(f"{RUN_FILE}: {field} {str(value)[:40]!r} is out of range")
    return seconds


def _scalar_map(name: str, field: str, value: Any) -> dict[str, Any]:
    """A mapping of names to single values (text, numbers, booleans, null), as ``source`` and ``env`` hold."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"{name}: {field} is a {type(value).__name__}, not a mapping")
    for k, v in value.items():
        _key(name, k)
        if isinstance(v, str):
            _text(name, f"{field}.{k}", v)
        elif v is not None and not isinstance(v, (bool, int, float)):
            raise BadRecord(f"{name}: {field}.{k} is a {type(v).__name__}, not a single value")
    return dict(value)


def apply_header(rec: RunRecord, header: Mapping[str, Any]) -> None:
    """run.yaml's fields onto ``rec``, each checked for its type."""
    rec.name = _text(RUN_FILE, "name", header.get("name")) or ""
    if len(rec.name) > limits.MAX_RUN_NAME_LENGTH:
        raise BadRecord(f"{RUN_FILE}: the run name is {len(rec.name):,} characters long")
    status = header.get("status", rec.status)
    if status not in STATUSES:
        raise BadRecord(f"{RUN_FILE}: status {str(status)[:40]!r} is not one of {', '.join(STATUSES)}")
    rec.status = status
    rec.start_time = _time("start_time", header.get("start_time"))
    rec.end_time = _time("end_time", header.get("end_time"))
    exit_code = header.get("exit_code")
    if exit_code is not None and (type(exit_code) is not int or not -(2**31) <= exit_code < 2**31):
        raise BadRecord(f"{RUN_FILE}: exit_code {str(exit_code)[:40]!r} is not a small integer")
    rec.exit_code = exit_code
    for field in _TEXT_FIELDS:
        setattr(rec, field, _text(RUN_FILE, field, header.get(field)))
    command = header.get("command")
    if command is not None and not (isinstance(command, list) and all(isinstance(a, str) for a in command)):
        raise BadRecord(f"{RUN_FILE}: command is not a list of strings")
    rec.command = command
    rec.source = _scalar_map(RUN_FILE, "source", header.get("source"))
    rec.env = _scalar_map(RUN_FILE, "env", header.get("env"))


def _param(key: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _text(PARAMS_FILE, key, value)
    raise BadRecord(f"{PARAMS_FILE}: {key!r} is a {type(value).__name__}, not a single value")


_PLAIN = (bool, int, float, type(None))


def _good_key(key: Any) -> bool:
    """``_key``'s test inline (a listing checks a million keys; ``_key`` says what is wrong)."""
    return type(key) is str and 0 < len(key) <= limits.MAX_KEY_LENGTH and "\0" not in key


def _params(doc: Mapping[str, Any]) -> dict[str, Any]:
    """params.yaml checked: ``_key`` and ``_param`` on each entry, with the usual case inline."""
    out = {}
    for k, v in doc.items():
        if not _good_key(k):
            k = _key(PARAMS_FILE, k)
        kind = type(v)
        out[k] = v if kind in _PLAIN or (kind is str and len(v) <= limits.MAX_VALUE_LENGTH) else _param(k, v)
    return out


def _tags(doc: Mapping[str, Any]) -> dict[str, str]:
    """tags.yaml checked: keys as ``_key``, values as text (anything else as its ``str``)."""
    out = {}
    for k, v in doc.items():
        if not _good_key(k):
            k = _key(TAGS_FILE, k)
        out[k] = v if type(v) is str and len(v) <= limits.MAX_VALUE_LENGTH else \
            str(_text(TAGS_FILE, k, v if isinstance(v, str) else str(v)))
    return out


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRecord(f"{name}: {key!r} is not a number")
    try:
        return float(value)
    except OverflowError:
        raise BadRecord(f"{name}: {key!r} is too large for a float") from None


def decode_summary(read: Callable[[str], bytes | None], experiment: str, run_id: str) -> RunRecord:
    """A record with header, params, tags and the last value of each metric (one point each).

    The run's id and experiment are the caller's (from the commit's trailer and the ref): a run.yaml
    that names another run is refused, so a fetched run cannot pose as one of yours."""
    return summary_record(lambda name: _document(read(name), name), experiment, run_id)


def summary_record(load: Callable[[str], dict[str, Any]], experiment: str, run_id: str) -> RunRecord:
    """``decode_summary``'s checks over documents ``load`` gives by file name (parsed files, or the
    sections of a commit's summary header: the same rules whatever they came from)."""
    if not RUN_ID.fullmatch(run_id):
        raise BadRecord(f"its commit's Gx-Run trailer {run_id[:40]!r} is not a run id")
    header = load(RUN_FILE)
    claimed = header.get("id", run_id)
    if claimed != run_id:
        raise BadRecord(f"{RUN_FILE} names run {str(claimed)[:40]!r}, but its commit records run {run_id}")
    rec = RunRecord(run_id=run_id, experiment=experiment)
    apply_header(rec, header)
    rec.params = _params(load(PARAMS_FILE))
    rec.tags = _tags(load(TAGS_FILE))
    end = rec.end_time or 0.0
    for key, last in load(METRICS_FILE).items():
        if not isinstance(last, dict) or "value" not in last:
            raise BadRecord(f"{METRICS_FILE}: {str(key)[:40]!r} has no value")
        step = last.get("step", 0)
        if type(step) is not int:
            raise BadRecord(f"{METRICS_FILE}: {str(key)[:40]!r} has a step that is not an integer")
        rec.metrics[_key(METRICS_FILE, key)] = [MetricPoint(step, end, _number(METRICS_FILE, key, last["value"]))]
    try:
        rec.inputs = check_inputs(load(INPUTS_FILE).get("inputs", []))
    except BadValue as exc:
        raise BadRecord(f"{INPUTS_FILE}: {exc}") from None
    return rec


def decode_history(data: bytes, name: str = HISTORY_DIR) -> list[MetricPoint]:
    """A metric's ``step<TAB>timestamp_ms<TAB>value`` lines after the header."""
    try:
        lines = data.decode("utf-8").splitlines()[1:]
    except UnicodeDecodeError:
        raise BadRecord(f"{name} is not UTF-8 text") from None
    if len(lines) > limits.MAX_HISTORY_POINTS:
        raise BadRecord(f"{name} has {len(lines):,} points; the limit is {limits.MAX_HISTORY_POINTS:,}")
    points = []
    try:
        for line in lines:
            step, ts_ms, value = line.split("\t")
            points.append(MetricPoint(int(step), int(ts_ms) / 1000.0, float(value)))
    except (ValueError, OverflowError):
        raise BadRecord(f"{name} has a malformed line: {line[:60]!r}") from None
    return points


def decode_files(files: Mapping[str, bytes], experiment: str, run_id: str) -> RunRecord:
    """The full record, metric histories and artifacts included."""
    if len(files) > limits.MAX_FILES_PER_RUN:
        raise BadRecord(f"the run holds {len(files):,} files; the limit is {limits.MAX_FILES_PER_RUN:,}")
    rec = decode_summary(files.get, experiment, run_id)
    prefix_hist, prefix_art = HISTORY_DIR + "/", ARTIFACTS_DIR + "/"
    lfs_lines = lfs_marked(files.get(ATTRIBUTES_FILE))
    for path, content in files.items():
        if path.startswith(prefix_hist) and path.endswith(".tsv") and "/" not in path[len(prefix_hist) :]:
            key = metric_key_from_file(path[len(prefix_hist) :])
            rec.metrics[_key(path, key)] = decode_history(content, path)
        elif path.startswith(prefix_art):
            name = path[len(prefix_art) :]
            lfs = (lfs_lines and not isinstance(content, ArtifactLink) and len(content) < _MAX_POINTER_BYTES
                   and lfs_attribute_line(name) in lfs_lines)
            rec.artifacts[name] = LfsArtifact(content) if lfs else content
    rec.source_patch = files.get(PATCH_FILE)
    packages = files.get(PACKAGES_FILE)
    rec.packages = packages.decode("utf-8", "replace").splitlines() if packages else []
    rec.stdout_tail = files.get(STDOUT_FILE)
    rec.stderr_tail = files.get(STDERR_FILE)
    return rec
