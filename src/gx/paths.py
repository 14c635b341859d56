"""Find the repository from the working directory without importing git code.

gx keeps its own files (journals, the index) under ``<git common dir>/gx/`` so that every
worktree of a repository shares them and git itself never sees them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gx.errors import NotARepository


@dataclass(frozen=True)
class RepoPaths:
    worktree: Path | None  # None for a bare repository
    git_dir: Path  # this worktree's git dir
    common_dir: Path  # shared objects and refs

    @property
    def gx_dir(self) -> Path:
        return self.common_dir / "gx"

    @property
    def runs_dir(self) -> Path:
        return self.gx_dir / "runs"

    def has_run_journals(self) -> bool:
        """Whether any run is in progress or died here (the cheap test before loading recovery code)."""
        return self.runs_dir.is_dir() and any(self.runs_dir.iterdir())

    @property
    def open_path(self) -> str:
        """The path to hand to dulwich's Repo()."""
        return str(self.worktree if self.worktree is not None else self.git_dir)


def _looks_like_git_dir(path: Path) -> bool:
    """A repository's git dir, or a linked worktree's private one (objects live in its commondir)."""
    if not (path / "HEAD").is_file():
        return False
    return (path / "commondir").is_file() or ((path / "objects").is_dir() and (path / "refs").is_dir())


def _read_gitfile(path: Path) -> Path:
    text = path.read_text(encoding="utf-8").strip()
    if not text.startswith("gitdir:"):
        raise NotARepository(f"{path} is not a valid .git file")
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (path.parent / target).resolve()


def _common_dir(git_dir: Path) -> Path:
    commondir = git_dir / "commondir"
    if commondir.is_file():
        target = Path(commondir.read_text(encoding="utf-8").strip())
        return target if target.is_absolute() else (git_dir / target).resolve()
    return git_dir


def _worktree_of(git_dir: Path) -> Path | None:
    """The worktree of a git dir named by GIT_DIR (git sets it so for hooks in linked worktrees)."""
    gitdir_file = git_dir / "gitdir"  # a linked worktree's private dir points at its .git file
    if gitdir_file.is_file():
        return Path(gitdir_file.read_text(encoding="utf-8").strip()).resolve().parent
    if git_dir.name == ".git":
        return git_dir.parent
    return None  # bare


#: The repository ``gx.set_tracking_uri(path)`` chose for this process (None: the working directory's).
tracking_root: list[Path | None] = [None]


def find_repo(start: str | os.PathLike[str] | None = None) -> RepoPaths:
    """Locate the enclosing repository (worktree, linked worktree or bare); else NotARepository."""
    if start is None and tracking_root[0] is not None:
        start = tracking_root[0]
    env_dir = os.environ.get("GIT_DIR")
    if env_dir and start is None:
        git_dir = Path(env_dir).resolve()
        if not _looks_like_git_dir(git_dir):
            raise NotARepository(f"GIT_DIR={env_dir} is not a git repository")
        work = os.environ.get("GIT_WORK_TREE")
        return RepoPaths(Path(work).resolve() if work else _worktree_of(git_dir), git_dir, _common_dir(git_dir))
    here = Path(start if start is not None else os.getcwd()).resolve()
    for directory in (here, *here.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir() and _looks_like_git_dir(dot_git):
            return RepoPaths(directory, dot_git, _common_dir(dot_git))
        if dot_git.is_file():
            git_dir = _read_gitfile(dot_git)
            return RepoPaths(directory, git_dir, _common_dir(git_dir))
        if _looks_like_git_dir(directory):
            return RepoPaths(None, directory, _common_dir(directory))
    raise NotARepository(
        f"not a git repository (or any parent up to /): {here}; "
        "run 'git init' first, or cd into your project"
    )
