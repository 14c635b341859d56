"""When an artifact goes to Git LFS, and how large one may be: ``GX_LFS_THRESHOLD``/``GX_LFS_MAX_BYTES``
in the environment, else ``lfs.threshold``/``lfs.max_size`` in the working tree's gx.yaml.

Sizes are bytes (``10485760``) or a number with a unit (``10MB``, ``1.5GiB``; MB and MiB both mean
2**20 bytes, as the old ``GX_MAX_ARTIFACT_MB`` did). Below the threshold nothing changes: the artifact
is an ordinary blob in the run's tree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gx import limits, yamlio
from gx.errors import ArtifactTooLarge, BadValue

#: Artifacts larger than this are kept in Git LFS by default: the largest plain blob gx writes (10 MB,
#: ``GX_MAX_ARTIFACT_MB``), which a configured threshold never exceeds.
DEFAULT_THRESHOLD = limits.MAX_ARTIFACT_BYTES
CONFIG_FILE = "gx.yaml"
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class LfsSettings:
    threshold: int  # artifacts larger than this go to LFS
    max_bytes: int | None  # no artifact may be larger (None: unlimited)


def parse_size(text: object, where: str) -> int:
    """Bytes from ``10485760``, ``"10MB"`` or ``"1.5 GiB"``; BadValue naming ``where`` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = _SIZE.fullmatch(str(text)) if isinstance(text, (str, float)) else None
    if match is None:
        raise BadValue(f"{where}: {str(text)[:40]!r} is not a size; write bytes or e.g. 10MB, 2GB")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _file_settings(worktree: Path | None) -> dict[str, object]:
    if worktree is None:
        return {}
    path = worktree / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        doc = yamlio.load(limits.read_regular_file(path, limits.MAX_DOCUMENT_BYTES, CONFIG_FILE))
    except (yamlio.YAMLError, ValueError, OSError):
        return {}  # gx.yaml's own readers report its mistakes; sizes fall back to their defaults
    section = doc.get("lfs") if isinstance(doc, dict) else None
    return section if isinstance(section, dict) else {}


def settings(worktree: Path | None) -> LfsSettings:
    """The threshold and cap in force for the repository whose working tree is ``worktree``."""
    section = _file_settings(worktree)
    threshold: object = os.environ.get("GX_LFS_THRESHOLD") or section.get("threshold")
    cap: object = os.environ.get("GX_LFS_MAX_BYTES") or section.get("max_size")
    return LfsSettings(
        DEFAULT_THRESHOLD if threshold is None
        else min(parse_size(threshold, "GX_LFS_THRESHOLD / lfs.threshold"), DEFAULT_THRESHOLD),
        None if cap is None else parse_size(cap, "GX_LFS_MAX_BYTES / lfs.max_size"),
    )


def check_cap(artifact_path: str, size: int, cap: int | None) -> None:
    """Refuse an artifact over the configured large-file cap, in one line."""
    if cap is not None and size > cap:
        raise ArtifactTooLarge(
            f"artifact {artifact_path!r} is {size:,} bytes, over the {cap:,}-byte cap for large files "
            "(GX_LFS_MAX_BYTES or lfs.max_size in gx.yaml)"
        )
