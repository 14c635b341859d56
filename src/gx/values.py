"""The write boundary's value rules: params, metrics, tags, names and artifact paths (no git, no pandas).

Every value is checked at the call that supplied it, so the error names the user's key and the rule,
and nothing that git or a later reader would refuse reaches a journal, a tree or a ref.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gx import limits
from gx.errors import ArtifactTooLarge, BadName, BadValue
from gx.gitnames import reserved_by_git

if TYPE_CHECKING:  # a type only: the pre-commit hook checks values without loading the records module
    from gx.records import ParamValue

MAX_KEY_LENGTH = limits.MAX_KEY_LENGTH
MAX_ARTIFACT_BYTES = limits.MAX_ARTIFACT_BYTES
#: Steps are 64-bit signed integers (as in MLflow); timestamps fall between 1970 and the year 10000.
STEP_RANGE = 2**63
MAX_TIMESTAMP = 253_402_300_800.0
#: Files every run tree may hold besides metric histories and artifacts (run.yaml, stdout.txt, ...),
#: counted against ``limits.MAX_FILES_PER_RUN``.
FIXED_RUN_FILES = 8
_MAX_FLOAT = sys.float_info.max
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _utf8_size(text: str) -> int | None:
    """The UTF-8 length of ``text``; None when it holds lone surrogates (undecodable file names)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return None


def check_key(kind: str, key: object) -> str:
    """A param/metric/tag key: a non-empty string without control characters."""
    if not isinstance(key, str) or not key.strip():
        raise BadName(f"bad {kind} name {key!r}: use a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise BadName(f"{kind} name {key[:40]!r}... is {len(key)} characters; keep it under {MAX_KEY_LENGTH}")
    if _CONTROL.search(key):
        raise BadName(f"bad {kind} name {key!r}: control characters are not allowed")
    if _utf8_size(key) is None:
        raise BadName(f"bad {kind} name {key!r}: it is not valid Unicode text")
    return key


def run_name(name: object) -> str:
    """A run's name: one line of text (None means none), at most ``MAX_RUN_NAME_LENGTH`` characters."""
    if name is None:
        return ""
    if not isinstance(name, str):
        raise BadName(f"bad run name {name!r}: use a string")
    if len(name) > limits.MAX_RUN_NAME_LENGTH:
        raise BadName(f"run name {name[:40]!r}... is {len(name)} characters; keep it under {limits.MAX_RUN_NAME_LENGTH}")
    if _CONTROL.search(name) or _utf8_size(name) is None:
        raise BadName(f"bad run name {name!r}: use one line of text without control characters")
    return name


def text_value(kind: str, key: str, text: str) -> str:
    """A string param or tag value: no NUL (git refuses it in commits), at most ``MAX_VALUE_LENGTH``."""
    if len(text) > limits.MAX_VALUE_LENGTH:
        raise BadValue(f"{kind} {key!r} is {len(text):,} characters long; the limit is {limits.MAX_VALUE_LENGTH:,}")
    if "\0" in text:
        raise BadValue(f"{kind} {key!r} holds a NUL character ({text[:60]!r}); remove it")
    if _utf8_size(text) is None:
        raise BadValue(f"{kind} {key!r} is not valid Unicode text ({text[:60]!r})")
    return text


def param_value(key: str, value: Any) -> ParamValue:
    """Keep YAML scalar types (int, float, bool, str, None); numpy scalars become Python ones."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return text_value("param", key, value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            return text_value("param", key, str(value))
    if hasattr(value, "item") and callable(value.item):  # numpy scalars: np.bool_, np.str_
        try:
            return param_value(key, value.item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, (list, tuple)):
        return text_value("param", key, str(list(value)))
    return text_value("param", key, str(value))


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys: {"model": {"lr": 0.1}} -> {"model.lr": 0.1}."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if value:
                out.update(flatten(value, full + "."))
            else:
                out[full] = None
        else:
            out[full] = value
    return out


def metric_value(key: str, value: Any) -> float | int:
    """A number (int, float, numpy scalar, 0-d array) a float can hold; NaN and infinities are
    values like any other (MLflow takes them). Anything else is an error naming the key."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        if -_MAX_FLOAT <= value <= _MAX_FLOAT:
            return value
        raise BadValue(f"metric {key!r} is an integer too large for a float ({str(value)[:20]}..., {len(str(abs(value)))} digits)")
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise BadValue(f"metric {key!r} must be a number, got {value!r}")
    if isinstance(value, numbers.Integral):
        return metric_value(key, int(value))
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            raise BadValue(f"metric {key!r} is too large for a float ({str(value)[:40]})") from None
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return metric_value(key, value.item())
    raise BadValue(f"metric {key!r} must be a number, got {value!r}")


def _plain_number(value: Any) -> Any:
    """numpy scalars and 0-d arrays as the Python number they hold (anything else unchanged)."""
    if not isinstance(value, numbers.Number) and hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()
    return value


def step_value(key: str, step: Any) -> int:
    """A metric's step: an integer (a float only when it is a whole number), 64-bit signed."""
    step = _plain_number(step)
    if isinstance(step, bool) or not isinstance(step, numbers.Real):
        whole = None
    elif isinstance(step, numbers.Integral):
        whole = int(step)
    else:  # a float only when it is a whole number: not NaN, an infinity or a fraction
        whole = int(step) if math.isfinite(step) and float(step).is_integer() else None
    if whole is None:
        raise BadValue(f"metric {key!r}: step must be an integer, got {step!r}")
    if not -STEP_RANGE <= whole < STEP_RANGE:
        raise BadValue(f"metric {key!r}: step {whole} does not fit in 64 bits")
    return whole


def timestamp_seconds(key: str, timestamp: Any) -> float:
    """A metric's timestamp in seconds; MLflow passes milliseconds, so large values are read as those."""
    timestamp = _plain_number(timestamp)
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
        raise BadValue(f"metric {key!r}: timestamp must be a number (seconds or milliseconds since 1970), got {timestamp!r}")
    try:
        seconds = float(timestamp)
    except OverflowError:
        seconds = math.inf
    if seconds > 1e11:
        seconds /= 1000.0
    if not 0 <= seconds < MAX_TIMESTAMP:  # NaN fails this too
        raise BadValue(f"metric {key!r}: timestamp {timestamp!r} is not a time between 1970 and the year 9999")
    return seconds


def numeric_or_none(value: Any) -> float | None:
    """Best-effort conversion used when reading metrics files: numbers pass, numeric strings parse;
    None for anything else, integers too large for a float included."""
    if isinstance(value, (bool, int, float, str)):
        try:
            return float(value)
        except (ValueError, OverflowError):
            return None
    return None


def tag_value(key: str, value: Any) -> str:
    """Tags are strings (MLflow stores them as strings too)."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return text_value("tag", key, value if isinstance(value, str) else str(value))


def parse_assignment(text: str, *, kind: str = "param") -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; the value keeps its YAML type (0.1 -> float)."""
    from gx import yamlio

    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise BadValue(f"bad {kind} {text!r}: write it as KEY=VALUE, e.g. alpha=0.1")
    check_key(kind, key)
    if kind == "tag":
        return key, raw
    if raw == "":
        return key, ""
    try:
        value = yamlio.load(raw)
    except yamlio.YAMLError:
        return key, raw
    if isinstance(value, (dict, list)) or value is None and raw.strip() not in ("null", "~"):
        return key, raw
    return key, value


def check_artifact_path(path: str) -> str:
    """A relative posix path git accepts in a tree (fsck --strict) that cannot escape ``artifacts/``
    and that every filesystem can hold: the rules of ``gx.store.fsck``, checked at the call."""
    if not isinstance(path, str) or not path:
        raise BadName(f"bad artifact path {path!r}: use a relative path like 'plots/roc.png'")
    for part in path.split("/"):
        if part in ("", ".", "..") or "\\" in part:
            raise BadName(f"bad artifact path {path!r}: use a relative path without '.', '..' or empty parts")
        if _CONTROL.search(part):
            raise BadName(f"bad artifact path {path!r}: control characters are not allowed")
        size = _utf8_size(part)
        if size is None or size > limits.MAX_PATH_PART_BYTES:
            raise BadName(
                f"bad artifact path {path!r}: each part must be valid Unicode text of at most "
                f"{limits.MAX_PATH_PART_BYTES} bytes"
            )
        if part.lower().startswith(".git"):
            raise BadName(f"bad artifact path {path!r}: names starting with '.git' are reserved by git")
        reserved = reserved_by_git(part)
        if reserved is not None:
            raise BadName(
                f"bad artifact path {path!r}: git reserves {part!r}, which Windows or macOS read as {reserved!r}"
            )
    return path


def artifact_too_large(artifact_path: str, size: int) -> ArtifactTooLarge:
    """The one message for an artifact over ``MAX_ARTIFACT_BYTES``."""
    limit = MAX_ARTIFACT_BYTES
    return ArtifactTooLarge(
        f"artifact {artifact_path!r} is {size / 1048576:.1f} MiB, over the {limit / 1048576:g} MiB limit for "
        "small artifacts; keep large files out of the run (or raise GX_MAX_ARTIFACT_MB)"
    )


def check_artifact_file(local_path: str | os.PathLike[str], artifact_path: str) -> None:
    """Refuse a file to log as ``artifact_path`` by its path and size, without reading it."""
    check_artifact_path(artifact_path)
    try:
        size = os.stat(local_path).st_size
    except OSError:
        return  # read_artifact says what is wrong
    if size > MAX_ARTIFACT_BYTES:
        raise artifact_too_large(artifact_path, size)


def read_artifact(local_path: str | os.PathLike[str], artifact_path: str) -> bytes:
    """A file to log as ``artifact_path``: its size is looked at first, so one over the limit is
    refused without reading it; then a bounded read of a regular file."""
    check_artifact_file(local_path, artifact_path)
    return limits.read_regular_file(local_path, MAX_ARTIFACT_BYTES, "artifact")
