"""Keep secrets out of the store: command lines, params, environment and output tails."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gx.records import RunRecord

MASK = "***"
_SECRET_WORDS = ("token", "secret", "password", "passwd", "key", "credential")
_SECRET_NAME = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)
#: Values shorter than this are not scrubbed from free text (they would mangle ordinary output).
_MIN_SCRUB_LENGTH = 4
#: The only environment variables a run records: harmless settings that change results.
ENV_ALLOWLIST = (
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONHASHSEED",
    "CONDA_DEFAULT_ENV",
)


def is_secret_name(name: str) -> bool:
    """True for names such as API_TOKEN, --db-password, aws_secret_access_key, my.key."""
    return bool(_SECRET_NAME.search(name))


def allowed_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment variables present, nothing else."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in ENV_ALLOWLIST if k in environ}


def secret_values_from_env(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables whose names look secret: scrubbed wherever they appear."""
    environ = os.environ if environ is None else environ
    return {v for k, v in environ.items() if is_secret_name(k) and len(v) >= _MIN_SCRUB_LENGTH}


def redact_command(argv: Sequence[str]) -> tuple[list[str], set[str]]:
    """Mask values of secret-looking options; returns the safe argv and the values found.

    Handles ``--token=abc``, ``--token abc``, ``-p api_key=abc`` and bare ``password=abc``.
    """
    out: list[str] = []
    found: set[str] = set()
    mask_next = False
    for arg in argv:
        if mask_next:
            found.add(arg)
            out.append(MASK)
            mask_next = False
            continue
        name, sep, value = arg.partition("=")
        if sep and is_secret_name(name):
            if value:
                found.add(value)
            out.append(f"{name}={MASK}")
        elif arg.startswith("-") and not sep and is_secret_name(arg.lstrip("-")):
            out.append(arg)
            mask_next = True
        else:
            out.append(arg)
    return out, found


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in free text (longest first)."""
    for value in sorted({s for s in secrets if len(s) >= _MIN_SCRUB_LENGTH}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    for value in sorted({s for s in secrets if len(s) >= _MIN_SCRUB_LENGTH}, key=len, reverse=True):
        data = data.replace(value.encode("utf-8", "surrogateescape"), MASK.encode())
    return data


def scrub_record(rec: RunRecord) -> None:
    """Mask params and tags whose names look secret, whatever path recorded the run
    (gx's own ``gx.*`` tags, such as ``gx.autolog_key``, hold no secrets)."""
    for mapping in (rec.params, rec.tags):
        for key in list(mapping):
            if key.startswith("gx.") and mapping is rec.tags:
                continue
            if is_secret_name(key) and mapping[key] not in (None, ""):
                mapping[key] = MASK
