"""What gx treats as a secret, and masking it in text: by name, by shape and by environment value.

The rules live at the top level because two layers apply them: a run's command, params and output
(``gx.tracking.redact``) and the code snapshot of a dirty tree (``gx.store.source``). Pure ``re``
over bytes: cheap to import, and every pattern starts from a literal or a small character set and
has bounded repeats, so masking stays linear in the size of the text. The rules are documented in
README.md ("Secrets are masked") and docs/format.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping

MASK = "***"
_MASK = MASK.encode()
#: Names (of options, params, tags, environment variables) whose values are secret.
_SECRET_NAME = re.compile(r"token|secret|passw(?:or)?d|passphrase|key|credential|auth(?!or)|cookie", re.IGNORECASE)
#: Environment values shorter than this are not masked in free text (they would mangle it).
MIN_ENV_VALUE_LENGTH = 4
#: Values found by shape (assignments, headers) must be at least this long: shorter ones are settings.
MIN_SHAPE_VALUE_LENGTH = 6

_PRIVATE_KEY = re.compile(
    rb"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----\r?\n?(.*?)\r?\n?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
#: Credentials with a well-known prefix (GitHub, GitLab, Hugging Face, OpenAI/Anthropic, Slack, AWS,
#: Google). One pattern per prefix: a pattern that starts with a literal is found by a fast scan.
_TOKENS = [re.compile(p) for p in (
    rb"gh[pousr]_[A-Za-z0-9]{36,255}", rb"github_pat_[A-Za-z0-9_]{22,255}", rb"glpat-[A-Za-z0-9_\-]{20,255}",
    rb"hf_[A-Za-z0-9]{30,255}", rb"sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,255}",
    rb"xox[abposr]-[A-Za-z0-9\-]{10,255}", rb"AKIA[0-9A-Z]{16}", rb"AIza[0-9A-Za-z_\-]{35}",
)]
#: ``scheme://user:PASSWORD@host``: the password (not a template such as ``{pw}`` or ``$PW``).
_URL_PASSWORD = re.compile(rb"://[^\s/?#@:'\"<>]{0,256}:([^\s/?#@'\"<>{}()$\[\]]{1,256})@")
#: These run on the lower-cased text (same offsets), so they start with a literal too.
_AUTH_HEADER = re.compile(
    rb"authorization[\"']?[ \t]{0,8}:[ \t]{0,8}[\"']?"
    rb"(?:(bearer|basic|token|digest|negotiate|ntlm|apikey|key)[ \t]{1,8})?([a-z0-9._~+/=\-]{6,4096})"
)
_AUTH_SCHEMES = {b"bearer", b"basic", b"token", b"digest", b"negotiate", b"ntlm", b"apikey", b"key"}
_COOKIE_HEADER = re.compile(rb"cookie[\"']?[ \t]{0,8}:[ \t]{0,8}([^\s;=,'\"{}$<>]{1,256}=[^\r\n'\"{}$<>]{0,4096})")
#: ``NAME=value``, ``NAME: value``, ``NAME = "value"``, ``"name": "value"`` after a name ending in one of
#: these words (``key`` only as api/access/secret/private/auth key); group 1 is the separator.
_VALUE = (rb"([\"']?[ \t]{0,8}[=:][ \t]{0,8})"
          rb"(?:\"([^\"\r\n]{1,512})\"|'([^'\r\n]{1,512})'|(?![=\"'])([^\s\"'`,;&)}\]>]{1,512}))")
_ASSIGNMENTS = [re.compile(word + _VALUE) for word in (b"token", b"secret", b"password", b"passwd", b"passphrase")]
_KEY_ASSIGNMENT = re.compile(b"key" + _VALUE)
_KEY_PREFIX = re.compile(rb"(?<![a-z0-9])(?:api|access|secret|private|auth)[_.\-]?\Z")
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NAME_CHARS = _WORD | frozenset(b"_.-")
_EXPRESSION = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_TEMPLATE_CHARS = re.compile(rb"[\s$%{}<>\[\]()|\\*]")
_DIGIT = re.compile(rb"[0-9]")
_NUMBER = re.compile(rb"[+-]?[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9]+)?")
_SETTINGS = {b"true", b"false", b"yes", b"no", b"on", b"off", b"none", b"null", b"nil", b"undefined"}


def is_secret_name(name: str) -> bool:
    """True for names such as API_TOKEN, --db-password, aws_secret_access_key, --hf-auth, my.key."""
    return bool(_SECRET_NAME.search(name))


def secret_values_from_env(environ: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables whose names look secret: masked wherever they appear."""
    environ = os.environ if environ is None else environ
    return {v for k, v in environ.items() if is_secret_name(k) and _maskable_value(v)}


def _maskable_value(value: str) -> bool:
    raw = value.encode("utf-8", "surrogateescape")
    return len(raw) >= MIN_ENV_VALUE_LENGTH and raw.lower() not in _SETTINGS and not _NUMBER.fullmatch(raw)


def _looks_secret(value: bytes) -> bool:
    """A literal that may authenticate: long enough, no spaces or template characters, not a setting."""
    return (len(value) >= MIN_SHAPE_VALUE_LENGTH and not _TEMPLATE_CHARS.search(value)
            and value.lower() not in _SETTINGS and not _NUMBER.fullmatch(value))



def _starts_word(data: bytes, pos: int) -> bool:
    return pos == 0 or data[pos - 1] not in _WORD


def _ends_word(data: bytes, pos: int) -> bool:
    return pos == len(data) or data[pos] not in _WORD and data[pos] != 0x5F  # "_"


def _assignment_spans(data: bytes, low: bytes, code: bool) -> Iterator[tuple[int, int]]:
    for pattern in (*_ASSIGNMENTS, _KEY_ASSIGNMENT):
        for m in pattern.finditer(low):
            start = m.start()
            if pattern is _KEY_ASSIGNMENT:
                if not _KEY_PREFIX.search(low, max(0, start - 9), start):  # api_key, not sort_key
                    continue
            elif not _starts_word(low, start):
                continue
            group = 2 if m.group(2) is not None else 3 if m.group(3) is not None else 4
            value = data[m.start(group):m.end(group)]
            if not _looks_secret(value):
                continue
            if code and group == 4 and _EXPRESSION.fullmatch(value):
                name = start
                while name > 0 and data[name - 1] in _NAME_CHARS:
                    name -= 1
                env_style = (data[name:m.start(1)].isupper() and m.group(1) == b"="
                             and data[m.end():m.end() + 1] not in (b"(", b"[", b"."))
                if not env_style:
                    continue  # api_key=api_key, token: str, password = args.password: code, not secrets
            yield m.start(group), m.end(group)


def _spans(data: bytes, values: Iterable[str], code: bool) -> Iterator[tuple[int, int]]:
    """(start, end) of every secret in ``data``; they may overlap."""
    for text in values:
        value = text.encode("utf-8", "surrogateescape")
        if len(value) < MIN_ENV_VALUE_LENGTH:
            continue
        at = data.find(value)
        while at >= 0:
            yield at, at + len(value)
            at = data.find(value, at + len(value))
    if b"-----BEGIN " in data:
        yield from (m.span(1) for m in _PRIVATE_KEY.finditer(data) if m.group(1))
    for pattern in _TOKENS:
        for m in pattern.finditer(data):
            token = m.group()
            if _starts_word(data, m.start()) and _ends_word(data, m.end()) and (
                    not token.startswith(b"sk-") or _DIGIT.search(token)):  # "sk-learn-..." is a word
                yield m.span()
    if b"://" in data:
        yield from (m.span(1) for m in _URL_PASSWORD.finditer(data))
    low = data.lower()  # ASCII only: the offsets stay the same
    for m in _AUTH_HEADER.finditer(low):
        if _starts_word(low, m.start()) and (m.group(1) is not None or m.group(2) not in _AUTH_SCHEMES):
            yield m.span(2)  # "Authorization: Bearer " + token: the scheme alone is no secret
    yield from (m.span(1) for m in _COOKIE_HEADER.finditer(low) if _starts_word(low, m.start()))
    yield from _assignment_spans(data, low, code)


def mask_bytes(data: bytes, values: Iterable[str] = (), *, code: bool = False, found: set[str] | None = None) -> bytes:
    """``data`` with every secret replaced by ``***``: each of ``values`` (exact), private key blocks,
    well-known token shapes, URL passwords, Authorization/Cookie header values and literal values
    assigned to secret names. ``code=True`` (a source file) keeps expressions such as
    ``api_key=api_key`` or ``token: str``: only literals are masked there. Masked values are added to
    ``found``."""
    merged: list[list[int]] = []
    for start, end in sorted(_spans(data, values, code)):
        if merged and start <= merged[-1][1]:  # overlapping or touching: one mask
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return data
    out, done = [], 0
    for start, end in merged:
        out += (data[done:start], _MASK)
        if found is not None:
            found.add(data[start:end].decode("utf-8", "surrogateescape"))
        done = end
    out.append(data[done:])
    return b"".join(out)


def mask_text(text: str, values: Iterable[str] = (), *, found: set[str] | None = None) -> str:
    """``mask_bytes`` for a string (command-line arguments, params, tags, error text)."""
    raw = text.encode("utf-8", "surrogateescape")
    masked = mask_bytes(raw, values, found=found)
    return text if masked == raw else masked.decode("utf-8", "surrogateescape")
