"""Files held in memory (a model's: its file, descriptor, example, requirements) logged as artifacts of
the active run without a temporary copy on disk, checked as ``log_artifacts`` checks a directory's."""

from __future__ import annotations

from gx.lfs import config as lfs_config
from gx.tracking.artifacts import lfs_settings
from gx.tracking.fluent import _live
from gx.values import check_artifact_path


def log_contents(files: dict[str, bytes], artifact_path: str) -> None:
    """Log ``{file name: content}`` under ``artifact_path``: every path and size (the large-file cap) is
    checked before anything is staged; content over the LFS threshold goes to the LFS store."""
    live = _live()
    prefix = artifact_path.strip("/")
    named = [(check_artifact_path(f"{prefix}/{name}" if prefix else name), content) for name, content in files.items()]
    cap = lfs_settings(live).max_bytes
    for name, content in named:
        lfs_config.check_cap(name, len(content), cap)
    for name, content in named:
        live.log_artifact_bytes(name, content)
