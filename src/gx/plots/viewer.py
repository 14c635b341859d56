"""Open a saved plot in the system's viewer, when there is one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from gx.errors import BadFile
from gx.plots.common import PathLike


def open_in_viewer(path: PathLike) -> bool:
    """Open ``path`` with the system viewer; False when there is none (or no display)."""
    p = Path(os.fspath(path))
    if not p.exists():
        raise BadFile(f"cannot open {p}: the file does not exist")
    startfile = getattr(os, "startfile", None)
    if sys.platform.startswith("win") and startfile is not None:
        try:
            startfile(str(p))
        except OSError:
            return False
        return True
    if sys.platform == "darwin":
        command = shutil.which("open")
    else:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return False
        command = shutil.which("xdg-open")
    if command is None:
        return False
    try:
        subprocess.Popen(
            [command, str(p)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    return True
