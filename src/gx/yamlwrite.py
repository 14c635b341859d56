"""YAML for the files gx writes at the end of every run, without loading PyYAML (~11 ms: its import
compiles its resolvers and builds its classes).

``dump`` writes the very text ``gx.yamlio.dump`` (PyYAML, gx's settings) writes, for the documents it
can vouch for: mappings and lists of plain data (str, int, float, bool, None) nested a level or two,
whose strings PyYAML writes plain or in single quotes. Anything else — a string with a ``#``, a
quote, a line break or a leading indicator, a long key, a container that appears twice (PyYAML would
anchor it), a subclass — goes to PyYAML itself. With ``GX_YAML_CHECK=1`` (the test suite sets it)
every document written here is compared with PyYAML's and a difference raises.
"""

from __future__ import annotations

import os
import re
from typing import Any

from gx.yamlfloat import EXPONENT_FLOAT, float_text

# A string PyYAML writes plain whatever it spells, unless it is one of YAML 1.1's words below: it starts
# with a letter, ``_`` or ``/`` (no indicator), and holds no ``:``, ``#``, ``,``, ``?``, brackets, braces,
# quotes or backslashes; words are single-spaced, with nothing at either end.
_WORDY = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+=<>()\-]*(?: [A-Za-z0-9_./@+=<>()\-]+)*\Z")
# A string of one piece, colons only between other characters (and no indicator first: a ``-`` is
# one only before a space or the end): PyYAML writes it plain if YAML 1.1
# would read it back as a string, else in single quotes (a timestamp, a number, a sexagesimal).
_ONE_PIECE = re.compile(r"[A-Za-z0-9_./+\-][A-Za-z0-9_./+=@\-]*(?::[A-Za-z0-9_./+=@\-]+)*\Z")
_WORDS = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On",
          "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~"}
# YAML 1.1's implicit types, as PyYAML's resolver reads a plain scalar (gx's exponent float aside)
_NOT_A_STRING = re.compile(r"""(?:
      [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
      (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )\Z""", re.X)
#: PyYAML writes a longer key in its complex form (``? key``).
_MAX_SIMPLE_KEY = 127


class _Unsure(Exception):
    """Not a document this module vouches for: PyYAML writes it."""


def dump(data: Any) -> str:
    """``gx.yamlio.dump(data)``, loading PyYAML only for what this module cannot vouch for."""
    try:
        text = fast(data)
    except _Unsure:
        from gx import yamlio

        return yamlio.dump(data)
    if os.environ.get("GX_YAML_CHECK") == "1":
        from gx import yamlio

        expected = yamlio.dump(data)
        if text != expected:
            raise AssertionError(f"gx.yamlwrite wrote {text!r} where PyYAML writes {expected!r}")
    return text


def fast(data: Any) -> str:
    """The document, or _Unsure."""
    if type(data) is dict:
        return "".join(_mapping(data, "", set())) if data else "{}\n"
    if type(data) is list:
        return "".join(_sequence(data, "", set())) if data else "[]\n"
    raise _Unsure


def _mapping(data: dict[Any, Any], indent: str, seen: set[int]) -> list[str]:
    _once(data, seen)
    lines = []
    for key, value in data.items():
        if type(key) is not str or len(key) > _MAX_SIMPLE_KEY:
            raise _Unsure
        head = f"{indent}{_string(key)}:"
        kind = type(value)
        if kind is dict and value:
            lines.append(head + "\n")
            lines.extend(_mapping(value, indent + "  ", seen))
        elif kind is list and value:
            lines.append(head + "\n")
            lines.extend(_sequence(value, indent, seen))
        else:
            lines.append(f"{head} {_scalar(value)}\n")
    return lines


def _sequence(data: list[Any], indent: str, seen: set[int]) -> list[str]:
    """Items at the indent of their key, as PyYAML writes a list inside a mapping."""
    _once(data, seen)
    lines = []
    for item in data:
        if type(item) is dict and item:
            inner = _mapping(item, indent + "  ", seen)
            lines.append(f"{indent}- {inner[0][len(indent) + 2:]}")
            lines.extend(inner[1:])
        elif type(item) is list and item:
            raise _Unsure
        else:
            lines.append(f"{indent}- {_scalar(item)}\n")
    return lines


def _once(container: object, seen: set[int]) -> None:
    """A container met twice would be written with an anchor and an alias."""
    if id(container) in seen:
        raise _Unsure
    seen.add(id(container))


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return float_text(value)
    if kind is dict and not value:
        return "{}"
    if kind is list and not value:
        return "[]"
    raise _Unsure


def _string(text: str) -> str:
    if not text:
        return "''"
    if text.startswith(("---", "...")):  # a document's start or end marker
        raise _Unsure
    if _WORDY.match(text):
        if text in _WORDS:
            return f"'{text}'"
        return text
    if _ONE_PIECE.match(text) and text != "-":  # a lone "-" is a list item's indicator
        quote = _NOT_A_STRING.match(text) or EXPONENT_FLOAT.match(text) or text in _WORDS
        return f"'{text}'" if quote else text
    raise _Unsure
