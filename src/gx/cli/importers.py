"""``gx import mlflow`` and ``gx export mlflow``: arriving from MLflow and leaving for it."""

from __future__ import annotations

import sys

import click


@click.group("import")
def import_group() -> None:
    """Import runs from another tracker."""


@import_group.command("mlflow")
@click.option("--tracking-uri", default="sqlite:///mlflow.db", show_default=True,
              help="sqlite:///PATH.db, an mlruns folder, or file:///PATH/mlruns.")
@click.option("--experiment", "-e", "experiments", multiple=True, help="An MLflow experiment to import (repeatable; default: all).")
def import_mlflow_cmd(tracking_uri: str, experiments: tuple[str, ...]) -> None:
    """Import MLflow runs (params, metric histories, tags, artifacts); importing again adds only new runs."""
    from gx.importers.mlflow_import import import_mlflow

    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if sys.stderr.isatty() and (percent != shown[0] or done == total):
            shown[0] = percent
            bar = "#" * (percent // 5)
            click.echo(f"\rimporting [{bar:<20}] {done}/{total} runs", nl=done == total, err=True)

    summary = import_mlflow(tracking_uri, experiments or None, progress)
    for line in summary.lines():
        click.echo(line)


@click.group("export")
def export_group() -> None:
    """Export runs to another tracker."""


@export_group.command("mlflow")
@click.option("--tracking-uri", required=True, help="The MLflow store to write into (sqlite:///PATH.db, a folder, ...).")
@click.option("--experiment", "-e", "experiments", multiple=True, help="A gx experiment to export (repeatable; default: all).")
def export_mlflow_cmd(tracking_uri: str, experiments: tuple[str, ...]) -> None:
    """Write gx runs into an MLflow store, through the mlflow package (pip install mlflow)."""
    from gx.importers.mlflow_export import export_mlflow

    exported, already, left_out = export_mlflow(tracking_uri, experiments or None)
    click.echo(f"exported {exported} run(s) to {tracking_uri}; {already} already there")
    for line in left_out:
        click.echo(f"left out {line}")
