"""A run's inputs: the datasets and files it read, in MLflow's shape (a dataset with name, digest,
source, schema and profile, plus the input's tags, ``mlflow.data.context`` among them).

One checker serves the three places an input comes from: ``gx.log_input`` and ``gx run --input`` (the
user's call), a journal read back after a crash, and ``inputs.yaml`` read from someone else's clone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from gx import limits
from gx.errors import BadValue

#: The input tag holding what the data was for (MLflow's key): "training", "validation", ...
CONTEXT_TAG = "mlflow.data.context"
#: Inputs one run may hold (each one is a few lines of ``inputs.yaml``).
MAX_INPUTS_PER_RUN = 1_000
#: A dataset's schema or profile, as JSON, is at most this long (they describe data; they are not data).
MAX_DESCRIPTION_CHARS = 64 * 1024
#: Lengths of names, digests, sources and tag values.
MAX_NAME = 500
MAX_DIGEST = 64  # MLflow's digests are 8 hex digits; a caller may pass any fingerprint up to a sha256
MAX_SOURCE = 4096
_HEX = {"sha256": re.compile(r"[0-9a-f]{64}\Z"), "git_blob": re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z"),
        "lfs_oid": re.compile(r"[0-9a-f]{64}\Z"), "dvc_md5": re.compile(r"[0-9a-f]{32}\Z")}
_GIT_STATES = ("clean", "modified", "untracked")
_FILE_TEXT = ("path", "dvc_file")


@dataclass
class FileFacts:
    """What ``gx run --input`` learned about one file: its size and the hashes that identify it.

    ``sha256`` is absent when the content was not read because Git LFS or DVC already knew it
    (``lfs_oid`` is the content's sha256 itself; ``dvc_md5`` the md5 DVC recorded)."""

    path: str
    size: int
    sha256: str | None = None
    git_blob: str | None = None
    git: str | None = None  # clean, modified (differs from the index) or untracked
    lfs_oid: str | None = None
    dvc_md5: str | None = None
    dvc_file: str | None = None  # the .dvc file or dvc.lock that recorded dvc_md5

    def content_ids(self) -> dict[str, str]:
        """The content's hashes by algorithm: an LFS oid is the sha256 of the content it points to."""
        ids = {}
        if self.sha256 or self.lfs_oid:
            ids["sha256"] = self.sha256 or self.lfs_oid or ""
        if self.dvc_md5:
            ids["md5"] = self.dvc_md5
        return ids

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RunInput:
    """One dataset input of a run (MLflow's ``DatasetInput``: a ``Dataset`` and its ``InputTag``s)."""

    name: str
    digest: str
    source_type: str
    source: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    schema: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    file: FileFacts | None = None

    @property
    def context(self) -> str | None:
        return self.tags.get(CONTEXT_TAG)

    @property
    def label(self) -> str:
        """How people recognise the input: its file's path, else its name."""
        return self.file.path if self.file else self.name

    def content_ids(self) -> dict[str, str]:
        return self.file.content_ids() if self.file else {"digest": self.digest}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "digest": self.digest, "source_type": self.source_type,
                               "source": self.source}
        for key in ("tags", "schema", "profile"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.file is not None:
            out["file"] = self.file.to_dict()
        return out


def from_checked(value: dict[str, Any]) -> RunInput:
    """A RunInput from a dict ``to_dict`` made and gx kept (the index cache): no checks again."""
    file = value.get("file")
    return RunInput(value["name"], value["digest"], value["source_type"], value.get("source", ""),
                    dict(value.get("tags") or {}), value.get("schema"), value.get("profile"),
                    None if file is None else FileFacts(**file))


def same_content(a: RunInput, b: RunInput) -> bool:
    """Whether two inputs hold the same data: their hashes agree wherever both have one."""
    ids_a, ids_b = a.content_ids(), b.content_ids()
    shared = ids_a.keys() & ids_b.keys()
    return bool(shared) and all(ids_a[k] == ids_b[k] for k in shared)


def _text(value: Any, what: str, limit: int, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > limit:
        raise BadValue(f"{what} must be a{'' if empty else ' non-empty'} string of at most {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise BadValue(f"{what} {value[:40]!r} holds a control character")
    return value


def _description(value: Any, what: str) -> dict[str, Any] | None:
    """A schema or profile: a JSON object of plain values, bounded in size."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadValue(f"{what} must be a mapping, not a {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise BadValue(f"{what} must hold only JSON values (text, finite numbers, lists, mappings)") from None
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise BadValue(f"{what} is {len(text):,} characters as JSON; the limit is {MAX_DESCRIPTION_CHARS:,}")
    return value


def _file(value: Any) -> FileFacts:
    if not isinstance(value, dict):
        raise BadValue("an input's file must be a mapping")
    size = value.get("size")
    if type(size) is not int or not 0 <= size < 2**63:
        raise BadValue("an input's file size must be a non-negative integer")
    facts = FileFacts(path=_text(value.get("path"), "an input's file path", MAX_SOURCE), size=size)
    for key, pattern in _HEX.items():
        if value.get(key) is not None:
            if not isinstance(value[key], str) or not pattern.match(value[key]):
                raise BadValue(f"an input's file {key} {str(value[key])[:70]!r} is not a hash of that kind")
            setattr(facts, key, value[key])
    if value.get("git") is not None:
        if value["git"] not in _GIT_STATES:
            raise BadValue(f"an input's file git state must be one of {', '.join(_GIT_STATES)}")
        facts.git = value["git"]
    if value.get("dvc_file") is not None:
        facts.dvc_file = _text(value["dvc_file"], "an input's dvc_file", MAX_SOURCE)
    if not facts.content_ids():
        raise BadValue(f"input file {facts.path!r} has no sha256, LFS oid or DVC md5")
    return facts


def check_input(value: Any) -> RunInput:
    """A RunInput from its dict form (``RunInput.to_dict``), every field checked; BadValue says why not.
    Keys it does not know are ignored (a later gx may add some), as everywhere in the format."""
    if not isinstance(value, dict):
        raise BadValue(f"an input must be a mapping, not a {type(value).__name__}")
    name = _text(value.get("name"), "a dataset name", MAX_NAME)
    tags_in = value.get("tags") or {}
    if not isinstance(tags_in, dict) or len(tags_in) > 100:
        raise BadValue(f"the tags of input {name!r} must be a mapping of at most 100 tags")
    tags = {_text(k, f"a tag key of input {name!r}", limits.MAX_KEY_LENGTH):
            _text(v, f"tag {k!r} of input {name!r}", MAX_SOURCE, empty=True) for k, v in tags_in.items()}
    file = value.get("file")
    return RunInput(
        name=name,
        digest=_text(value.get("digest"), f"the digest of input {name!r}", MAX_DIGEST),
        source_type=_text(value.get("source_type"), f"the source type of input {name!r}", 64),
        source=_text(value.get("source", ""), f"the source of input {name!r}", MAX_SOURCE, empty=True),
        tags=tags,
        schema=_description(value.get("schema"), f"the schema of input {name!r}"),
        profile=_description(value.get("profile"), f"the profile of input {name!r}"),
        file=None if file is None else _file(file),
    )


def check_inputs(values: Any) -> list[RunInput]:
    """A run's list of inputs, checked, at most ``MAX_INPUTS_PER_RUN``."""
    if not isinstance(values, list):
        raise BadValue(f"a run's inputs must be a list, not a {type(values).__name__}")
    if len(values) > MAX_INPUTS_PER_RUN:
        raise BadValue(f"a run holds {len(values):,} inputs; the limit is {MAX_INPUTS_PER_RUN:,}")
    return [check_input(v) for v in values]


def input_key(inp: RunInput) -> tuple[str, str]:
    """What makes two inputs 'the same input' of a run: its file's path or its name, and its context.
    Logging the same key again replaces it (a script that logs its training set twice logs one input)."""
    return (inp.file.path if inp.file else inp.name, inp.context or "")


def merge_input(inputs: list[RunInput], new: RunInput) -> None:
    """Add ``new``, replacing an input with the same key."""
    key = input_key(new)
    for i, old in enumerate(inputs):
        if input_key(old) == key:
            inputs[i] = new
            return
    if len(inputs) >= MAX_INPUTS_PER_RUN:
        raise BadValue(f"cannot log input {new.name!r}: a run holds at most {MAX_INPUTS_PER_RUN:,} inputs")
    inputs.append(new)
