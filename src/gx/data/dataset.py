"""MLflow's ``Dataset``: a name, a digest (a short fingerprint of the content), a source, a schema and
a profile (a few numbers about the data, never the data). ``gx.log_input`` records it in the run."""

from __future__ import annotations

import json
from typing import Any

from gx.data.source import DatasetSource
from gx.errors import BadValue
from gx.runinputs import CONTEXT_TAG, RunInput, check_input


class Dataset:
    """The common part of every dataset; subclasses compute the digest, schema and profile."""

    def __init__(self, source: DatasetSource, name: str | None = None, digest: str | None = None) -> None:
        self._source = source
        self._name = name
        self._digest = digest or self._compute_digest()

    def _compute_digest(self) -> str:
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The dataset's name; MLflow's default is ``"dataset"``."""
        return self._name if self._name is not None else "dataset"

    @property
    def digest(self) -> str:
        return self._digest

    @property
    def source(self) -> DatasetSource:
        return self._source

    @property
    def schema(self) -> dict[str, Any] | None:
        return None

    @property
    def profile(self) -> dict[str, Any] | None:
        return None

    def to_dict(self) -> dict[str, str]:
        """MLflow's string dictionary: name, digest, source (JSON), source_type, schema and profile (JSON)."""
        out = {"name": self.name, "digest": self.digest, "source": self._source.to_json(),
               "source_type": self._source.source_type}
        if self.schema is not None:
            out["schema"] = json.dumps(self.schema)
        if self.profile is not None:
            out["profile"] = json.dumps(self.profile)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def run_input(self, context: str | None = None, tags: dict[str, str] | None = None) -> RunInput:
        """The input a run records for this dataset, checked (a bad name or tag fails here, at the call)."""
        all_tags = dict(tags or {})
        if context is not None:
            all_tags[CONTEXT_TAG] = context
        return check_input({"name": self.name, "digest": self.digest, "source_type": self._source.source_type,
                            "source": self._source.uri, "tags": all_tags, "schema": self.schema,
                            "profile": self.profile})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} digest={self.digest!r} source={self._source.uri!r}>"


def check_name(name: Any) -> str | None:
    if name is not None and (not isinstance(name, str) or not name):
        raise BadValue(f"name must be a non-empty string, not {name!r}")
    return name
