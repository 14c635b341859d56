"""Params and metrics files from the working tree: a bounded read, JSON or YAML, flattened keys.

``gx run --params-file/--metrics-file`` and the commit hook's declared files go through here, so
a FIFO, a device, a huge file or a YAML bomb is one clear error naming the file, never a hang.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gx import limits
from gx.errors import BadFile, GxError
from gx.values import flatten


def first_line(exc: Exception) -> str:
    """An exception's message on one line, for errors that name a file."""
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def read_structured(path: str, what: str) -> dict[str, Any]:
    """A params/metrics file in the working tree, read within ``MAX_DOCUMENT_BYTES`` and parsed."""
    if not os.path.lexists(path):
        raise BadFile(f"{what} file {path!r} not found")
    data = limits.read_regular_file(Path(path), limits.MAX_DOCUMENT_BYTES, f"{what} file")
    return parse_structured(data, path, what)


def parse_structured(data: str | bytes, path: str, what: str, error: type[GxError] = BadFile) -> dict[str, Any]:
    """A params/metrics file's mapping (JSON for ``.json``, YAML otherwise) flattened to dotted keys;
    anything else raises ``error`` with a one-line message naming the file."""
    import json

    is_json = path.endswith(".json")
    if len(data) > limits.MAX_DOCUMENT_BYTES:
        raise error(f"{what} file {path!r} is {len(data):,} bytes; the limit is {limits.MAX_DOCUMENT_BYTES:,}")
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
    except RecursionError:
        raise error(f"{what} file {path!r} is nested too deeply") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise error(f"{what} file {path!r} must hold a mapping of names to values, not a {type(doc).__name__}")
    try:
        return flatten(doc)
    except RecursionError:
        raise error(f"{what} file {path!r} is nested too deeply") from None
