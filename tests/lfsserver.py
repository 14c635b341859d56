"""A real Git LFS server on loopback for the tests: giftless (PyPI) with its local storage backend and
basic streaming transfer, served by waitress in a child process.

A thin WSGI layer in front of giftless adds what the tests need to switch on through files in the
server's control directory: ``auth`` (``user:password``: the batch API then requires HTTP Basic, with
``LFS-Authenticate`` on a 401), ``cut`` (``BYTES TIMES CLEAN``: the next TIMES object downloads stop after
BYTES bytes and drop the connection, or with CLEAN=1 end the body there as if it were whole), ``range`` (serve ``Range: bytes=N-`` requests with 206, which
giftless itself ignores), and ``requests.log`` (one ``METHOD PATH`` line per request).
The fixture (``LfsServer``) also corrupts or truncates stored objects in place.

Run as ``python tests/lfsserver.py STORAGE CONTROL PORT_FILE``.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

ORG, REPO = "gx", "models"


class LfsServer:
    """The running server: its URL, storage and switches."""

    def __init__(self, root: Path) -> None:
        self.storage = root / "storage"
        self.control = root / "control"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.control.mkdir(parents=True, exist_ok=True)
        port_file = root / "port"
        self.proc = subprocess.Popen([sys.executable, __file__, str(self.storage), str(self.control), str(port_file)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                error = self.proc.stderr.read().decode()[-2000:] if self.proc.poll() is not None else "timeout"
                self.stop()
                raise RuntimeError(f"the LFS server did not start: {error}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}/{ORG}/{REPO}.git/info/lfs"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def object_path(self, oid: str) -> Path:
        return self.storage / ORG / REPO / oid

    def has(self, oid: str) -> bool:
        return self.object_path(oid).is_file()

    def require_auth(self, user: str, password: str) -> None:
        (self.control / "auth").write_text(f"{user}:{password}")

    def cut_downloads(self, after_bytes: int, times: int, clean: bool = False) -> None:
        (self.control / "cut").write_text(f"{after_bytes} {times} {int(clean)}")

    def serve_ranges(self) -> None:
        (self.control / "range").write_text("")

    def reset(self) -> None:
        """Every switch off and the request log emptied (objects stay)."""
        for name in ("auth", "cut", "range", "requests.log"):
            (self.control / name).unlink(missing_ok=True)

    def requests(self) -> list[str]:
        log = self.control / "requests.log"
        return log.read_text().splitlines() if log.exists() else []


# -- the child process ----------------------------------------------------------------------
def _app(storage: str, control: Path):
    from giftless.app import init_app

    config = {
        "LEGACY_ENDPOINTS": False,
        "AUTH_PROVIDERS": ["lfsserver:tester"],
        "TRANSFER_ADAPTERS": {"basic": {"options": {"storage_options": {"path": storage}}}},
    }
    giftless = init_app(additional_config=config).wsgi_app

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        with open(control / "requests.log", "a") as log:
            ranged = f" {environ['HTTP_RANGE']}" if environ.get("HTTP_RANGE") else ""
            log.write(f"{environ['REQUEST_METHOD']} {path}{ranged}\n")
        auth_file = control / "auth"
        if path.endswith("/objects/batch") and auth_file.exists():
            expected = "Basic " + base64.b64encode(auth_file.read_bytes().strip()).decode()
            if environ.get("HTTP_AUTHORIZATION") != expected:
                start_response("401 Unauthorized", [("Content-Type", "application/vnd.git-lfs+json"),
                                                    ("LFS-Authenticate", 'Basic realm="Git LFS"')])
                return [b'{"message": "Credentials needed"}']
            environ.pop("HTTP_AUTHORIZATION")
        ranged = environ.get("HTTP_RANGE", "")
        if ranged and (control / "range").exists() and "/objects/storage/" in path:
            body = _partial(giftless, environ, start_response, path.rsplit("/", 1)[1], storage, ranged)
        else:
            body = giftless(environ, start_response)
        if "/objects/storage/" in path and environ["REQUEST_METHOD"] == "GET":
            body = _rechunked(body)
        cut_file = control / "cut"
        if environ["REQUEST_METHOD"] == "GET" and "/objects/storage/" in path and cut_file.exists():
            after, times, clean = (int(x) for x in cut_file.read_text().split())
            if times > 0:
                cut_file.write_text(f"{after} {times - 1} {clean}")
                return _cut(body, after, bool(clean))
        return body

    return app


def _partial(giftless, environ, start_response, oid: str, storage: str, ranged: str):
    """giftless's body from byte N on, as a 206 answer to ``Range: bytes=N-``."""
    start = int(ranged.removeprefix("bytes=").rstrip("-"))
    total = (Path(storage) / ORG / REPO / oid).stat().st_size

    def partial_start(status, headers, exc_info=None):
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Range", f"bytes {start}-{total - 1}/{total}"))
        return start_response("206 Partial Content", headers, exc_info)

    skipped = 0
    for chunk in giftless(environ, partial_start):
        if skipped + len(chunk) <= start:
            skipped += len(chunk)
            continue
        yield chunk[max(0, start - skipped):]
        skipped = start


def _rechunked(body, size: int = 1 << 20):
    """giftless's download body in blocks of ``size``: it iterates the stored file by lines, which for
    binary content makes chunks of a few hundred bytes (and the benchmark would time that)."""
    buffer = bytearray()
    try:
        for piece in body:
            buffer += piece
            if len(buffer) >= size:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)
    finally:
        if hasattr(body, "close"):
            body.close()


def tester(_request):
    """giftless's authenticator for the tests: everyone is ``tester`` with every permission (giftless's
    anonymous user has no id, which recent PyJWT refuses in the tokens of upload actions)."""
    from giftless.auth.identity import DefaultIdentity, Permission

    user = DefaultIdentity(name="tester", id="tester")
    user.allow(permissions=Permission.all())
    return user


def _cut(body, after: int, clean: bool):
    sent = 0
    for chunk in body:
        if sent + len(chunk) >= after:
            yield chunk[: after - sent]
            if clean:
                return
            raise ConnectionAbortedError("cut by the test server's switch")
        sent += len(chunk)
        yield chunk


def main() -> None:
    storage, control, port_file = sys.argv[1:4]
    from waitress.server import create_server

    server = create_server(_app(storage, Path(control)), host="127.0.0.1", port=0, threads=4,
                           max_request_body_size=1 << 40,
                           clear_untrusted_proxy_headers=True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(server.effective_port))
    os.replace(tmp, port_file)
    server.run()


if __name__ == "__main__":
    main()
