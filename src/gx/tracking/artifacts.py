"""Files logged as artifacts (``log_artifact``/``log_artifacts``): bounded reads, large files streamed
into Git LFS, and symbolic links, which are never followed.

A file over the LFS threshold (``gx.lfs.config``) is copied, hashed as it streams, into the local LFS
store at the logging call; the run stages its pointer file, so the run's tree holds the pointer and
the content is never in memory.

A symbolic link is stored as a link — a tree entry of mode 120000 holding its target text, which is
never read through — when its target resolves inside the repository's working tree (not into
``.git``). A link leading anywhere else could hand any file the user can read (``~/.ssh/id_rsa``) to
everyone the experiment is pushed to: ``log_artifact`` refuses it with a one-line error, and
``log_artifacts`` skips it with a warning and logs the rest of the directory (a directory of outputs
often holds such links, to caches or datasets; the ordinary files in it should not be lost for them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gx import limits
from gx.errors import BadFile, NotARepository
from gx.lfs import config as lfs_config
from gx.lfs.objects import store_file, store_stream
from gx.paths import RepoPaths, find_repo
from gx.store.encode import check_lfs_path
from gx.values import check_artifact_path, read_artifact

if TYPE_CHECKING:
    from gx.tracking.live import LiveRun


class OutsideLink(BadFile):
    """A symbolic link whose target is outside the repository's working tree (or inside ``.git``)."""


def log_file(live: LiveRun, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log one file (or one symbolic link, as a link) under ``artifact_path``."""
    path = Path(local_path)
    name = f"{artifact_path.strip('/')}/{path.name}" if artifact_path else path.name
    if path.is_symlink() and path.exists():
        check_artifact_path(name)
        live.log_artifact_link(name, link_target(path, _repo_paths(live)))
        return
    if not path.is_file():
        raise BadFile(f"cannot log artifact {str(local_path)!r}: no such file")
    check_artifact_path(name)
    _log_regular(live, name, path, _check_size(live, name, path))


def log_dir(live: LiveRun, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log every file below a directory; every path and size is checked before anything is written.
    Links are stored as links when they stay in the repository, else skipped with a warning."""
    root = Path(local_dir)
    if not root.is_dir():
        raise BadFile(f"cannot log artifacts from {str(local_dir)!r}: no such directory")
    prefix = f"{artifact_path.strip('/')}/" if artifact_path else ""
    paths = _repo_paths(live)
    files: list[tuple[str, Path]] = []
    links: list[tuple[str, str]] = []
    for here, dirnames, filenames in os.walk(root):  # never descends into a linked directory
        for entry in sorted(dirnames + filenames):
            path = Path(here, entry)
            name = prefix + path.relative_to(root).as_posix()
            if path.is_symlink():
                try:
                    links.append((check_artifact_path(name), link_target(path, paths)))
                except OutsideLink as exc:
                    print(f"gx: warning: {exc}; skipped", file=sys.stderr)
            elif entry in filenames and path.is_file():
                files.append((check_artifact_path(name), path))
    sizes = [_check_size(live, name, path) for name, path in files]
    for (name, path), size in zip(files, sizes):
        _log_regular(live, name, path, size)
    for name, target in links:
        live.log_artifact_link(name, target)


def lfs_settings(live: LiveRun) -> lfs_config.LfsSettings:
    """The LFS threshold and cap of the run's repository, read once per run."""
    if live.lfs is None:
        paths = _repo_paths(live)
        live.lfs = lfs_config.settings(paths.worktree if paths is not None else None)
    return live.lfs


def _check_size(live: LiveRun, name: str, path: Path) -> int:
    """The size of a regular file to log as ``name``, refused over the large-file cap (nothing read)."""
    st = limits.stat_regular_file(path, "artifact")
    lfs_config.check_cap(name, st.st_size, lfs_settings(live).max_bytes)
    return st.st_size


def _log_regular(live: LiveRun, name: str, path: Path, size: int) -> None:
    if size <= lfs_settings(live).threshold:
        live.log_artifact_bytes(name, read_artifact(path, name))
        return
    pointer = store_file(_lfs_common_dir(live, name), path)
    lfs_config.check_cap(name, pointer.size, lfs_settings(live).max_bytes)  # it may have grown meanwhile
    live.log_artifact_pointer(name, pointer.encode())


def pointer_if_large(live: LiveRun, name: str, content: bytes) -> bytes | None:
    """For content over the LFS threshold (``log_text``, ``log_dict``, a model file): store it in the
    LFS store and return its pointer file; None for content that stays an ordinary blob."""
    if len(content) <= lfs_settings(live).threshold:
        return None
    lfs_config.check_cap(name, len(content), lfs_settings(live).max_bytes)
    return store_stream(_lfs_common_dir(live, name), iter((content,))).encode()


def _lfs_common_dir(live: LiveRun, name: str) -> Path:
    check_lfs_path(name)
    paths = _repo_paths(live)
    if paths is None:
        raise BadFile(f"cannot log large artifact {name!r}: not inside a git repository")
    return paths.common_dir


def link_target(link: Path, paths: RepoPaths | None) -> str:
    """The target text of a symbolic link whose target is inside the working tree; OutsideLink else."""
    target = os.readlink(link)
    resolved = Path(os.path.realpath(link))
    if paths is None or paths.worktree is None or not _within(resolved, paths.worktree):
        where = "outside the repository"
    elif (_within(resolved, paths.git_dir) or _within(resolved, paths.common_dir)
          or any(part.lower() == ".git" for part in target.replace("\\", "/").split("/"))):
        where = "inside .git"
    else:
        return target
    raise OutsideLink(
        f"artifact {str(link)!r} is a symbolic link to {str(resolved)!r}, {where}; gx never follows "
        "links out of the working tree (copy the file into the repository to log it)"
    )


def _within(path: Path, directory: Path) -> bool:
    directory = Path(os.path.realpath(directory))
    return path == directory or directory in path.parents


def _repo_paths(live: LiveRun) -> RepoPaths | None:
    if live.paths is not None:
        return live.paths
    try:
        return find_repo()
    except NotARepository:
        return None
