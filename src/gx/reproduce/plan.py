"""What ``gx reproduce`` would run: the recorded command and params (with overrides), on the
recorded source, recorded into the same experiment."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from gx.errors import GxError
from gx.records import RunRecord
from gx.reproduce.arguments import substitute
from gx.tracking.redact import MASK

#: The tag a reproduction carries: the id of the run it reproduces.
REPRODUCES_TAG = "gx.reproduces"


@dataclass
class Plan:
    run_id: str
    experiment: str
    name: str
    command: list[str]
    params: dict[str, Any]
    source: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    workdir: str | None = None  # where the run started, relative to the repository root
    on_command_line: set[str] = field(default_factory=set)  # overridden params substituted in the command

    def describe(self) -> list[str]:
        """The plan, one line per fact, for ``--dry-run`` and before running."""
        src = self.source.get("commit") or "?"
        dirty = f" + uncommitted changes (snapshot {str(self.source['snapshot'])[:12]})" if self.source.get("snapshot") else ""
        lines = [f"run {self.run_id[:8]} of '{self.experiment}'",
                 f"source: commit {str(src)[:12]}{dirty}",
                 f"in: {self.workdir or '.'} (relative to the repository root)",
                 f"command: {shlex.join(self.command)}"]
        lines += [f"param {k} = {v!r}" + (" (override" + (", on the command line)" if k in self.on_command_line else ")")
                                          if k in self.overrides else "") for k, v in self.params.items()]
        return lines


def _python(argv0: str) -> bool:
    return Path(argv0).name.startswith("python")


def _workdir(rec: RunRecord) -> str | None:
    """The recorded working directory (untrusted): a relative path that stays inside the repository."""
    text = rec.source.get("workdir")
    if text is None:
        return None
    path = PurePosixPath(str(text))
    if not isinstance(text, str) or path.is_absolute() or ".." in path.parts or "\\" in text or \
            any(ord(c) < 32 for c in text) or len(text) > 4096:
        raise GxError(f"run {rec.run_id[:8]} records a working directory {str(text)[:80]!r} outside its repository")
    return path.as_posix() if path.parts else None


def make_plan(rec: RunRecord, overrides: dict[str, Any]) -> Plan:
    """The plan to reproduce ``rec``; a run that cannot be re-run is a GxError saying why."""
    if not rec.command:
        raise GxError(f"run {rec.run_id[:8]} recorded no command (it was not started by a script or gx run)")
    if any(MASK in part for part in rec.command):
        raise GxError(f"run {rec.run_id[:8]}'s command held a secret (recorded as {MASK}): it cannot be re-run as recorded")
    unknown = sorted(set(overrides) - set(rec.params))
    if unknown:
        raise GxError(f"run {rec.run_id[:8]} has no param {unknown[0]!r}; its params: {', '.join(rec.params) or 'none'}")
    command = list(rec.command)
    if _python(command[0]) and len(command) > 1 and (command[1] == "-c" or "ipykernel" in command[1]):
        raise GxError(f"run {rec.run_id[:8]} ran from {'python -c' if command[1] == '-c' else 'a notebook'}, "
                      "whose code gx does not record: reproduce runs of scripts (gx run train.py)")
    if _python(command[0]):
        command[0] = sys.executable  # the recorded interpreter may be another machine's
    params = {**rec.params, **overrides}
    command, found = substitute(command, rec.params, overrides)
    name = f"reproduce-{rec.name or rec.run_id[:8]}"[:100]
    return Plan(rec.run_id, rec.experiment, name, command, params, dict(rec.source), dict(overrides),
                _workdir(rec), found)
