"""Params passed on a recorded command line, substituted by ``gx reproduce -p``.

A script that reads its params from its arguments (``train.py --alpha 0.1``, ``--alpha=0.1``,
Hydra's ``alpha=0.1``, an entry point's rendered template) would ignore an override given only to
``gx.params()``; so where the recorded command carries a param's recorded value in one of those
forms, that value is replaced. A token is only replaced when it is the recorded value (as text or
as the same typed value), so nothing else on the command line changes.
"""

from __future__ import annotations

from typing import Any

from gx.errors import BadValue
from gx.values import parse_assignment


def _same(token: str, value: Any) -> bool:
    if token == str(value):
        return True
    try:
        parsed = parse_assignment(f"v={token}")[1]
    except BadValue:
        return False
    return parsed == value and type(parsed) is type(value)


def _spellings(key: str) -> set[str]:
    return {key, key.replace("_", "-"), key.replace("-", "_")}


def _text(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def substitute(command: list[str], recorded: dict[str, Any], overrides: dict[str, Any]) -> tuple[list[str], set[str]]:
    """``command`` with each overridden param's recorded value replaced where it is passed; and the
    keys that were found on the command line."""
    out = list(command)
    found: set[str] = set()
    for key, new in overrides.items():
        old, names = recorded.get(key), _spellings(key)
        for i, token in enumerate(out):
            if i == 0:
                continue
            flag, sep, value = token.partition("=")
            if sep and flag.lstrip("-+~") in names and _same(value, old):  # --alpha=0.1, alpha=0.1, +alpha=0.1
                out[i] = f"{flag}={_text(new)}"
                found.add(key)
            elif token.startswith("-") and token.lstrip("-") in names and i + 1 < len(out) and _same(out[i + 1], old):
                out[i + 1] = _text(new)  # --alpha 0.1
                found.add(key)
    return out, found
