"""Registry tag names in GTO's format: the grammar, validation of model and alias names, parse/format.

Pure Python (no dulwich) so names are checked before any git code loads. gx owns exactly these
forms under ``refs/tags/`` (docs/format.md): a name that parses here is the only kind gx writes.

=============================  ==============================================  ===========
``<model>@v<N>.0.0``           version N registered (GTO registration)          gx, GTO
``<model>@v<N>.0.0!``          version N deregistered                           gx, GTO
``<model>#<alias>#<K>``        the K-th event of the model: alias assigned      gx, GTO
``<model>#<alias>!#<K>``       the K-th event: alias unassigned                 gx, GTO
``<model>@deprecated#<K>``     the K-th event: model deprecated                 gx, GTO
``<model>@meta``               the model's description and tags (gx only)       gx
=============================  ==============================================  ===========
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gx.errors import BadName

if TYPE_CHECKING:
    from gx.paths import RepoPaths

TAGS_PREFIX = "refs/tags/"
REGISTER, DEREGISTER, ASSIGN, UNASSIGN, DEPRECATE, META = (
    "register", "deregister", "assign", "unassign", "deprecate", "meta")
#: Kinds that carry the model's event counter ``#K``.
COUNTED = (ASSIGN, UNASSIGN, DEPRECATE)

MAX_MODEL_NAME = 100
MAX_ALIAS = 64
MAX_VERSION = 10**9

_PART = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_MODEL = rf"{_PART}(?:/{_PART})*"
_MODEL_RE = re.compile(rf"{_MODEL}\Z")
_ALIAS_RE = re.compile(rf"{_PART}\Z")
_TAG_RE = re.compile(
    rf"(?P<model>{_MODEL})(?:"
    rf"@v(?P<version>[1-9][0-9]{{0,8}})\.0\.0(?P<dereg>!)?(?:#(?P<vcounter>[1-9][0-9]{{0,8}}))?"
    rf"|#(?P<alias>{_PART})(?P<unassign>!)?(?:#(?P<counter>[1-9][0-9]{{0,8}}))?"
    rf"|@deprecated(?:#(?P<dcounter>[1-9][0-9]{{0,8}}))?"
    rf"|@(?P<meta>meta))\Z"
)
#: GTO tag shapes gx does not read: another semver than vN.0.0, or GTO's ``dir=name`` artifacts.
_FOREIGN_RE = re.compile(r"[^@#]*(?:@v[0-9]+\.[0-9]+\.[0-9]+\S*|#\S+)\Z")

MODEL_RULE = (
    "a model name is one or more '/'-separated parts of letters, digits, '_' and '-', each starting and "
    f"ending with a letter or digit, at most {MAX_MODEL_NAME} characters"
)
ALIAS_RULE = (
    "an alias is letters, digits, '_' and '-', starting and ending with a letter or digit, at most "
    f"{MAX_ALIAS} characters, and neither 'latest' nor 'v' followed by digits"
)


@dataclass(frozen=True)
class TagName:
    """One parsed registry tag name."""

    kind: str
    model: str
    version: int | None = None
    alias: str | None = None
    counter: int | None = None


def validate_model_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > MAX_MODEL_NAME or not _MODEL_RE.match(name):
        raise BadName(f"bad model name {str(name)[:120]!r}: {MODEL_RULE}")
    return name


def validate_alias(alias: object) -> str:
    if (not isinstance(alias, str) or len(alias) > MAX_ALIAS or not _ALIAS_RE.match(alias)
            or alias.lower() == "latest" or re.fullmatch(r"[vV][0-9]+", alias)):
        raise BadName(f"bad alias {str(alias)[:80]!r}: {ALIAS_RULE}")
    return alias


def validate_version(version: object) -> int:
    """A version number as MLflow spells it (``3``, ``"3"``); gx's tag says ``v3.0.0``."""
    text = str(version).strip()
    if isinstance(version, bool) or not re.fullmatch(r"[1-9][0-9]{0,8}", text):
        raise BadName(f"bad model version {str(version)[:40]!r}: versions are whole numbers from 1")
    return int(text)


def parse_tag_name(name: str) -> TagName | None:
    """The registry event a tag name records, or None for any other tag."""
    m = _TAG_RE.match(name)
    if m is None or len(m.group("model")) > MAX_MODEL_NAME:
        return None
    model = m.group("model")
    if m.group("version"):
        counter = int(m.group("vcounter")) if m.group("vcounter") else None
        return TagName(DEREGISTER if m.group("dereg") else REGISTER, model, version=int(m.group("version")),
                       counter=counter)
    if m.group("alias"):
        alias = m.group("alias")
        counter = int(m.group("counter")) if m.group("counter") else None
        if len(alias) > MAX_ALIAS:
            return None
        return TagName(UNASSIGN if m.group("unassign") else ASSIGN, model, alias=alias, counter=counter)
    if m.group("meta"):
        return TagName(META, model)
    counter = int(m.group("dcounter")) if m.group("dcounter") else None
    return TagName(DEPRECATE, model, counter=counter)


def is_foreign_registry_tag(name: str) -> bool:
    """A tag GTO would read but gx does not (say ``m@v1.2.3``): worth a warning, not an error."""
    return parse_tag_name(name) is None and bool(_FOREIGN_RE.match(name))


def format_tag_name(tag: TagName) -> str:
    """The tag name for an event; validates every part so nothing leaves gx's forms."""
    model = validate_model_name(tag.model)
    if tag.kind in (REGISTER, DEREGISTER):
        version = validate_version(tag.version)
        return f"{model}@v{version}.0.0" + ("!" if tag.kind == DEREGISTER else "")
    if tag.kind in COUNTED:
        counter = validate_version(tag.counter)
        if tag.kind == DEPRECATE:
            return f"{model}@deprecated#{counter}"
        alias = validate_alias(tag.alias)
        return f"{model}#{alias}" + ("!" if tag.kind == UNASSIGN else "") + f"#{counter}"
    if tag.kind == META:
        return f"{model}@meta"
    raise ValueError(f"unknown registry tag kind {tag.kind!r}")


def model_tag_prefixes(model: str) -> tuple[str, str]:
    """Every tag of ``model`` starts with one of these (``m@`` or ``m#``)."""
    return f"{model}@", f"{model}#"


_TAG_REFS = TAGS_PREFIX.encode()


def registry_refs(refs: dict[bytes, bytes | None]) -> dict[str, str]:
    """``{tag name: object id}`` of the registry tags among advertised refs."""
    out = {}
    for ref, sha in refs.items():
        if ref.startswith(_TAG_REFS) and not ref.endswith(b"^{}") and sha and sha != b"0" * 40:
            name = ref[len(_TAG_REFS):].decode("utf-8", "replace")
            if parse_tag_name(name) is not None:
                out[name] = sha.decode()
    return out


def list_tag_refs(paths: RepoPaths) -> dict[str, str]:
    """``{tag name: object id}`` from packed-refs and loose refs, in pure Python (no git code loaded)."""
    out: dict[str, str] = {}
    packed = paths.common_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
            sha, _, ref = line.partition(" ")
            if ref.startswith(TAGS_PREFIX) and len(sha) == 40:
                out[ref[len(TAGS_PREFIX):]] = sha
    stack = [(str(paths.common_dir / "refs" / "tags"), "")]
    while stack:  # os.scandir and plain strings: thousands of loose tags cost milliseconds, not pathlib's seconds
        directory, prefix = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif not entry.name.endswith(".lock"):
                try:
                    with open(entry.path, "rb") as fh:
                        sha = fh.read(41).strip().decode("ascii")
                except (OSError, UnicodeDecodeError):
                    continue
                if len(sha) == 40:
                    out[prefix + entry.name] = sha
    return out


def has_registry_tags(paths: RepoPaths) -> bool:
    """Whether a clone holds any registry tag (else a push has none to send or reconcile)."""
    return any(parse_tag_name(n) is not None for n in list_tag_refs(paths))
