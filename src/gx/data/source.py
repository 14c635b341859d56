"""Where a dataset came from, as MLflow's ``DatasetSource`` says it: a type and a JSON description."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from gx.errors import BadValue
from gx.runinputs import MAX_SOURCE

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


class DatasetSource:
    """A source: ``local`` (a path), ``http`` (a URL), another URI scheme (``s3``, ``gs``...) or
    ``code`` (the script that built the data, when no source is given, as MLflow does)."""

    def __init__(self, source_type: str, uri: str) -> None:
        self.source_type = source_type
        self.uri = uri

    def _get_source_type(self) -> str:  # MLflow's spelling
        return self.source_type

    def to_dict(self) -> dict[str, Any]:
        if self.source_type == "code":
            return {"tags": {"mlflow.source.name": self.uri}} if self.uri else {"tags": {}}
        return {"url" if self.source_type == "http" else "uri": self.uri}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"DatasetSource({self.source_type!r}, {self.uri!r})"


def resolve_source(source: Any) -> DatasetSource:
    """A DatasetSource for what ``from_pandas(source=...)`` was given: a path, a URI, one of ours, or None."""
    if isinstance(source, DatasetSource):
        return source
    if source is None:
        script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c") else ""
        return DatasetSource("code", script[:MAX_SOURCE])
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source or len(source) > MAX_SOURCE or any(ord(c) < 32 for c in source):
        raise BadValue(f"source must be a path or URI of at most {MAX_SOURCE} characters, not {str(source)[:60]!r}")
    scheme = _SCHEME.match(source)
    if scheme is None:
        return DatasetSource("local", source)
    kind = scheme.group(1).lower()
    if kind == "file":
        return DatasetSource("local", source)
    return DatasetSource("http" if kind in ("http", "https") else kind, source)
