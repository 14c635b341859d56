"""A repository read without opening it: its own config and its experiments' tips, through the very
readers dulwich's ``Repo`` uses (``ConfigFile``, ``DiskRefsContainer``) and without loading its
object store, packs or index. For decisions made before the rest of gx loads (``gx push``'s head start).
"""

from __future__ import annotations

import os
from io import BytesIO

from dulwich.config import ConfigFile
from dulwich.refs import DiskRefsContainer

from gx.paths import RepoPaths
from gx.store.refs import experiments_in

#: Larger configs are left to the repository's own reader.
_MAX_CONFIG = 1 << 20


def repo_config(paths: RepoPaths) -> ConfigFile | None:
    """``.git/config`` as ``Repo.get_config`` reads it, or None where that reading could differ: the
    file includes others (dulwich's repository evaluates ``includeIf`` conditions), or is unusual
    (not a regular file, larger than a megabyte, unreadable or malformed)."""
    path = os.path.join(paths.common_dir, "config")
    if not os.path.isfile(path):  # no config at all reads as an empty one; a fifo is not opened
        return None if os.path.lexists(path) else ConfigFile()
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_CONFIG + 1)
        if len(raw) > _MAX_CONFIG or b"include" in raw.lower():
            return None
        config = ConfigFile.from_file(BytesIO(raw))
        config.path = path
        return config
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def experiment_tips(paths: RepoPaths) -> dict[str, bytes]:
    """Every experiment with its tip, as ``Store.experiments`` lists them."""
    return experiments_in(DiskRefsContainer(str(paths.common_dir), str(paths.git_dir)))
