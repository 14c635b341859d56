"""MLflow's ``search_experiments`` filter: clauses on ``name``, ``creation_time``,
``last_update_time`` and ``tags.<key>`` joined by ``AND`` (mlflow.org, "Search Experiments")."""

from __future__ import annotations

import operator
import re
from typing import Any, Callable

from gx.errors import BadValue

_IDENT = r"(?:(?:attributes?\.)?(?P<attr>name|creation_time|last_update_time)|tags\.(?P<tag>`[^`]+`|\"[^\"]+\"|[\w.-]+))"
_CLAUSE = re.compile(
    rf"\s*{_IDENT}\s*(?:(?P<null>IS\s+(?:NOT\s+)?NULL)|(?P<op>!=|<=|>=|=|<|>|(?:NOT\s+)?I?LIKE)\s*"
    r"(?:(?P<q>['\"])(?P<text>.*?)(?P=q)|(?P<num>-?\d+)))\s*(?:(?P<and>AND)\b|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_USAGE = ("use name = 'x', name LIKE 'x%', tags.key = 'y', tags.key IS NULL or creation_time > MS, "
          "joined by AND")


def _like(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), flags | re.DOTALL)


def _clause(m: re.Match[str], text: str) -> Callable[[Any], bool]:
    attr, tag = m.group("attr"), m.group("tag")
    if tag is not None and tag[0] in "`\"":
        tag = tag[1:-1]
    if m.group("null"):
        if tag is None:
            raise BadValue(f"unsupported experiment filter {text!r}: IS NULL applies to tags only")
        absent = "NOT" not in m.group("null").upper()
        return lambda e: (tag not in e.tags) == absent
    op = " ".join(m.group("op").upper().split())
    value: Any = m.group("text") if m.group("num") is None else int(m.group("num"))
    numeric = attr is not None and attr.lower() != "name"
    if numeric != isinstance(value, int) or (numeric and op not in _COMPARE) or (not numeric and op in ("<", "<=", ">", ">=")):
        raise BadValue(f"unsupported experiment filter {text!r}: {_USAGE}")

    def get(e: Any) -> Any:
        return e.tags.get(tag) if tag is not None else getattr(e, attr.lower())

    if "LIKE" in op:
        pattern = _like(value, re.IGNORECASE if "ILIKE" in op else 0)
        negate = op.startswith("NOT")
        return lambda e: (get(e) is not None and pattern.fullmatch(get(e)) is not None) != negate
    compare = _COMPARE[op]
    return lambda e: get(e) is not None and compare(get(e), value)


def experiment_filter(text: str | None) -> Callable[[Any], bool]:
    """A predicate on ``Experiment`` objects for MLflow's filter string (empty: everything)."""
    if not text or not text.strip():
        return lambda e: True
    checks, pos = [], 0
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if m is None or (m.group("and") and m.end() >= len(text.rstrip())):
            raise BadValue(f"unsupported experiment filter {text!r}: {_USAGE}")
        checks.append(_clause(m, text))
        pos = m.end()
        if not m.group("and"):
            break
    return lambda e: all(check(e) for check in checks)
