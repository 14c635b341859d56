"""What a run's start needs beside the live run itself: the source it runs, and the one error for a
repository gx cannot write its journal into."""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Any

from gx.errors import GxError
from gx.paths import RepoPaths
from gx.tracking import journal


def record_source(paths: RepoPaths, run_dir: Path, meta: dict[str, Any]) -> None:
    """Capture HEAD (and a snapshot of uncommitted changes) into the run's meta; never raises."""
    try:
        from gx.store.repo import Store
        from gx.store.source import capture_source

        with Store(paths) as store:
            source, patch = capture_source(store, meta["run_id"])
        from gx.tracking.capture import working_directory

        workdir = working_directory(paths.worktree)
        meta["source"] = {**source, "workdir": workdir} if workdir else source
        if patch:
            (run_dir / journal.PATCH).write_bytes(patch)
        journal.write_json_atomic(run_dir / journal.META_FILE, meta)
    except Exception as exc:  # never block a run on source capture
        print(f"gx: could not capture the source code state ({exc})", file=sys.stderr)


def not_writable(exc: OSError, where: Path) -> GxError:
    """The error for a repository gx cannot write its journals into (read-only, full, not ours)."""
    place = journal.shown_path(Path(exc.filename) if isinstance(exc.filename, str) else where)
    need = "free space on its disk" if exc.errno == errno.ENOSPC else "write access to it"
    return GxError(f"cannot write to {place} ({exc.strerror or exc}): gx keeps live runs under the "
                   f"repository's .git/gx, so recording a run needs {need}")
