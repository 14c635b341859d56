"""Keep secrets out of a run: its command line, params, tags, error text and output tails.

What counts as a secret (names, shapes, environment values) is ``gx.masking``; this module applies
it to the parts of a run, plus the rules that only make sense on a command line (an option's value
is the next argument).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from gx.masking import MASK, is_secret_name, mask_bytes, mask_text, secret_values_from_env

if TYPE_CHECKING:
    from gx.records import RunRecord

__all__ = ["MASK", "is_secret_name", "secret_values_from_env", "allowed_env", "redact_command", "scrub_text",
           "scrub_bytes", "scrub_record"]

#: Short options whose next argument is a secret (``-k KEY``): short flags mean different things to
#: different tools, so only this one, whose common meaning is a key, is taken as secret.
SHORT_SECRET_FLAGS = ("-k",)
#: Options whose value is ``user:password`` (curl, wget): the part after the first colon is masked.
USER_FLAGS = ("-u", "--user", "--proxy-user")
#: The only environment variables a run records: harmless settings that change results.
ENV_ALLOWLIST = (
    "CUDA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONHASHSEED",
    "CONDA_DEFAULT_ENV",
)


def allowed_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment variables present, nothing else."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in ENV_ALLOWLIST if k in environ}


def _mask_user(value: str, found: set[str]) -> str:
    user, colon, password = value.partition(":")
    if not colon or not password:
        return value
    found.add(password)
    return f"{user}:{MASK}"


def redact_command(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> tuple[list[str], set[str]]:
    """Mask the secrets of a command line; returns the safe argv and the values masked.

    By option: the value of an option named like a secret (``--token abc``, ``--api-key=abc``,
    ``--hf-auth abc``, ``-p db_password=abc``, bare ``password=abc``), of ``-k``, and the password of
    ``-u``/``--user user:password``. By value, in every argument: whatever ``gx.masking`` finds
    (URL passwords, Authorization/Cookie headers, known token shapes, secret-named environment
    variables' values).
    """
    values = secret_values_from_env(environ)
    out: list[str] = []
    found: set[str] = set()
    pending: str | None = None  # "secret" or "user": what the previous option says this argument is
    for arg in argv:
        if pending == "secret":
            found.add(arg)
            out.append(MASK)
            pending = None
            continue
        if pending == "user":
            arg, pending = _mask_user(arg, found), None
        name, sep, value = arg.partition("=")
        if sep and is_secret_name(name):
            if value:
                found.add(value)
            arg = f"{name}={MASK}"
        elif sep and name in USER_FLAGS:
            arg = f"{name}={_mask_user(value, found)}"
        elif arg.startswith("-") and not sep and (is_secret_name(arg.lstrip("-")) or arg in SHORT_SECRET_FLAGS):
            pending = "secret"
        elif arg in USER_FLAGS:
            pending = "user"
        out.append(mask_text(arg, values, found=found))
    return out, found


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text with the given values and every secret ``gx.masking`` finds masked."""
    return mask_text(text, secrets)


def scrub_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    """``scrub_text`` for output tails and other bytes."""
    return mask_bytes(data, secrets)


def scrub_record(rec: RunRecord, environ: Mapping[str, str] | None = None) -> None:
    """Mask the secrets of a run, whatever path recorded it: params and tags named like a secret
    (gx's own ``gx.*`` tags hold none), and secrets by value in every string a run stores besides
    its code and artifacts — name, command, params, tags, error text, output tails and inputs' sources."""
    values = secret_values_from_env(environ)
    for mapping in (rec.params, rec.tags):
        for key, value in list(mapping.items()):
            if mapping is rec.tags and key.startswith("gx."):
                continue
            if is_secret_name(key) and value not in (None, "") and not isinstance(value, bool):
                mapping[key] = MASK
            elif isinstance(value, str):
                mapping[key] = mask_text(value, values)
    if rec.name:
        rec.name = mask_text(rec.name, values)
    if rec.command:
        rec.command = redact_command(rec.command, environ)[0]
    if rec.error:
        rec.error = mask_text(rec.error, values)
    if rec.stdout_tail:
        rec.stdout_tail = mask_bytes(rec.stdout_tail, values)
    if rec.stderr_tail:
        rec.stderr_tail = mask_bytes(rec.stderr_tail, values)
    for inp in rec.inputs:  # a dataset's source may be a URL with a password or a signed token
        inp.name, inp.source = mask_text(inp.name, values), mask_text(inp.source, values)
        inp.tags = {k: MASK if is_secret_name(k) and v else mask_text(v, values) for k, v in inp.tags.items()}
        if inp.file is not None:
            inp.file.path = mask_text(inp.file.path, values)
