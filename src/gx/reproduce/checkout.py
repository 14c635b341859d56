"""``gx checkout``: a run's exact source where the user can continue from it (DVC's ``exp branch``
and ``exp apply``): a new linked worktree with the run's params in ``params.yaml``, or a branch."""

from __future__ import annotations

from pathlib import Path

from gx import yamlio
from gx.query.runs import open_store
from gx.query.runspec import get_spec_record
from gx.store.worktree import add_source_worktree, create_branch

PARAMS_FILE = "params.yaml"


def default_path(run_id: str) -> Path:
    """``../<repository>-<run id>``, beside the repository."""
    with open_store() as store:
        root = store.paths.worktree or store.paths.common_dir.parent
    return root.parent / f"{root.name}-{run_id[:8]}"


def checkout_worktree(run: str, path: Path | None = None) -> tuple[str, Path]:
    """A new linked worktree holding the run's source, with its params written to params.yaml."""
    rec = get_spec_record(run)
    target = (path or default_path(rec.run_id)).absolute()
    with open_store() as store:
        add_source_worktree(store, rec.source, target)
    if rec.params:
        (target / PARAMS_FILE).write_text(yamlio.dump(dict(rec.params)), encoding="utf-8")
    return rec.run_id, target


def checkout_branch(run: str, branch: str) -> tuple[str, str]:
    """A new branch at the run's exact source (its snapshot commit when the tree was dirty)."""
    rec = get_spec_record(run)
    with open_store() as store:
        target = create_branch(store, branch, rec.source)
    return rec.run_id, target.decode()
