"""Checks on everything an LFS server (or ``git-lfs-authenticate``) answers: bounded JSON, the types
the batch API specifies, http(s) hrefs only, header names and values that cannot smuggle a second
header, and objects that are exactly the ones asked for, at the sizes asked for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

from gx.errors import GxError
from gx.lfs.pointer import Pointer
from gx.limits import MAX_LFS_ACTION_HEADERS, MAX_LFS_HREF_LENGTH, MAX_LFS_JSON_BYTES

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
_HREF = re.compile(r"https?://[!-~]+", re.IGNORECASE)  # printable ASCII, as a request line needs
_HEADER_VALUE = re.compile(r"[ -~\t]*")
_OID = re.compile(r"[0-9a-f]{64}")


class BadAnswer(GxError):
    """An LFS server's answer broke the protocol; nothing it named was used."""


@dataclass(frozen=True)
class Action:
    """Where to send one object's bytes (``href``) and the headers the server asked for."""

    href: str
    headers: dict[str, str]


@dataclass(frozen=True)
class BatchItem:
    """The server's answer for one object: its actions (none: nothing to do) or its error."""

    pointer: Pointer
    actions: dict[str, Action]
    error: tuple[int, str] | None
    authenticated: bool


def read_json(body: BinaryIO, where: str) -> object:
    """A JSON document of at most ``MAX_LFS_JSON_BYTES`` from ``body``."""
    data = body.read(MAX_LFS_JSON_BYTES + 1)
    if len(data) > MAX_LFS_JSON_BYTES:
        raise BadAnswer(f"{where} answered more than {MAX_LFS_JSON_BYTES:,} bytes of JSON; refused")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise BadAnswer(f"{where} did not answer JSON; is it an LFS server?") from None


def printable(text: object, limit: int = 200) -> str:
    """A server-supplied message made safe for one line of the terminal."""
    clean = "".join(c if c.isprintable() else " " for c in str(text))
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def checked_action(value: object, where: str, href_required: bool = True) -> tuple[str | None, dict[str, str]]:
    """An action object's ``href`` (http or https only) and ``header`` (string to string)."""
    if not isinstance(value, dict):
        raise BadAnswer(f"{where} sent an action that is not an object")
    href = value.get("href")
    if href is None and not href_required:
        pass
    elif not isinstance(href, str) or len(href) > MAX_LFS_HREF_LENGTH or not _valid_href(href):
        raise BadAnswer(f"{where} sent an href that is not an http(s) URL: {printable(href, 80)}")
    raw = value.get("header", {})
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or len(raw) > MAX_LFS_ACTION_HEADERS:
        raise BadAnswer(f"{where} sent headers that are not a small object of strings")
    headers: dict[str, str] = {}
    for key, text in raw.items():
        if (not isinstance(key, str) or not _TOKEN.fullmatch(key) or not isinstance(text, str)
                or len(text) > MAX_LFS_HREF_LENGTH or not _HEADER_VALUE.fullmatch(text)):
            raise BadAnswer(f"{where} sent a malformed header {printable(key, 40)!r}")
        headers[key] = text
    return href, headers


def _valid_href(href: str) -> bool:
    if not _HREF.fullmatch(href):
        return False
    try:
        parts = urlsplit(href)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return bool(parts.hostname)


def checked_batch(answer: object, where: str, asked: dict[str, Pointer], operation: str) -> list[BatchItem]:
    """The batch response's objects, each one asked for, at the size asked for, at most once."""
    if not isinstance(answer, dict) or not isinstance(answer.get("objects"), list):
        raise BadAnswer(f"{where} sent a batch response without an objects list")
    if answer.get("transfer", "basic") not in ("basic", None):
        raise BadAnswer(f"{where} chose transfer {printable(answer.get('transfer'), 40)!r}; gx speaks only basic")
    if answer.get("hash_algo", "sha256") not in ("sha256", None):
        raise BadAnswer(f"{where} names objects by {printable(answer.get('hash_algo'), 40)!r}, not sha256")
    items: dict[str, BatchItem] = {}
    for obj in answer["objects"]:
        if not isinstance(obj, dict):
            raise BadAnswer(f"{where} sent an object entry that is not an object")
        oid, size = obj.get("oid"), obj.get("size")
        if not isinstance(oid, str) or not _OID.fullmatch(oid) or oid not in asked or oid in items:
            raise BadAnswer(f"{where} answered about an object gx did not ask for: {printable(oid, 80)}")
        pointer = asked[oid]
        if type(size) is not int or size != pointer.size:
            raise BadAnswer(f"{where} gave object {oid[:12]} size {printable(size, 30)}, not {pointer.size}")
        items[oid] = _item(obj, pointer, where, operation)
    return list(items.values())


def _item(obj: dict, pointer: Pointer, where: str, operation: str) -> BatchItem:
    error = obj.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise BadAnswer(f"{where} sent a malformed error for object {pointer.oid[:12]}")
        code = error.get("code")
        return BatchItem(pointer, {}, (code if type(code) is int else 0, printable(error.get("message", ""))),
                         False)
    raw = obj.get("actions") or {}
    if not isinstance(raw, dict):
        raise BadAnswer(f"{where} sent malformed actions for object {pointer.oid[:12]}")
    wanted = ("download",) if operation == "download" else ("upload", "verify")
    actions = {}
    for name in wanted:
        if name in raw:
            href, headers = checked_action(raw[name], f"{where} ({name} of {pointer.oid[:12]})")
            assert href is not None
            actions[name] = Action(href, headers)
    if operation == "download" and "download" not in actions:
        raise BadAnswer(f"{where} gave no download action and no error for object {pointer.oid[:12]}")
    return BatchItem(pointer, actions, None, obj.get("authenticated") is True)
