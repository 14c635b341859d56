"""Moving LFS objects between the local store and an LFS server over the batch API's basic transfer,
without the git-lfs binary (docs/api/basic-transfers.md).

``upload`` sends only what the server says it lacks, then calls the verify action when there is one.
``download`` streams each object through ``objects.store_stream`` with the expected pointer, so only
content of the right sha256 and size is ever placed; a connection cut mid-body resumes with a Range
request (or restarts when the server ignores Range), a corrupt body is refused and fetched once more,
and nothing partial is ever left in ``lfs/objects``. Nothing is held in memory whole.

Callers pick the endpoint kind first: ``endpoint.find_endpoint(...).is_http`` is False for local-path
and ``file://`` remotes, whose objects are copied on disk, not through here.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from gx.errors import GxError
from gx.lfs import objects, sshauth
from gx.lfs.batch import MEDIA_TYPE, batch
from gx.lfs.endpoint import Endpoint, find_endpoint
from gx.lfs.http import CHUNK, NETWORK_ERRORS, Session
from gx.lfs.pointer import Pointer
from gx.lfs.progress import Progress
from gx.lfs.untrusted import Action, BatchItem

#: Times one download may resume after its connection is cut, and times one upload restarts.
MAX_RESUMES = 3
MAX_UPLOAD_ATTEMPTS = 2


class _Restart(Exception):
    """The server ignored a Range request: the download starts over from byte 0."""


def upload(common_dir: Path, remote_url: str, pointers: Sequence[Pointer], *, remote: str | None = None) -> None:
    """Send the objects of ``pointers`` that the remote's LFS server lacks, from the local store."""
    wanted = list({p.oid: p for p in pointers}.values())
    if not wanted:
        return
    for pointer in wanted:
        if not objects.has_object(common_dir, pointer):
            raise GxError(f"LFS object {pointer.oid[:12]} ({pointer.size:,} bytes) is not in this clone, so it "
                          "cannot be uploaded; fetch it first (`gx artifacts get`) or log the file again")
    session, server, headers = _open(common_dir, remote_url, remote, "upload")
    items = batch(session, server, headers, "upload", wanted)
    _raise_object_errors(session, items, "upload")
    todo = [item for item in items if "upload" in item.actions]
    progress = Progress("upload", len(todo), sum(item.pointer.size for item in todo))
    for item in todo:
        _upload_one(session, common_dir, item, progress)
    progress.finish()


def download(common_dir: Path, remote_url: str, pointers: Sequence[Pointer], *, remote: str | None = None) -> None:
    """Fetch the objects of ``pointers`` missing from the local store, each verified before it is placed."""
    wanted = [p for p in {p.oid: p for p in pointers}.values() if not objects.has_object(common_dir, p)]
    if not wanted:
        return
    session, server, headers = _open(common_dir, remote_url, remote, "download")
    items = batch(session, server, headers, "download", wanted)
    _raise_object_errors(session, items, "download")
    progress = Progress("download", len(items), sum(item.pointer.size for item in items))
    for item in items:
        _download_one(session, common_dir, item, progress)
    progress.finish()


def _open(common_dir: Path, remote_url: str, remote: str | None, operation: str) -> tuple[Session, str, dict[str, str]]:
    endpoint = find_endpoint(common_dir, remote_url, remote, operation)
    _require_http(endpoint, remote or remote_url)
    server, headers = sshauth.authenticate(common_dir, endpoint, operation)
    return Session(server, operation), server, headers


def _require_http(endpoint: Endpoint, remote: str) -> None:
    if not endpoint.is_http:
        raise GxError(f"the LFS endpoint of {remote} is {endpoint.display!r} (from {endpoint.source}), not an "
                      "http(s) URL; set lfs.url to the LFS server's URL")


def _raise_object_errors(session: Session, items: list[BatchItem], operation: str) -> None:
    for item in items:
        if item.error is None:
            continue
        code, message = item.error
        oid = item.pointer.oid[:12]
        said = f": {message}" if message else ""
        if operation == "download" and code in (404, 410):
            raise GxError(f"LFS server {session.server} does not have object {oid} ({code}{said}); push it "
                          "from a clone that has it")
        raise GxError(f"LFS server {session.server} refused to {operation} object {oid} (error {code}{said})")


# -- upload ---------------------------------------------------------------------------------
class _CountingReader:
    """A file handed to http.client as a request body, counting what is sent for the progress line."""

    def __init__(self, fh: BinaryIO, progress: Progress) -> None:
        self.fh = fh
        self.progress = progress
        self.sent = 0

    def read(self, size: int = CHUNK) -> bytes:
        chunk = self.fh.read(size)
        self.sent += len(chunk)
        self.progress.add(len(chunk))
        return chunk


def _upload_one(session: Session, common_dir: Path, item: BatchItem, progress: Progress) -> None:
    action = item.actions["upload"]
    pointer = item.pointer
    headers = {**action.headers, "Content-Type": "application/octet-stream", "Content-Length": str(pointer.size)}
    with objects.open_object(common_dir, pointer) as fh:
        readers: list[_CountingReader] = []

        def body() -> _CountingReader:
            for previous in readers:
                progress.rewind(previous.sent)
            readers.clear()
            fh.seek(0)
            readers.append(_CountingReader(fh, progress))
            return readers[0]

        for attempt in range(MAX_UPLOAD_ATTEMPTS):
            try:
                response = session.request("PUT", action.href, headers, body, authenticate=not item.authenticated)
                session.check(response, action.href, ok=(200, 201, 204))
                _drain(response)
                break
            except NETWORK_ERRORS as exc:
                if attempt + 1 == MAX_UPLOAD_ATTEMPTS:
                    raise session.unreachable(action.href, exc) from None
    if "verify" in item.actions:
        _verify(session, item.actions["verify"], item)
    progress.object_done()


def _verify(session: Session, action: Action, item: BatchItem) -> None:
    payload = json.dumps({"oid": item.pointer.oid, "size": item.pointer.size}).encode()
    headers = {**action.headers, "Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}
    try:
        response = session.request("POST", action.href, headers, lambda: payload, authenticate=not item.authenticated)
        session.check(response, action.href)
        _drain(response)
    except NETWORK_ERRORS as exc:
        raise session.unreachable(action.href, exc) from None


def _drain(response: http.client.HTTPResponse) -> None:
    """Read what is left of a small response (bounded) and close it."""
    try:
        response.read(64 * 1024)
    finally:
        response.close()


# -- download -------------------------------------------------------------------------------
def _download_one(session: Session, common_dir: Path, item: BatchItem, progress: Progress) -> None:
    pointer = item.pointer
    counted = [0]
    for attempt in range(2):
        try:
            objects.store_stream(common_dir, _body(session, item, progress, counted), expected=pointer)
            progress.object_done()
            return
        except objects.BadObject as exc:
            progress.rewind(counted[0])
            counted[0] = 0
            if attempt == 1:
                raise GxError(f"LFS server {session.server} sent wrong content for object {pointer.oid[:12]} "
                              f"twice ({exc}); nothing was placed. The server's copy is probably corrupt: "
                              "push the object again from a clone that has it") from None
        except _Restart:
            progress.rewind(counted[0])
            counted[0] = 0
    raise GxError(f"LFS server {session.server} kept cutting the download of object {pointer.oid[:12]} and "
                  "ignores Range requests; nothing was placed; try again")


def _body(session: Session, item: BatchItem, progress: Progress, counted: list[int]) -> Iterator[bytes]:
    """The object's bytes; a cut connection resumes with ``Range`` from the byte it stopped at."""
    action = item.actions["download"]
    received = 0
    cuts = 0
    while True:
        headers = dict(action.headers)
        if received:
            headers["Range"] = f"bytes={received}-"
        try:
            response = session.request("GET", action.href, headers, authenticate=not item.authenticated)
        except NETWORK_ERRORS as exc:
            cuts += 1
            if cuts > MAX_RESUMES:
                raise session.unreachable(action.href, exc) from None
            continue
        try:
            if received and response.status == 200:
                raise _Restart()
            if received and response.status == 206:
                if not (response.getheader("Content-Range") or "").startswith(f"bytes {received}-"):
                    raise _Restart()
            else:
                session.check(response, action.href)
            for chunk in _blocks(response):
                received += len(chunk)
                counted[0] += len(chunk)
                progress.add(len(chunk))
                yield chunk
            return
        except NETWORK_ERRORS as exc:
            cuts += 1
            if cuts > MAX_RESUMES:
                raise session.unreachable(action.href, exc) from None
        finally:
            response.close()


def _blocks(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """The body in blocks of about ``CHUNK`` bytes, however small the server's chunks are; bytes that
    arrived before a cut are still yielded (so a resume starts exactly after them), then the error."""
    buffer = bytearray()
    try:
        while piece := response.read1(CHUNK):
            buffer += piece
            if len(buffer) >= CHUNK:
                yield bytes(buffer)
                buffer.clear()
    except NETWORK_ERRORS:
        if buffer:
            yield bytes(buffer)
        raise
    if buffer:
        yield bytes(buffer)
