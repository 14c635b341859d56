"""Shared by the gx ui tests: a repository seeded with runs (params, curves, a nested run, artifacts
including hostile ones, a dirty diff), and a real server on an ephemeral loopback port."""

from __future__ import annotations

import http.client
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Script an artifact carries: if it ever runs in the app's origin it leaves this mark on the page.
PWNED_SCRIPT = "<script>document.title='PWNED';window.parent.pwned=1;fetch('/api/version?pwned=1')</script>"


def tiny_png(width: int = 8, height: int = 8) -> bytes:
    """A valid red PNG, built by hand (no imaging library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed_runs(repo_path: Path) -> dict[str, str]:
    """Three finished runs of 'demo' (alpha 0.1/0.5/1.0, loss curves of 30 steps), a nested child
    under the first, artifacts (PNG, CSV, hostile HTML and SVG) and a dirty diff; returns name -> run id."""
    import gx

    files = repo_path / "scratch"
    files.mkdir(exist_ok=True)
    (files / "plot.png").write_bytes(tiny_png())
    (files / "table.csv").write_text("epoch,loss\n1,0.5\n")
    (files / "evil.html").write_text(f"<html><body>hi{PWNED_SCRIPT}</body></html>")
    (files / "evil.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg">{PWNED_SCRIPT}</svg>')
    (repo_path / "README.md").write_text("project\nchanged while training\n")  # a dirty tree
    ids = {}
    for i, alpha in enumerate([0.1, 0.5, 1.0]):
        with gx.start_run(experiment="demo", run_name=f"run-{i}") as run:
            gx.log_params({"alpha": alpha, "model": "ridge", "seed": 7})
            for step in range(30):
                gx.log_metric("loss", alpha + 1.0 / (step + 1), step=step)
            gx.log_metric("rmse", round(alpha * 2, 3))
            gx.set_tag("team", "vision")
            if i == 0:
                for name in ("plot.png", "table.csv", "evil.html", "evil.svg"):
                    gx.log_artifact(str(files / name))
                with gx.start_run(experiment="demo", run_name="child-of-0", nested=True) as child:
                    gx.log_metric("rmse", 5.0)
                ids["child-of-0"] = child.info.run_id
        ids[f"run-{i}"] = run.info.run_id
    (repo_path / "README.md").write_text("project\n")
    return ids


@contextmanager
def running_server(repo_path: Path) -> Iterator[str]:
    """A gx ui server on 127.0.0.1 with an ephemeral port; yields its base URL."""
    from gx.paths import find_repo
    from gx.ui.server import make_server, serve_in_thread

    server = make_server(find_repo(repo_path), "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()


def request(base: str, path: str, method: str = "GET", host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (so tests can send any method and Host header)."""
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host if host is not None else f"127.0.0.1:{port}"}
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
