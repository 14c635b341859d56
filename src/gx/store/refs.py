"""Experiment ref names: the constants, the validation rule, and parse/format.

Pure Python (no dulwich) so the fluent API can validate names without loading git code.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from gx.errors import BadName, UnknownExperiment
from gx.limits import MAX_EXPERIMENT_NAME_LENGTH

PREFIX = "refs/experiments/"
DEFAULT_EXPERIMENT = "default"

_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*\Z")
_KEPT = frozenset(string.ascii_letters + string.digits + "_-")
#: An encoded name is one ref component, hence one file name: well below 255 bytes everywhere.
MAX_ENCODED_LENGTH = 240

NAME_RULE = (
    f"an experiment name is at most {MAX_EXPERIMENT_NAME_LENGTH} characters, none of them a control character "
    "(tab, newline, ...); any other text works"
)


def tracking_prefix(remote: str) -> str:
    """Where a remote's copy of the experiments lives locally (``refs/remotes/<remote>/experiments/``)."""
    return f"refs/remotes/{remote}/{PREFIX[len('refs/'):]}"


def _plain(name: str) -> bool:
    """Whether ``name`` is its own ref path: '/'-separated parts of ASCII letters, digits, '.', '_'
    and '-', none starting with '.' or '-', ending with '.lock' or '.', or holding '..'."""
    return all(
        _COMPONENT.match(part) and not part.endswith(".lock") and not part.endswith(".") and ".." not in part
        for part in name.split("/")
    )


def validate_experiment(name: object) -> str:
    """Return ``name`` if it can name an experiment, else raise BadName saying the rule. Any text
    MLflow accepts works (spaces, accents, punctuation): names that are not plain ref paths are
    stored percent-encoded (``ref_path``), and every name stays short enough for a ref file."""
    if not isinstance(name, str) or not name:
        raise BadName(f"bad experiment name {name!r}: {NAME_RULE}")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise BadName(f"bad experiment name {name[:40]!r}... ({len(name)} characters): {NAME_RULE}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        raise BadName(f"bad experiment name {name!r}: control characters cannot be shown; {NAME_RULE}")
    if not _plain(name) and len(_encode(name)) > MAX_ENCODED_LENGTH:
        raise BadName(f"bad experiment name {name[:40]!r}: too long once encoded for a ref "
                      f"(each character that is not an ASCII letter, digit, '_' or '-' takes 3 to 12); {NAME_RULE}")
    return name


def _encode(name: str) -> str:
    # '%' marks an encoded name: a plain name never holds it, so decoding is unambiguous
    return "".join(
        chr(b) if chr(b) in _KEPT and not (i == 0 and chr(b) == "-") else f"%{b:02X}"
        for i, b in enumerate(name.encode("utf-8"))
    )


def ref_path(name: str) -> str:
    """The experiment's path under refs/experiments/: a plain name as it is, any other name
    percent-encoded in one component (UTF-8 bytes other than ASCII letters, digits, '_' and a
    non-leading '-' become ``%XX``), which passes ``git check-ref-format`` and decodes back."""
    validate_experiment(name)
    return name if _plain(name) else _encode(name)


def experiment_ref(name: str) -> bytes:
    """The ref that holds an experiment's history."""
    return (PREFIX + ref_path(name)).encode("ascii")


#: Plain experiment names older gx accepted (up to 250 characters) are still read; new ones stop at 100.
MAX_READ_NAME_LENGTH = 250


def experiments_in(refs: object) -> dict[str, bytes]:
    """Every experiment with its tip commit id, from a dulwich refs container, sorted by name."""
    found = refs.as_dict(PREFIX.rstrip("/").encode())  # type: ignore[attr-defined]
    out = {}
    for sub, sha in found.items():
        name = experiment_from_ref(PREFIX.encode() + sub)
        if name is not None:
            out[name] = sha
    return dict(sorted(out.items()))


def wanted_experiments(names: Iterable[str] | None) -> set[str] | None:
    """The experiments a command names, each validated; None when it names none (all of them)."""
    return {validate_experiment(n) for n in names} if names else None


def pick_experiments(tips: dict[str, bytes], wanted: set[str] | None) -> dict[str, bytes]:
    """``tips`` limited to ``wanted`` (all when None), by name; UnknownExperiment for one not there."""
    if wanted is None:
        return tips
    missing = sorted(wanted - set(tips))
    if missing:
        raise UnknownExperiment(f"no local experiment named {missing[0]!r}; see 'gx experiments'")
    return {name: tips[name] for name in sorted(wanted)}


def experiment_from_ref(ref: bytes | str) -> str | None:
    """The experiment named by a ref under refs/experiments/, or None for any other ref (or one
    that is not the canonical encoding of a name: one name, one ref)."""
    if isinstance(ref, bytes):
        try:
            ref = ref.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not ref.startswith(PREFIX):
        return None
    path = ref[len(PREFIX) :]
    if "%" not in path:  # plain names of up to 250 characters, as older gx wrote them, still read
        return path if path and len(path) <= MAX_READ_NAME_LENGTH and _plain(path) else None
    try:
        name = unquote(path, errors="strict")
        return name if ref_path(name) == path else None
    except (BadName, UnicodeDecodeError):
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
    mine = ref_path(experiment)
    for other in existing:
        theirs = ref_path(other)
        if theirs != mine and (theirs.startswith(mine + "/") or mine.startswith(theirs + "/")):
            raise BadName(
                f"experiment {experiment!r} clashes with existing experiment {other!r}: one name cannot be "
                "both an experiment and a folder of experiments (like 'a' and 'a/b'); choose another name"
            )
