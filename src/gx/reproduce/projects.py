"""Entry points: ``gx run ENTRY -P key=value`` runs a command template declared in gx.yaml
(``entry_points:``) or in an MLflow ``MLproject`` file read as it is (parameters with types and
defaults; conda, docker and virtualenv environments are reported as not managed by gx)."""

from __future__ import annotations

import math
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gx import limits, yamlio
from gx.errors import BadFile, BadValue, GxError

PROJECT_FILES = ("gx.yaml", "MLproject")
_TYPES = ("string", "str", "float", "int", "integer", "path", "uri", "bool", "boolean")
_ENVIRONMENTS = ("conda_env", "docker_env", "python_env", "virtualenv")


@dataclass
class EntryPoint:
    name: str
    command: str
    parameters: dict[str, dict[str, Any]]  # name -> {"type": ..., "default": ...}
    origin: str  # the file it was declared in
    environment: str | None = None  # what the file asks for that gx does not manage


def _load(path: Path) -> dict[str, Any]:
    try:
        data = yamlio.load(limits.read_regular_file(path, limits.MAX_DOCUMENT_BYTES, path.name))
    except (ValueError, yamlio.YAMLError) as exc:
        raise BadFile(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadFile(f"{path.name} must hold a mapping")
    return data


def _parameters(spec: object, where: str) -> dict[str, dict[str, Any]]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise BadFile(f"{where}: parameters must be a mapping")
    out = {}
    for name, value in spec.items():
        entry = {"type": value} if isinstance(value, str) else dict(value) if isinstance(value, dict) else None
        if entry is None or str(entry.get("type", "string")) not in _TYPES:
            raise BadFile(f"{where}: parameter {name!r} needs a type among {', '.join(_TYPES)}")
        out[str(name)] = entry
    return out


def find_entry_point(name: str, root: Path) -> EntryPoint | None:
    """The entry point ``name`` declared at ``root`` (gx.yaml first, then MLproject), or None."""
    for file in PROJECT_FILES:
        path = root / file
        if not path.is_file():
            continue
        data = _load(path)
        points = data.get("entry_points") or {}
        if not isinstance(points, dict) or name not in points:
            continue
        spec = points[name]
        where = f"{file}: entry_points.{name}"
        if isinstance(spec, str):
            spec = {"command": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("command"), str):
            raise BadFile(f"{where} needs a command")
        env = next((k for k in _ENVIRONMENTS if k in data), None)
        return EntryPoint(name, spec["command"], _parameters(spec.get("parameters"), where), file, env)
    return None


def _typed(entry: EntryPoint, key: str, value: Any) -> Any:
    kind = str(entry.parameters[key].get("type", "string"))
    try:
        if kind == "float":
            number = float(value)
            if not math.isfinite(number) and str(value).lower() not in ("nan", "inf", "-inf"):
                raise ValueError(value)
            return number
        if kind in ("int", "integer"):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(str(value)) if not isinstance(value, (int, float)) else int(value)
        if kind in ("bool", "boolean"):
            if str(value).lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return str(value).lower() in ("true", "1")
    except (TypeError, ValueError):
        raise BadValue(f"entry point {entry.name!r}: parameter {key!r} must be a {kind}, got {value!r}") from None
    return str(value)


def resolve(entry: EntryPoint, given: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """``(argv, params)``: the command with every parameter filled in (declared ones typed, missing
    ones from their defaults; undeclared ones appended as ``--key value``, as MLflow does)."""
    params: dict[str, Any] = {}
    for key, spec in entry.parameters.items():
        if key in given:
            params[key] = _typed(entry, key, given[key])
        elif "default" in spec:
            params[key] = _typed(entry, key, spec["default"])
        else:
            raise BadValue(f"entry point {entry.name!r} needs parameter {key!r} (-P {key}=VALUE): it has no default")
    extra = {k: v for k, v in given.items() if k not in entry.parameters}
    try:
        text = entry.command.format(**{k: shlex.quote(str(v)) for k, v in params.items()})
    except (KeyError, IndexError, ValueError) as exc:
        raise GxError(f"{entry.origin}: entry point {entry.name!r}: its command uses {exc}, which is not a declared parameter") from None
    argv = shlex.split(text) + [part for k, v in extra.items() for part in (f"--{k}", str(v))]
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable  # the interpreter gx runs in, as `gx run train.py` does
    return argv, {**params, **extra}


def entry_point_command(argv: list[str], root: Path | None) -> tuple[list[str], dict[str, Any], str | None] | None:
    """For ``gx run ENTRY [-P k=v ...]``: ``(argv, params, note)`` when ``argv[0]`` names a declared
    entry point (and no file of that name exists); None otherwise. ``note`` says which environment
    the project file asks for that gx does not manage."""
    from gx.values import parse_assignment

    if root is None or not argv or (root / argv[0]).exists() or Path(argv[0]).exists():
        return None
    entry = find_entry_point(argv[0], root)
    if entry is None:
        return None
    given: dict[str, Any] = {}
    rest = argv[1:]
    while rest:
        flag, *rest = rest
        if flag not in ("-P", "--param") or not rest:
            raise BadValue(f"entry point {entry.name!r} takes parameters as -P KEY=VALUE (got {flag!r})")
        key, value = parse_assignment(rest.pop(0))
        given[key] = value
    command, params = resolve(entry, given)
    note = (f"{entry.origin} asks for a {entry.environment.replace('_', ' ')}: gx does not manage environments; "
            "running in the current one") if entry.environment else None
    return command, params, note
