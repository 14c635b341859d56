"""HTTP(S) requests to an LFS server with the stdlib's ``http.client``: bodies streamed both ways,
credentials as git finds them (``credentials``), proxies from the environment, and every failure
turned into one line that names the server and says what to do.
"""

from __future__ import annotations

import http.client
import os
import ssl
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

from gx.errors import GxError
from gx.lfs import credentials
from gx.lfs.credentials import Credential
from gx.lfs.endpoint import redact_url
from gx.lfs.untrusted import printable, read_json
from gx.limits import LFS_TIMEOUT

CHUNK = 1024 * 1024
#: Connection and server failures worth one more try (rate limits and transient server errors).
RETRYABLE = (429, 500, 502, 503, 504)
NETWORK_ERRORS = (OSError, http.client.HTTPException)

Body = Callable[[], "BinaryIO | bytes | None"]


class LfsServerError(GxError):
    """An LFS server refused a request or could not be reached."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Session:
    """Requests to one LFS server; credentials are kept per origin, in memory only."""

    def __init__(self, server: str, operation: str) -> None:
        self.server = redact_url(server)
        self.operation = operation
        self._credentials: dict[str, Credential] = {}
        self._approved: set[str] = set()
        embedded = credentials.from_url(server)
        if embedded is not None:
            self._credentials[credentials.origin(server)] = embedded

    def request(self, method: str, url: str, headers: dict[str, str], body: Body | None = None,
                authenticate: bool = True) -> http.client.HTTPResponse:
        """Send one request, asking git for credentials after a 401 and retrying once with them.
        ``body`` makes a fresh body for each attempt. The caller reads and closes the response."""
        key = credentials.origin(url)
        for attempt in range(2):
            sent = dict(headers)
            credential = self._credentials.get(key) if authenticate else None
            if credential is not None and not any(h.lower() == "authorization" for h in sent):
                sent["Authorization"] = credential.header()
            response = _send(method, url, sent, body() if body else None)
            if response.status != 401 or not authenticate:
                if credential is not None and response.status < 400 and key not in self._approved:
                    self._approved.add(key)
                    credentials.approve(credential)
                return response
            response.close()
            if credential is not None:
                credentials.reject(credential)
                self._credentials.pop(key, None)
                raise self.failure(401, url, refused=True)
            if attempt == 0:
                found = credentials.from_url(url) or credentials.fill(url)
                if found is None:
                    raise self.failure(401, url)
                self._credentials[key] = found
        raise self.failure(401, url, refused=True)

    def failure(self, status: int, url: str, message: str = "", refused: bool = False) -> LfsServerError:
        """The one-line error for an HTTP status from the server at ``url``."""
        where = f"LFS server {redact_url(url) if url else self.server}"
        said = f" ({message})" if message else ""
        if status == 401:
            text = (f"{where} refused the credentials (401){said}; fix them in your git credential helper "
                    "or the URL" if refused else
                    f"{where} needs credentials (401){said}; configure a git credential helper "
                    "(git config credential.helper store) or put them in lfs.url")
        elif status == 403:
            access = "write" if self.operation == "upload" else "read"
            text = f"{where} denied access (403){said}; your credentials have no {access} access there"
        elif status == 404:
            text = (f"{where} answered 404 Not Found{said}: the objects are not there, LFS is not enabled "
                    "for this repository, or the URL is wrong; enable LFS on the host or set lfs.url to the "
                    "LFS server's URL")
        elif status == 413:
            text = f"{where} refused the request as too large (413){said}; the server limits object or batch sizes"
        elif status == 422:
            text = (f"{where} refused the objects as invalid (422){said}; its copy may be damaged or of "
                    "another size than the pointer says")
        elif status in RETRYABLE:
            text = f"{where} failed with HTTP {status}{said}; try again later"
        else:
            text = f"{where} answered HTTP {status}{said}"
        return LfsServerError(text, status)

    def check(self, response: http.client.HTTPResponse, url: str, ok: tuple[int, ...] = (200,)) -> None:
        """Raise the one-line error when ``response`` is not one of ``ok`` (reading its message)."""
        if response.status in ok:
            return
        message = ""
        try:
            answer = read_json(response, "")
            if isinstance(answer, dict):
                message = printable(answer.get("message", ""))
        except (GxError, *NETWORK_ERRORS):
            pass
        finally:
            response.close()
        raise self.failure(response.status, url, message)

    def unreachable(self, url: str, exc: BaseException) -> LfsServerError:
        """The one-line error for a network failure talking to ``url``."""
        reason = printable(getattr(exc, "strerror", None) or exc or type(exc).__name__, 160)
        return LfsServerError(f"cannot reach LFS server {redact_url(url)}: {reason}; check the URL (lfs.url) "
                              "and your network, then try again")


def retry_delay(response: http.client.HTTPResponse, attempt: int) -> float:
    """How long to wait before retrying: the server's Retry-After (capped at 10 s), else 1, 2 s."""
    try:
        return min(max(float(response.getheader("Retry-After", "")), 0.0), 10.0)
    except ValueError:
        return float(attempt + 1)


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    """A connection for ``url`` (through the environment's proxy when one applies) and the target
    to put on the request line."""
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    context = None
    if secure:
        context = ssl.create_default_context(cafile=os.environ.get("GIT_SSL_CAINFO") or None)
    proxy = getproxies_environment().get(parts.scheme.lower())
    if proxy and not proxy_bypass_environment(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        proxy_host, proxy_port = proxy_parts.hostname or "", proxy_parts.port or 8080
        if secure:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                proxy_host, proxy_port, timeout=LFS_TIMEOUT, context=context, blocksize=CHUNK)
            conn.set_tunnel(host, port)
            return conn, target
        return http.client.HTTPConnection(proxy_host, proxy_port, timeout=LFS_TIMEOUT, blocksize=CHUNK), (
            parts._replace(netloc=f"{host}:{port}").geturl())
    if secure:
        return http.client.HTTPSConnection(host, port, timeout=LFS_TIMEOUT, context=context, blocksize=CHUNK), target
    return http.client.HTTPConnection(host, port, timeout=LFS_TIMEOUT, blocksize=CHUNK), target


def _send(method: str, url: str, headers: dict[str, str], body: BinaryIO | bytes | None) -> http.client.HTTPResponse:
    """One request on a fresh connection; the connection closes with the response."""
    conn, target = _connection(url)
    try:
        conn.request(method, target, body=body, headers={**headers, "Connection": "close"})
        return conn.getresponse()
    except BaseException:
        conn.close()
        raise
