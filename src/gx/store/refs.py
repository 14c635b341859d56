"""Experiment ref names: the constants, the validation rule, and parse/format.

Pure Python (no dulwich) so the fluent API can validate names without loading git code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from gx.errors import BadName
from gx.limits import MAX_EXPERIMENT_NAME_LENGTH

PREFIX = "refs/experiments/"
DEFAULT_EXPERIMENT = "default"

_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\Z")

NAME_RULE = (
    f"an experiment name is at most {MAX_EXPERIMENT_NAME_LENGTH} characters: one or more '/'-separated parts "
    "of letters, digits, '.', '_' and '-'; no part may start with '.' or '-', end with '.lock' or '.', "
    "or contain '..'"
)


def tracking_prefix(remote: str) -> str:
    """Where a remote's copy of the experiments lives locally (``refs/remotes/<remote>/experiments/``)."""
    return f"refs/remotes/{remote}/{PREFIX[len('refs/'):]}"


def validate_experiment(name: object) -> str:
    """Return ``name`` if it is a valid experiment name, else raise BadName saying the rule. The
    name becomes a ref file on every clone, so it stays short and plain ASCII on every platform."""
    if not isinstance(name, str) or not name:
        raise BadName(f"bad experiment name {name!r}: {NAME_RULE}")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise BadName(f"bad experiment name {name[:40]!r}... ({len(name)} characters): {NAME_RULE}")
    for part in name.split("/"):
        if (
            not _COMPONENT.match(part)
            or part.endswith(".lock")
            or part.endswith(".")
            or ".." in part
        ):
            raise BadName(f"bad experiment name {name!r}: {NAME_RULE}")
    return name


def experiment_ref(name: str) -> bytes:
    """The ref that holds an experiment's history."""
    return (PREFIX + validate_experiment(name)).encode("ascii")


def experiment_from_ref(ref: bytes | str) -> str | None:
    """The experiment named by a ref under refs/experiments/, or None for any other ref."""
    if isinstance(ref, bytes):
        try:
            ref = ref.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not ref.startswith(PREFIX):
        return None
    name = ref[len(PREFIX) :]
    try:
        return validate_experiment(name)
    except BadName:
        return None


def local_experiment_names(common_dir: Path) -> set[str]:
    """Experiments with a local ref, read from loose refs and packed-refs without git code."""
    names: set[str] = set()
    root = common_dir / "refs" / "experiments"
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file():
                name = experiment_from_ref(PREFIX + path.relative_to(root).as_posix())
                if name is not None:
                    names.add(name)
    packed = common_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1].startswith(PREFIX):
                name = experiment_from_ref(parts[1])
                if name is not None:
                    names.add(name)
    return names


def check_no_clash(experiment: str, existing: Iterable[str]) -> None:
    """Refuse a new experiment whose ref would clash with an existing one ('a' vs 'a/b')."""
    for other in existing:
        if other != experiment and (other.startswith(experiment + "/") or experiment.startswith(other + "/")):
            raise BadName(
                f"experiment {experiment!r} clashes with existing experiment {other!r}: one name cannot be "
                "both an experiment and a folder of experiments (like 'a' and 'a/b'); choose another name"
            )
