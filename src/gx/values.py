"""Validation and normalisation of param, metric and tag values (no git, no pandas)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from gx import limits
from gx.errors import BadFile, BadName, BadValue, GxError
from gx.records import ParamValue

MAX_KEY_LENGTH = limits.MAX_KEY_LENGTH
MAX_ARTIFACT_BYTES = limits.MAX_ARTIFACT_BYTES


def check_key(kind: str, key: object) -> str:
    """A param/metric/tag key: a non-empty string without control characters."""
    if not isinstance(key, str) or not key.strip():
        raise BadName(f"bad {kind} name {key!r}: use a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise BadName(f"{kind} name {key[:40]!r}... is {len(key)} characters; keep it under {MAX_KEY_LENGTH}")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise BadName(f"bad {kind} name {key!r}: control characters are not allowed")
    return key


def param_value(key: str, value: Any) -> ParamValue:
    """Keep YAML scalar types (int, float, bool, str, None); numpy scalars become Python ones."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars: np.bool_, np.str_
        try:
            return param_value(key, value.item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, (list, tuple)):
        return str(list(value))
    return str(value)


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
    """A number (int, float, numpy scalar, 0-d array); anything else is an error naming the key."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise BadValue(f"metric {key!r} must be a number, got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return metric_value(key, value.item())
    raise BadValue(f"metric {key!r} must be a number, got {value!r}")


def numeric_or_none(value: Any) -> float | None:
    """Best-effort conversion used when reading metrics files: numbers pass, numeric strings parse."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def tag_value(key: str, value: Any) -> str:
    """Tags are strings (MLflow stores them as strings too)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return str(value)


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
    """A relative posix path git accepts in a tree (fsck --strict) that cannot escape ``artifacts/``."""
    if not isinstance(path, str) or not path:
        raise BadName(f"bad artifact path {path!r}: use a relative path like 'plots/roc.png'")
    for part in path.split("/"):
        if part in ("", ".", "..") or "\0" in part or "\\" in part:
            raise BadName(f"bad artifact path {path!r}: use a relative path without '.', '..' or empty parts")
        if part.lower().startswith(".git"):
            raise BadName(f"bad artifact path {path!r}: names starting with '.git' are reserved by git")
    return path


def first_line(exc: Exception) -> str:
    """An exception's message on one line, for errors that name a file."""
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def parse_structured(data: str | bytes, path: str, what: str, error: type[GxError] = BadFile) -> dict[str, Any]:
    """A params/metrics file's mapping (JSON for ``.json``, YAML otherwise) flattened to dotted keys;
    anything else raises ``error`` with a one-line message naming the file."""
    import json

    is_json = path.endswith(".json")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        if is_json:
            doc = json.loads(text)
        else:
            from gx import yamlio  # loaded only when a YAML file is parsed

            try:
                doc = yamlio.load(text)
            except yamlio.YAMLError as exc:
                raise ValueError(str(exc)) from None
    except ValueError as exc:
        raise error(f"{what} file {path!r} is not valid {'JSON' if is_json else 'YAML'}: {first_line(exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise error(f"{what} file {path!r} must hold a mapping of names to values, not a {type(doc).__name__}")
    return flatten(doc)
