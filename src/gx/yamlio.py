"""The one YAML wrapper: C loader when available, insertion order kept, block style.

Every YAML file gx writes goes through ``dump`` so that they all look alike and diff cleanly.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from gx import limits
from gx.yamlfloat import EXPONENT_FLOAT, float_text

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class _GxDumper(_Dumper):  # type: ignore[misc,valid-type]
    pass


class _GxLoader(_Loader):  # type: ignore[misc,valid-type]
    pass


# 1e-3 is a float to gx (YAML 1.2), in both directions: gx.yamlfloat.EXPONENT_FLOAT
for _cls in (_GxDumper, _GxLoader):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", EXPONENT_FLOAT, list("-+0123456789."))


def _represent_float(dumper: Any, value: float) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:float", float_text(value))


_GxDumper.add_representer(float, _represent_float)


def dump(data: Any) -> str:
    """Serialize to block-style YAML with keys in insertion order and unicode kept as is."""
    return yaml.dump(
        data,
        Dumper=_GxDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


YAMLError = yaml.YAMLError


class YAMLLimitError(YAMLError):
    """A document over gx's size, node or depth limits (``gx.limits``): refused, not parsed."""


def load(text: str | bytes, *, max_bytes: int = limits.MAX_DOCUMENT_BYTES,
         max_nodes: int = limits.MAX_DOCUMENT_NODES, max_depth: int = limits.MAX_DOCUMENT_DEPTH) -> Any:
    """Parse YAML safely: no arbitrary objects, and bounded. The document is composed into nodes
    first; their count with every alias expanded, and their depth, are checked before any Python
    object is built, so a "billion laughs" document or a recursive alias costs microseconds."""
    if len(text) > max_bytes:
        raise YAMLLimitError(f"the document is {len(text):,} bytes; the limit is {max_bytes:,}")
    _check_depth(text, max_depth)  # before composing: libyaml's composer recurses, and crashes when deep
    loader = _GxLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, max_nodes, max_depth)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_depth(text: str | bytes, max_depth: int) -> None:
    depth = 0
    loader = _GxLoader(text)
    try:
        while (event := loader.get_event()) is not None:
            kind = type(event)
            if kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                depth += 1
                if depth > max_depth:
                    raise YAMLLimitError(f"the document is nested deeper than {max_depth} levels")
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                depth -= 1
    finally:
        loader.dispose()


def _check_size(root: Any, max_nodes: int, max_depth: int) -> None:
    """Expanded node count and depth of a composed document, each node's size computed once."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any, depth: int) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if depth > max_depth:
            raise YAMLLimitError(f"the document is nested deeper than {max_depth} levels")
        if key in open_nodes:
            raise YAMLLimitError("the document refers to itself through an alias")
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            open_nodes.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            for child in children:
                total += size(child, depth + 1)
                if total > max_nodes:
                    raise YAMLLimitError(f"the document expands to more than {max_nodes:,} values")
            open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


# -- a fast path for the files gx itself writes -------------------------------------------------
# Reading 10k runs cold parses 40k small YAML files; PyYAML's constructor dominates. gx's own
# files are flat mappings (one nesting level, simple lists) of scalars, so a line reader handles
# them and hands anything unusual to PyYAML. tests/test_yamlio.py checks it against PyYAML.
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?[0-9]+\.[0-9]*(?:e[-+][0-9]+)?\Z")
_PLAIN_STR = re.compile(r"(?:[^\W\d]|/|-+[^\W\d])[\w./@+-]*(?: [\w./@+-]+)*\Z")
_SPECIAL = {".nan": math.nan, ".inf": math.inf, "-.inf": -math.inf, "true": True, "false": False,
            "null": None, "~": None, "{}": {}, "[]": []}
# digits and lower-case letters, as run ids and commit ids are: a string unless YAML 1.1 reads it as a
# binary or hex number (0b…, 0x…) or the loader's exponent float (1e5)
_ID_WORD = re.compile(r"[0-9][0-9a-z]*[a-z][0-9a-z]*\Z")
# plain words YAML 1.1 reads as bools or nulls: leave those to PyYAML
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null"}


class _Fallback(Exception):
    pass


#: Parsed scalars by their text: keys and many values repeat from one run's files to the next.
_SCALARS: dict[str, Any] = {}
_SCALARS_MAX = 50_000


def _scalar(text: str) -> Any:
    try:
        return _SCALARS[text]
    except KeyError:
        pass
    value = _parse_scalar(text)
    if type(value) is not dict and type(value) is not list:  # only immutable values are shared
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        _SCALARS[text] = value
    return value


def _parse_scalar(text: str) -> Any:
    if text in _SPECIAL:
        value = _SPECIAL[text]
        return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'") or "'" in text[1:-1].replace("''", ""):
            raise _Fallback
        return text[1:-1].replace("''", "'")
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if _PLAIN_STR.match(text) and text.lower() not in _RESERVED:
        return text
    if _ID_WORD.match(text) and text[:2] not in ("0b", "0x") and not EXPONENT_FLOAT.match(text):
        return text
    raise _Fallback


def _key(text: str) -> str:
    key = _scalar(text)
    if not isinstance(key, str):
        raise _Fallback
    return key


def load_fast(text: str | bytes) -> Any:
    """``load`` for gx-written files: the same result, several times faster; falls back to PyYAML."""
    if len(text) > limits.MAX_DOCUMENT_BYTES:
        return load(text)  # raises the size error
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        return _parse_simple(text)
    except _Fallback:
        return load(text)


def _parse_simple(text: str) -> Any:
    lines = text.splitlines()
    if len(lines) == 1 and lines[0] in ("{}", "[]"):
        return _scalar(lines[0])
    root: dict[str, Any] = {}
    current: Any = None  # the open nested dict or list (a _Pending) of the last "key:" line
    known = _SCALARS  # the hot loop of a cold index build: look parsed scalars up inline
    for line in lines:
        first = line[:1]
        if first == " ":  # "  key: value" under the last "key:" line
            if current is None or line[1:2] != " " or line[2:3] == " ":
                raise _Fallback
            key, _, rest = line[2:].partition(": ")
            if not rest:
                raise _Fallback
            name = known.get(key)
            current[name if type(name) is str else _key(key)] = known[rest] if rest in known else _scalar(rest)
            continue
        if first == "-" and line[1:2] == " ":
            if current is None:
                raise _Fallback
            current.append(_scalar(line[2:]))
            continue
        if not first or first == "#":
            raise _Fallback
        if line[-1] == ":":
            current = root[_key(line[:-1])] = _Pending()
            continue
        key, _, rest = line.partition(": ")
        if not rest:
            raise _Fallback
        name = known.get(key)
        root[name if type(name) is str else _key(key)] = known[rest] if rest in known else _scalar(rest)
        current = None
    for key, value in root.items():
        if isinstance(value, _Pending):
            if value.kind is None:
                raise _Fallback  # "key:" with nothing under it is null in YAML: leave it to PyYAML
            root[key] = value.result()
    return root


class _Pending:
    """The value of a ``key:`` line: a dict or a list depending on the lines that follow."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.items: list[Any] = []
        self.mapping: dict[str, Any] = {}

    def append(self, value: Any) -> None:
        if self.kind == "map":
            raise _Fallback
        self.kind = "list"
        self.items.append(value)

    def __setitem__(self, key: str, value: Any) -> None:
        if self.kind == "list":
            raise _Fallback
        self.kind = "map"
        self.mapping[key] = value

    def result(self) -> Any:
        return self.items if self.kind == "list" else self.mapping
