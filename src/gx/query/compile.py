"""The filter compiler's parts: literals, value tests, and predicates built from them.

The parser in ``gx.query.filter`` calls these as it reads; nothing here parses text.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from gx.query.access import NUMBER_ATTRIBUTES, TIME_ATTRIBUTES
from gx.query.lexer import NUMBER
from gx.records import RunSummary

Predicate = Callable[[RunSummary], bool]
Test = Callable[[Any], bool]

OP_FUNCS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
STR_BOOLS = {"true": True, "false": False}


@dataclass(frozen=True)
class Literal:
    kind: str  # "str", "num" or "bool"
    text: str  # unescaped string, or the source text of a number / bool
    pos: int
    num: int | float | None = None
    flag: bool | None = None


def to_number(text: str) -> int | float:
    """Exact int for integer text (any size), else float."""
    if not any(ch in text for ch in ".eE"):
        try:
            return int(text)
        except ValueError:  # beyond int's digit limit
            pass
    return float(text)


def like_regex(pattern: str, flags: int) -> re.Pattern[str]:
    """Compile a SQL LIKE pattern: % any run, _ one char, backslash escapes the next char."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), flags | re.DOTALL)


def value_test(op: Callable[[Any, Any], bool], lit: Literal) -> Test:
    """Comparison against a param/tag/text value, following the number-vs-string rule above."""
    text = lit.text
    num = lit.num
    if lit.kind == "str" and NUMBER.fullmatch(text.strip()):
        num = to_number(text.strip())
    strict = lit.flag
    loose = strict if strict is not None else (
        STR_BOOLS.get(text.lower()) if lit.kind == "str" else None
    )  # fmt: skip

    def test(v: Any) -> bool:
        t = type(v)
        if t is str:
            if strict is not None and (b := STR_BOOLS.get(v.lower())) is not None:
                return op(b, strict)
            return op(v, text)
        if t is bool:
            return op(v, loose) if loose is not None else op(str(v), text)
        if (t is int or t is float) and num is not None:
            return op(v, num)
        return op(str(v), text)

    return test


def all_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda run: a(run) and b(run)
    if len(preds) == 3:
        a, b, c = preds
        return lambda run: a(run) and b(run) and c(run)
    ps = tuple(preds)  # a flat loop: long chains must not nest calls
    return lambda run: all(p(run) for p in ps)


def any_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda run: a(run) or b(run)
    if len(preds) == 3:
        a, b, c = preds
        return lambda run: a(run) or b(run) or c(run)
    ps = tuple(preds)
    return lambda run: any(p(run) for p in ps)


def bind(get: Callable[[RunSummary], Any], test: Test) -> Predicate:
    """Apply a value test to one field; a missing (None) value fails every test."""

    def predicate(run: RunSummary) -> bool:
        v = get(run)
        return v is not None and test(v)

    return predicate


def bind_any(get: Callable[[RunSummary], Any], test: Test) -> Predicate:
    """Apply a value test to each of a field's values (a run's inputs): true when any passes."""

    def predicate(run: RunSummary) -> bool:
        values = get(run)
        return values is not None and any(test(v) for v in values)

    return predicate


def field_kind(entity: str, key: str) -> str:
    """How a field compares: number, time, status, dataset (any of a run's inputs), or value
    (params, tags, text attributes)."""
    if entity == "datasets":
        return "dataset"
    if entity == "metrics" or (entity == "attributes" and key in NUMBER_ATTRIBUTES):
        return "number"
    if entity == "attributes" and key in TIME_ATTRIBUTES:
        return "time"
    if entity == "attributes" and key == "status":
        return "status"
    return "value"
