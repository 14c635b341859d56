"""Record -> files: the file names inside a run commit (format 1) and how a RunRecord becomes them.

``encode_files`` turns a RunRecord into ``{path: bytes}``; ``gx.store.decode`` reads it back, checked.
Building git trees from that mapping is ``tree.py``'s job, so this module stays pure Python.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote, unquote

from gx import limits, yamlwrite
from gx.errors import BadName, BadValue
from gx.records import LfsArtifact, MetricPoint, RunRecord, format_time

FORMAT_VERSION = 1

RUN_FILE = "run.yaml"
PARAMS_FILE = "params.yaml"
METRICS_FILE = "metrics.yaml"
TAGS_FILE = "tags.yaml"
HISTORY_DIR = "metrics"
ARTIFACTS_DIR = "artifacts"
PATCH_FILE = "source.patch"
PACKAGES_FILE = "packages.txt"
STDOUT_FILE = "stdout.txt"
STDERR_FILE = "stderr.txt"
TOMBSTONE_FILE = "tombstone.yaml"
EXPERIMENT_FILE = "experiment.yaml"
#: Marks the run's artifacts kept in Git LFS, one exact path per line, as ``git lfs track`` writes them.
ATTRIBUTES_FILE = ".gitattributes"
LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"
#: git ignores a .gitattributes line this long or longer (attr.c ATTR_MAX_LINE_LENGTH).
MAX_ATTRIBUTE_LINE = 2048
INPUTS_FILE = "inputs.yaml"

SUMMARY_FILES = (RUN_FILE, PARAMS_FILE, METRICS_FILE, TAGS_FILE, INPUTS_FILE)
_HISTORY_HEADER = "step\ttimestamp_ms\tvalue\n"
_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\Z")


def metric_file_name(key: str) -> str:
    """A metric key as one safe tree entry name: 'val/loss' -> 'val%2Floss.tsv'."""
    name = key if _SAFE.match(key) else quote(key, safe="")
    if name.startswith("."):
        name = "%2E" + name[1:]
    return name + ".tsv"


def metric_key_from_file(name: str) -> str:
    return unquote(name[: -len(".tsv")])


def lfs_attribute_line(artifact_path: str) -> str:
    """The ``.gitattributes`` line marking ``artifacts/<artifact_path>`` as an LFS file: glob characters
    escaped, spaces as ``[[:space:]]`` (git-lfs's own escaping), so the pattern matches that path only."""
    pattern = "".join("\\" + c if c in "*?[]\\!#\"" else "[[:space:]]" if c == " " else c
                      for c in f"{ARTIFACTS_DIR}/{artifact_path}")
    return f"{pattern} {LFS_ATTRIBUTES}"


def check_lfs_path(artifact_path: str) -> None:
    """Refuse an artifact path whose ``.gitattributes`` line git would ignore (attr.c's line limit)."""
    if len(lfs_attribute_line(artifact_path).encode()) >= MAX_ATTRIBUTE_LINE:
        raise BadName(f"bad artifact path {artifact_path!r}: too long for a large file's .gitattributes line")


def add_lfs_attribute(used: int, artifact_path: str) -> int:
    """The size of a run's ``.gitattributes`` once ``artifact_path`` is marked in it too; BadValue past
    the bytes every reader reads (``limits.MAX_DOCUMENT_BYTES``), where its last lines would be lost."""
    total = used + len(lfs_attribute_line(artifact_path).encode()) + 1
    if total > limits.MAX_DOCUMENT_BYTES:
        raise BadValue(f"cannot store {artifact_path!r} as a large file: the run's .gitattributes, one line per large "
                       f"file, would pass {limits.MAX_DOCUMENT_BYTES:,} bytes; log fewer large files per run, or "
                       "shorter paths")
    return total


def lfs_marked(attributes: bytes | None) -> set[str]:
    """The lines of a run's ``.gitattributes``, read bounded (it may come from anyone's clone): an
    artifact is an LFS file when ``lfs_attribute_line`` of its path is among them."""
    return set((attributes or b"")[: limits.MAX_DOCUMENT_BYTES].decode("utf-8", "replace").splitlines())


def lfs_paths(attributes: bytes) -> list[str]:
    """The tree paths a run's ``.gitattributes`` marks as LFS files (the lines ``lfs_attribute_line``
    writes; any other line is not gx's and is ignored), read bounded as ``lfs_marked`` reads it."""
    out = []
    for line in attributes[: limits.MAX_DOCUMENT_BYTES].decode("utf-8", "replace").splitlines():
        pattern, sep, attrs = line.partition(" ")
        if sep and attrs == LFS_ATTRIBUTES:
            out.append(re.sub(r"\\(.)|\[\[:space:\]\]", lambda m: m.group(1) or " ", pattern))
    return out


def format_number(value: float | int) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return repr(value)


def encode_history(points: list[MetricPoint]) -> bytes:
    lines = [_HISTORY_HEADER]
    for p in points:
        lines.append(f"{p.step}\t{int(round(p.timestamp * 1000))}\t{format_number(p.value)}\n")
    return "".join(lines).encode("utf-8")


def run_header(rec: RunRecord) -> dict[str, Any]:
    """The contents of run.yaml, in a stable, readable order."""
    header: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "id": rec.run_id,
        "name": rec.name,
        "experiment": rec.experiment,
        "status": rec.status,
        "start_time": format_time(rec.start_time),
        "end_time": format_time(rec.end_time),
        "duration": None if rec.duration is None else round(rec.duration, 6),
        "exit_code": rec.exit_code,
        "signal": rec.signal,
        "error": rec.error,
        "command": rec.command,
        "author": rec.author,
        "host": rec.host,
        "python": rec.python,
        "platform": rec.platform,
        "gx_version": rec.gx_version,
        "source": rec.source or None,
        "env": rec.env or None,
    }
    return {k: v for k, v in header.items() if v is not None}


def metrics_document(rec: RunRecord) -> dict[str, dict[str, Any]]:
    """The contents of metrics.yaml: each metric's last value and step."""
    return {k: {"value": pts[-1].value, "step": pts[-1].step} for k, pts in rec.metrics.items() if pts}


def encode_files(rec: RunRecord) -> dict[str, bytes]:
    """Every file of a run commit's tree, keyed by posix path."""
    files: dict[str, bytes] = {
        RUN_FILE: yamlwrite.dump(run_header(rec)).encode("utf-8"),
        PARAMS_FILE: yamlwrite.dump(rec.params).encode("utf-8"),
        METRICS_FILE: yamlwrite.dump(metrics_document(rec)).encode("utf-8"),
        TAGS_FILE: yamlwrite.dump(rec.tags).encode("utf-8"),
    }
    if rec.inputs:  # only runs that have inputs carry the file: older readers ignore it
        files[INPUTS_FILE] = yamlwrite.dump({"inputs": [i.to_dict() for i in rec.inputs]}).encode("utf-8")
    for key, points in rec.metrics.items():
        if points:
            files[f"{HISTORY_DIR}/{metric_file_name(key)}"] = encode_history(points)
    lfs_lines = []
    for path, content in rec.artifacts.items():
        files[f"{ARTIFACTS_DIR}/{path}"] = content
        if isinstance(content, LfsArtifact):
            lfs_lines.append(lfs_attribute_line(path) + "\n")
    if lfs_lines:
        files[ATTRIBUTES_FILE] = "".join(sorted(lfs_lines)).encode("utf-8")
    if rec.source_patch:
        files[PATCH_FILE] = rec.source_patch
    if rec.packages:
        files[PACKAGES_FILE] = ("\n".join(rec.packages) + "\n").encode("utf-8")
    if rec.stdout_tail:
        files[STDOUT_FILE] = rec.stdout_tail
    if rec.stderr_tail:
        files[STDERR_FILE] = rec.stderr_tail
    return files
