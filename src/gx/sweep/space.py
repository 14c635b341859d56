"""Search spaces from ``-p`` assignments: ``a=0.01,0.1,1`` (a list), ``l1=uniform(0,1)``,
``lr=loguniform(1e-4,1e-1)``, ``depth=int(2,8)``, ``kind=choice(a,b)``."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any, Union

from gx.errors import BadValue
from gx.values import check_key

_CALL = re.compile(r"^(uniform|loguniform|int|choice)\((.*)\)$", re.S)


@dataclass(frozen=True)
class Choice:
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int  # inclusive


Dimension = Union[Choice, Uniform, IntRange]


def _scalar(text: str) -> Any:
    """``1`` -> 1, ``0.1`` -> 0.1, ``true`` -> True, anything else the text itself."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _numbers(name: str, call: str, args: list[str], kind: type) -> tuple[Any, Any]:
    if len(args) != 2:
        raise BadValue(f"-p {name}={call}(...) takes two bounds, like {call}(0, 1)")
    try:
        low, high = (kind(a.strip()) for a in args)
    except ValueError:
        raise BadValue(f"-p {name}: {call}() bounds must be {'integers' if kind is int else 'numbers'}") from None
    if not low < high or (kind is float and not (math.isfinite(low) and math.isfinite(high))):
        raise BadValue(f"-p {name}: {call}({low}, {high}) needs finite bounds, low < high")
    return low, high


def parse_dimension(name: str, spec: str) -> Dimension:
    match = _CALL.match(spec.strip())
    if match is None:
        values = tuple(_scalar(v) for v in spec.split(","))
        if not spec.strip() or any(v == "" for v in values):
            raise BadValue(f"-p {name}={spec!r}: give values (a,b,c) or uniform(), loguniform(), int(), choice()")
        return Choice(values)
    call, args = match.group(1), match.group(2).split(",")
    if call == "choice":
        return Choice(tuple(_scalar(a) for a in args))
    if call == "int":
        return IntRange(*_numbers(name, call, args, int))
    low, high = _numbers(name, call, args, float)
    if call == "loguniform" and low <= 0:
        raise BadValue(f"-p {name}: loguniform() bounds must be > 0")
    return Uniform(low, high, log=call == "loguniform")


def parse_space(assignments: list[str] | dict[str, str]) -> dict[str, Dimension]:
    """``["alpha=0.1,1", "l1=uniform(0,1)"]`` (or gx.yaml's mapping) -> named dimensions, in order."""
    items = assignments.items() if isinstance(assignments, dict) else (_split(a) for a in assignments)
    space: dict[str, Dimension] = {}
    for name, spec in items:
        space[check_key("param", name)] = parse_dimension(name, str(spec))
    if not space:
        raise BadValue("a sweep needs at least one -p NAME=VALUES (or a sweep: params: section in gx.yaml)")
    return space


def _split(assignment: str) -> tuple[str, str]:
    name, eq, spec = assignment.partition("=")
    if not eq or not name.strip():
        raise BadValue(f"-p {assignment!r}: expected NAME=VALUES, like alpha=0.01,0.1 or lr=loguniform(1e-4,1e-1)")
    return name.strip(), spec


def sample(dimension: Dimension, rng: random.Random) -> Any:
    if isinstance(dimension, Choice):
        return rng.choice(dimension.values)
    if isinstance(dimension, IntRange):
        return rng.randint(dimension.low, dimension.high)
    if dimension.log:
        return math.exp(rng.uniform(math.log(dimension.low), math.log(dimension.high)))
    return rng.uniform(dimension.low, dimension.high)


def grid_values(name: str, dimension: Dimension) -> tuple[Any, ...]:
    if isinstance(dimension, Choice):
        return dimension.values
    if isinstance(dimension, IntRange):
        return tuple(range(dimension.low, dimension.high + 1))
    raise BadValue(f"-p {name}: a grid needs listed values or int(); use --method random or tpe for uniform()")


def describe(space: dict[str, Dimension]) -> dict[str, str]:
    """The space as ``-p`` text again (stored on the sweep's run, read back by ``--resume``)."""
    out = {}
    for name, dim in space.items():
        if isinstance(dim, Choice):
            out[name] = ",".join(str(v) for v in dim.values)
        elif isinstance(dim, IntRange):
            out[name] = f"int({dim.low},{dim.high})"
        else:
            out[name] = f"{'loguniform' if dim.log else 'uniform'}({dim.low!r},{dim.high!r})"
    return out
