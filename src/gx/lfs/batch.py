"""The batch API call (docs/api/batch.md): which objects to move and where, for up to
``LFS_BATCH_SIZE`` objects per request, retried on rate limits and transient server errors."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from gx.lfs.http import NETWORK_ERRORS, RETRYABLE, Session, retry_delay
from gx.lfs.pointer import Pointer
from gx.lfs.untrusted import BadAnswer, BatchItem, checked_batch, read_json
from gx.limits import LFS_BATCH_SIZE

MEDIA_TYPE = "application/vnd.git-lfs+json"
#: Attempts of one batch request (the first included) on 429/5xx or a dropped connection.
ATTEMPTS = 3


def batch(session: Session, server: str, headers: dict[str, str], operation: str,
          pointers: Sequence[Pointer]) -> list[BatchItem]:
    """The server's answer for every pointer (in requests of ``LFS_BATCH_SIZE``), each one checked;
    an object the server leaves out is an error."""
    items: list[BatchItem] = []
    for start in range(0, len(pointers), LFS_BATCH_SIZE):
        items.extend(_one_batch(session, server, headers, operation, pointers[start:start + LFS_BATCH_SIZE]))
    return items


def _one_batch(session: Session, server: str, headers: dict[str, str], operation: str,
               pointers: Sequence[Pointer]) -> list[BatchItem]:
    url = server.rstrip("/") + "/objects/batch"
    asked = {p.oid: p for p in pointers}
    payload = json.dumps({
        "operation": operation,
        "transfers": ["basic"],
        "objects": [{"oid": p.oid, "size": p.size} for p in asked.values()],
        "hash_algo": "sha256",
    }).encode()
    sent = {**headers, "Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}
    for attempt in range(ATTEMPTS):
        try:
            response = session.request("POST", url, sent, lambda: payload)
        except NETWORK_ERRORS as exc:
            if attempt + 1 < ATTEMPTS:
                time.sleep(attempt + 1)
                continue
            raise session.unreachable(url, exc) from None
        if response.status in RETRYABLE and attempt + 1 < ATTEMPTS:
            response.close()
            time.sleep(retry_delay(response, attempt))
            continue
        session.check(response, url)
        try:
            answer = read_json(response, f"LFS server {session.server}")
        except NETWORK_ERRORS as exc:
            raise session.unreachable(url, exc) from None
        finally:
            response.close()
        items = checked_batch(answer, f"LFS server {session.server}", asked, operation)
        missing = set(asked) - {item.pointer.oid for item in items}
        if missing:
            raise BadAnswer(f"LFS server {session.server} did not answer about object {min(missing)[:12]} "
                            f"(and {len(missing) - 1} more); nothing was transferred for them")
        return items
    raise AssertionError("unreachable: the last attempt returns or raises")
