"""``gx artifacts get`` (an artifact's content, large files fetched on demand) and ``gx gc --lfs``."""

from __future__ import annotations

import click


@click.group("artifacts")
def artifacts_group() -> None:
    """A run's artifacts: large ones (Git LFS) are fetched from the remote when this clone lacks them."""


@artifacts_group.command("get")
@click.argument("run")
@click.argument("path")
@click.option("-o", "--output", "dest", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to write PATH under.")
def get_cmd(run: str, path: str, dest: str) -> None:
    """Write artifact (or folder) PATH of RUN under the output folder; print where."""
    from gx.query.client import download_artifacts

    click.echo(download_artifacts(run, path, dest))


@click.command("gc")
@click.option("--lfs", "lfs", is_flag=True, required=True,
              help="Remove local Git LFS objects no ref, registered model, index entry or unrecorded run needs.")
@click.option("-n", "--dry-run", is_flag=True, help="Only say what would be removed.")
def gc_cmd(lfs: bool, dry_run: bool) -> None:
    """Free disk space: with --lfs, remove local LFS objects that nothing references any more."""
    from gx.lfs.gc import collect
    from gx.query.runs import open_store

    with open_store() as store:
        done = collect(store, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(done.removed)} LFS object{'s' if len(done.removed) != 1 else ''}, "
               f"{done.freed / 1048576:.1f} MiB ({done.freed:,} bytes); kept {done.kept}")
