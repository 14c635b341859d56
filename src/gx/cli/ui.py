"""``gx ui``: serve the local, read-only web app over this repository's runs."""

from __future__ import annotations

import click

from gx.errors import GxError


@click.command("ui")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback lets that network read your experiments.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def ui_cmd(port: int, host: str, open_browser: bool) -> None:
    """Browse runs, charts, artifacts and comparisons in a browser (read-only; Ctrl-C stops it)."""
    from gx.paths import find_repo
    from gx.ui.server import LOOPBACK, make_server

    paths = find_repo()
    try:
        server = make_server(paths, host, port)
    except OSError as exc:
        raise GxError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; try --port 0") from None
    if host not in LOOPBACK:
        click.echo(f"gx: warning: listening on {host}: anyone who can reach this address on your network "
                   "can read these experiments", err=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.port}/"
    click.echo(f"gx ui: serving {paths.open_path} at {url} (Ctrl-C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
