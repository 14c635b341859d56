"""Each trial's scratch copy of the project, so trials under ``-j`` never write over each other's files.

The copy holds the tracked files (copied, so a trial may change them) and, for every other top-level
entry of the working tree (data directories, virtualenvs), a symbolic link to the original: reading
``data/train.csv`` works; writing through such a link writes the original. The trial runs with this
copy as its working directory; ``GIT_DIR``/``GIT_WORK_TREE`` name the real repository, so the run is
recorded there with the real source commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from gx.paths import RepoPaths


def tracked_files(worktree: Path) -> list[str]:
    """Paths git tracks (git's own listing, so sparse checkouts and submodules are as git sees them)."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=worktree, capture_output=True, check=False)
    if out.returncode != 0:
        return []
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


class ScratchCopies:
    """Makes ``trial-<n>`` copies under one temporary directory, removed by ``close()``."""

    def __init__(self, paths: RepoPaths) -> None:
        if paths.worktree is None:
            from gx.errors import GxError

            raise GxError("gx sweep needs a working tree (this repository is bare)")
        self.worktree = paths.worktree
        self.root = Path(tempfile.mkdtemp(prefix="gx-sweep-"))
        self.files = tracked_files(self.worktree)
        top = {f.split("/", 1)[0] for f in self.files}
        self.linked = [e for e in os.listdir(self.worktree) if e not in top and e != ".git"]

    def make(self, n: int) -> Path:
        target = self.root / f"trial-{n}"
        for rel in self.files:
            src, dst = self.worktree / rel, target / rel
            if not src.is_file() and not src.is_symlink():
                continue  # deleted in the working tree, or a submodule
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst, follow_symlinks=False)
        target.mkdir(parents=True, exist_ok=True)
        for entry in self.linked:
            os.symlink(self.worktree / entry, target / entry)
        return target

    def remove(self, n: int) -> None:
        shutil.rmtree(self.root / f"trial-{n}", ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
