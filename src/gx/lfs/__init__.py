"""Large files through Git LFS: pointer files (``pointer``), the local object store laid out exactly as
git-lfs lays it out (``.git/lfs/objects/<aa>/<bb>/<sha256>``: ``objects``), when an artifact goes there
(``config``), reading an artifact's content whatever it is, fetched on demand (``content``), which
objects runs need (``scan``), moving objects to and from remotes (``remote``; the batch API for http(s)
and ssh in ``transfer``), content before refs on push (``push``) and ``gx gc --lfs`` (``gc``).

It sits between ``gx.tracking`` (which writes pointers for large artifacts) and ``gx.store``; it never
imports dulwich itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def lfs_dir(common_dir: Path) -> Path:
    """Where git-lfs keeps a repository's LFS files (``lfs.storage`` is not supported yet)."""
    return common_dir / "lfs"


def has_lfs_store(common_dir: Path) -> bool:
    """Whether this clone ever stored LFS content (its LFS store exists): only then may a push have
    objects to upload before its refs move."""
    return (lfs_dir(common_dir) / "objects").is_dir()
