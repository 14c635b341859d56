"""``gx demo``: a scratch repository, a bundled training script run several ways, a comparison."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

DEMO_RUNS = [
    {"alpha": 0.01, "l2": 0.0},
    {"alpha": 0.05, "l2": 0.0},
    {"alpha": 0.2, "l2": 0.0},
    {"alpha": 0.2, "l2": 0.1},
]


def make_repo(directory: Path) -> None:
    """A git repository holding train.py in one commit, made with dulwich (no git binary)."""
    from gx.store.repo import init_repository

    directory.mkdir(parents=True, exist_ok=True)
    script = (Path(__file__).resolve().parent.parent / "demo" / "train.py").read_bytes()
    init_repository(str(directory), {"train.py": script, ".gitignore": b"metrics.json\n"},
                    "demo: training script", b"gx demo <demo@gx.invalid>")


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Where to make the demo repository (default: a new temporary directory).")
def demo_cmd(directory: str | None) -> None:
    """Make a scratch git repository, run a bundled training script 4 times with different params
    through 'gx run', and print the comparison."""
    from gx.cli.ls import ls_cmd
    from gx.query.runs import list_runs
    from gx.tracking import runner

    where = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="gx-demo-"))
    if (where / ".git").exists():
        raise click.UsageError(f"{where} already holds a git repository; give an empty or new --dir")
    make_repo(where)
    click.echo(f"demo repository: {where}\n")
    previous = os.getcwd()
    os.chdir(where)
    try:
        started = time.perf_counter()
        for i, params in enumerate(DEMO_RUNS, 1):
            name = f"ridge-{i}"
            click.echo(f"$ gx run -n {name} " + " ".join(f"-p {k}={v}" for k, v in params.items())
                       + " --metrics-file metrics.json train.py")
            code, live = runner.run(["train.py"], "demo", name, params, {}, (), ["metrics.json"])
            if code:
                raise click.ClickException(f"demo run {name} failed with exit code {code}")
        elapsed = time.perf_counter() - started
        click.echo(f"\n{len(DEMO_RUNS)} runs recorded in {elapsed:.1f}s. $ gx ls demo\n")
        ctx = click.get_current_context()
        ctx.invoke(ls_cmd, experiments=("demo",), deleted=False, show_all=False, as_json=False, limit=None)
        best = min(list_runs(["demo"]), key=lambda r: r.metrics.get("rmse", float("inf")))
        click.echo(f"\nbest: {best.name} ({best.run_id[:8]}) rmse={best.metrics['rmse']:.4f} with "
                   + ", ".join(f"{k}={v}" for k, v in best.params.items()))
        click.echo(f"\nTry:  cd {where} && gx show {best.name} && git log --first-parent --oneline refs/experiments/demo")
    finally:
        os.chdir(previous)
