"""A run's summary in its own commit: one ``gx-summary`` header line of compact JSON.

Listing needs a run's name, status, times, params, last metric values, tags and inputs. Reading them
from the tree costs the tree and four YAML files a run; the history walk reads the commit anyway. git
keeps an unknown commit header byte for byte, ``git log`` does not show it and ``git fsck --strict``
accepts it. The writers put there the same values as in the summary files; a summary over
``MAX_SUMMARY_BYTES`` (or one that cannot be encoded) is left out and readers use the tree.
Read back it is untrusted: bounded, parsed, then checked by the very rules the files are checked by.
"""

from __future__ import annotations

import json
from typing import Any

from dulwich.objects import Commit

from gx import limits
from gx.errors import BadRecord
from gx.records import RunRecord
from gx.store.encode import (
    INPUTS_FILE,
    METRICS_FILE,
    PARAMS_FILE,
    RUN_FILE,
    TAGS_FILE,
    metrics_document,
    run_header,
)

SUMMARY_HEADER = b"gx-summary"
#: The summary's own version (its ``v``): a reader uses the tree for any other.
SUMMARY_VERSION = 1
#: A summary longer than this is not written, and one read back is not parsed (the tree is read).
MAX_SUMMARY_BYTES = limits.MAX_SUMMARY_BYTES
#: run.yaml's fields a listing shows (the rest stays in the tree, for ``gx show``).
_RUN_FIELDS = ("id", "name", "status", "start_time", "end_time")
#: Summary sections and the file each stands for.
SECTIONS = {"run": RUN_FILE, "params": PARAMS_FILE, "metrics": METRICS_FILE, "tags": TAGS_FILE,
            "inputs": INPUTS_FILE}


def encode_summary(rec: RunRecord) -> bytes | None:
    """The header value for ``rec``: what its summary files say, as one line of JSON; None when too long."""
    header = run_header(rec)
    run = {k: header[k] for k in _RUN_FIELDS if k in header}
    if rec.source.get("commit") is not None:
        run["source"] = {"commit": rec.source["commit"]}
    doc: dict[str, Any] = {"v": SUMMARY_VERSION, "run": run, "params": rec.params,
                           "metrics": metrics_document(rec), "tags": rec.tags}
    if rec.inputs:
        doc["inputs"] = [i.to_dict() for i in rec.inputs]
    try:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return None  # a value JSON cannot hold: the tree alone says it
    return data if len(data) <= MAX_SUMMARY_BYTES else None


def commit_summary(commit: Commit) -> bytes | None:
    """The raw ``gx-summary`` header of a commit, or None (absent, repeated, or too long to parse)."""
    found = [value for name, value in getattr(commit, "_extra", ()) if name == SUMMARY_HEADER]
    if len(found) != 1 or not isinstance(found[0], bytes) or len(found[0]) > MAX_SUMMARY_BYTES:
        return None
    return found[0]


def summary_sections(data: bytes) -> dict[str, dict[str, Any]]:
    """The summary's documents by file name (``inputs.yaml`` as its ``{"inputs": [...]}``), each one a
    mapping as ``gx.store.decode`` expects of a file; BadRecord when the summary is not one gx reads."""
    if len(data) > MAX_SUMMARY_BYTES:
        raise BadRecord("the commit's summary is over its limit")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise BadRecord("the commit's summary is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("v") != SUMMARY_VERSION:
        raise BadRecord("the commit's summary is not of a known version")
    out: dict[str, dict[str, Any]] = {}
    for section, file in SECTIONS.items():
        value = doc.get(section)
        if section == "inputs":
            value = {} if value is None else {"inputs": value}
        if not isinstance(value, dict):
            raise BadRecord(f"the commit's summary has no {section} mapping")
        out[file] = value
    return out
