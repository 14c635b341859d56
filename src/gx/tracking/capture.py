"""What a run captures about its environment by itself: host, Python, platform, packages."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import threading
from pathlib import Path
from typing import Any

from gx.tracking import journal


def system_info(cache_dir: Path | None = None) -> dict[str, Any]:
    from gx._version import __version__

    return {
        "host": _hostname(),
        "python": platform.python_version(),
        "platform": platform_name(cache_dir),
        "gx_version": __version__,
    }


def _hostname() -> str:
    """``socket.gethostname()``, without loading the socket module where ``os.uname`` says the same."""
    try:
        return os.uname().nodename
    except AttributeError:  # Windows
        import socket

        return socket.gethostname()


def working_directory(worktree: Path | None) -> str | None:
    """Where the run started, relative to the repository's root (posix), for ``gx reproduce``; None at
    the root itself or outside the working tree."""
    with contextlib.suppress(OSError, ValueError):
        relative = Path(os.getcwd()).resolve().relative_to(worktree.resolve()) if worktree else None
        return relative.as_posix() if relative is not None and relative.parts else None
    return None


def platform_name(cache_dir: Path | None = None) -> str:
    """``platform.platform()``, kept in ``cache_dir`` with the kernel and interpreter it was computed
    for: computing it runs ``uname -p`` and reads the interpreter's binary (10-30 ms before a run)."""
    if cache_dir is None:
        return platform.platform()
    try:
        binary = os.stat(sys.executable)
        key = repr((*os.uname(), sys.executable, binary.st_mtime_ns, binary.st_size))
    except (OSError, AttributeError):
        return platform.platform()
    cache = cache_dir / "platform.txt"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        cached_key, _, name = cache.read_text(encoding="utf-8").partition("\n")
        if cached_key == key and name:
            return name
    name = platform.platform()
    _write_cache(cache, f"{key}\n{name}")
    return name


def _write_cache(cache: Path, text: str) -> None:
    """Write a cache file whole or not at all (a reader never sees half of it)."""
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cache)


_packages_cache: list[str] = []


def _environment_key() -> str:
    """Changes whenever a package is installed or removed (site dirs' mtimes change). The working
    directory counts by the distributions it holds, not its mtime: it changes with every file a
    script writes, and each ``gx sweep`` trial runs in a new copy of it (a 140 ms rescan a trial)."""
    import hashlib

    parts = [sys.executable]
    cwd = os.getcwd()
    for entry in sys.path:
        with contextlib.suppress(OSError):
            if os.path.abspath(entry or ".") == cwd:
                parts.append("cwd:" + ",".join(sorted(n for n in os.listdir(cwd) if n.endswith(("-info", ".egg-link")))))
            else:
                parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def installed_packages(cache_dir: Path | None = None) -> list[str]:
    """The installed distributions as ``name==version``, sorted.

    Scanning metadata takes ~50 ms, so the list is kept per process and on disk under
    ``.git/gx/cache/`` keyed by the environment (``gx run`` pays it once per environment).
    """
    if _packages_cache:
        return _packages_cache
    cache = cache_dir / f"packages-{_environment_key()}.txt" if cache_dir else None
    if cache is not None and cache.is_file():
        _packages_cache.extend(cache.read_text(encoding="utf-8").splitlines())
        return _packages_cache
    from importlib import metadata

    names = {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]}
    _packages_cache.extend(sorted(names, key=str.lower))
    if cache is not None:
        _write_cache(cache, "\n".join(_packages_cache))
    return _packages_cache


def write_packages(run_dir: Path) -> None:
    """Record the installed packages into the run dir (called from a background thread)."""
    text = "\n".join(installed_packages(run_dir.parent.parent / "cache")) + "\n"
    with contextlib.suppress(OSError):  # the run may have ended and its dir gone
        (run_dir / journal.PACKAGES).write_text(text, encoding="utf-8")


def start_packages_thread(run_dir: Path) -> threading.Thread:
    thread = threading.Thread(target=write_packages, args=(run_dir,), name="gx-packages", daemon=True)
    thread.start()
    return thread
