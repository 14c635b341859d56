"""The HTTP side of ``gx ui``: a threading server on loopback, GET only, Host header checked
(DNS rebinding), strict security headers, JSON from ``api``/``runview`` and the packaged assets."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from gx.errors import GxError
from gx.paths import RepoPaths
from gx.store.repo import Store
from gx.ui import api, registry, runview

LOOPBACK = ("127.0.0.1", "localhost", "::1")
APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
#: The single-page app answers these paths with index.html (the script reads the path).
PAGES = ("/", "/runs", "/run", "/compare", "/models")


def static_file(name: str) -> bytes | None:
    """A packaged asset by plain file name (no folders, so nothing outside ``static/``)."""
    if not name or "/" in name or name.startswith("."):
        return None
    entry = resources.files("gx.ui").joinpath("static", name)
    return entry.read_bytes() if entry.is_file() else None


class UiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, paths: RepoPaths, host: str, port: int) -> None:
        self.paths = paths
        self.cache = api.RunCache()
        self.records = api.RunCache(size=4)  # full records can be large: keep only a few
        self.quiet = True
        super().__init__((host, port), Handler)
        self.port = self.server_address[1]
        names = {"localhost", "127.0.0.1", "[::1]", host if ":" not in host else f"[{host}]"}
        self.allowed_hosts = {f"{n}:{self.port}" for n in names}


class Handler(BaseHTTPRequestHandler):
    server: UiServer
    protocol_version = "HTTP/1.1"
    server_version = "gx-ui"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        merged = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                  "X-Frame-Options": "DENY", "Cache-Control": "no-store", "Content-Security-Policy": APP_CSP}
        merged.update(headers)
        merged["Content-Length"] = str(len(body))
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8"})

    def _refuse(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    def _host_ok(self) -> bool:
        return (self.headers.get("Host") or "").lower() in self.server.allowed_hosts

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if not self._host_ok():
            self._refuse(421, "unexpected Host header; open the address gx ui printed")
            return
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            self._route(url.path, query)
        except api.ApiError as exc:
            self._json(400, exc.payload)
        except FileNotFoundError as exc:
            self._refuse(404, f"not found: {exc}")
        except GxError as exc:
            self._refuse(404, str(exc))
        except Exception as exc:  # one bad request is a 500, never a dead server
            print(f"gx ui: internal error on {url.path}: {exc!r}", file=sys.stderr)
            self._refuse(500, "internal error; see the terminal running gx ui")

    do_HEAD = do_GET

    def _refuse_method(self) -> None:
        self._refuse(405, "read-only: GET only", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method

    def _route(self, path: str, query: dict[str, str]) -> None:
        if path in PAGES:
            self._send(200, static_file("index.html") or b"", {"Content-Type": STATIC_TYPES[".html"]})
            return
        if path.startswith("/static/"):
            name = path[len("/static/"):]
            data = static_file(name)
            if data is None:
                raise FileNotFoundError(name)
            self._send(200, data, {"Content-Type": STATIC_TYPES.get(Path(name).suffix, "application/octet-stream"),
                                   "Cache-Control": "no-cache"})
            return
        if not path.startswith("/api/"):
            raise FileNotFoundError(path)
        with Store(self.server.paths) as store:
            self._api(store, path[len("/api/"):], query)

    def _api(self, store: Store, endpoint: str, query: dict[str, str]) -> None:
        cache = self.server.cache
        if endpoint == "version":
            self._json(200, {"version": api.version(store)})
        elif endpoint == "experiments":
            self._json(200, api.experiments(store, cache, query))
        elif endpoint == "runs":
            self._json(200, api.runs_page(store, cache, query))
        elif endpoint == "models":
            self._json(200, registry.registry_json(store))
        elif endpoint == "runs.csv":
            self._send(200, api.runs_csv(store, cache, query), {
                "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="runs.csv"'})
        elif endpoint == "compare":
            specs = [s for s in query.get("runs", "").split(",") if s.strip()]
            if not 1 <= len(specs) <= 20:
                raise api.ApiError("give 1 to 20 runs: runs=ID,ID,...")
            records = [runview.find_record(store, s, self.server.records) for s in specs]
            data = api.comparison(records)  # type: ignore[arg-type]
            data["code_diffs"] = runview.code_diffs(store, records)
            self._json(200, data)
        elif endpoint.startswith("run/"):
            spec, _, rest = unquote(endpoint[len("run/"):]).partition("/")
            if rest == "":
                self._json(200, runview.run_json(store, spec, self.server.records))
            elif rest == "metrics":
                keys = [k for k in query.get("keys", "").split(",") if k]
                self._json(200, runview.histories(store, spec, keys, self.server.records))
            elif rest.startswith("artifact/"):
                data, headers = runview.artifact(store, spec, rest[len("artifact/"):], "download" in query)
                self._send(200, data, headers)
            else:
                raise FileNotFoundError(endpoint)
        else:
            raise FileNotFoundError(endpoint)


def make_server(paths: RepoPaths, host: str = "127.0.0.1", port: int = 5000) -> UiServer:
    return UiServer(paths, host, port)


def serve_in_thread(server: UiServer) -> threading.Thread:
    """Serve in a daemon thread (tests and benchmarks); ``server.shutdown()`` stops it."""
    thread = threading.Thread(target=server.serve_forever, name="gx-ui", daemon=True)
    thread.start()
    return thread
