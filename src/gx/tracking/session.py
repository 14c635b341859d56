"""MLflow's process-wide settings over gx: the tracking URI and the last run this process used.

gx stores runs in a git repository: a path or ``file:`` URI naming another repository points gx
there; a database or server URI is noted once and runs stay in this repository.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from gx.errors import GxError, NotARepository
from gx.paths import find_repo, tracking_root

_noted: list[bool] = [False]
_last_run_id: list[str | None] = [None]


def set_tracking_uri(uri: str | Path) -> None:
    """Point gx at the git repository a path or ``file:`` URI names; other URIs keep this repository."""
    text = str(uri).strip()
    scheme = urlparse(text).scheme.lower() if "://" in text or text.startswith("file:") else ""
    if scheme and scheme != "file":
        if not _noted[0]:
            _noted[0] = True
            print(f"gx: tracking URI {text.split('@')[-1]!r} ignored: gx stores runs in this git repository",
                  file=sys.stderr)
        return
    path = Path(unquote(urlparse(text).path) if scheme == "file" else text).expanduser()
    if not text:
        tracking_root[0] = None  # back to the working directory's repository
        return
    try:
        find_repo(path.resolve())
    except NotARepository:
        raise GxError(f"tracking URI {text!r} is not inside a git repository; run 'git init' there first") from None
    tracking_root[0] = path.resolve()


def get_tracking_uri() -> str:
    """The ``file:`` URI of the repository gx records runs in."""
    try:
        paths = find_repo()
    except NotARepository:
        return (tracking_root[0] or Path.cwd()).as_uri()
    return (paths.worktree or paths.git_dir).as_uri()


def remember_run(run_id: str) -> None:
    _last_run_id[0] = run_id


def last_run_id() -> str | None:
    """The id of the last run this process started, for ``last_active_run``."""
    return _last_run_id[0]


def local_experiment(id_or_name: str) -> str | None:
    """The local experiment named, or identified by its stable id (a unique prefix of 6+ digits
    will do; MLflow's default id ``"0"`` is ``default``), or None."""
    from gx.store.refs import DEFAULT_EXPERIMENT, local_experiment_names

    text = str(id_or_name).strip()
    names = local_experiment_names(find_repo().common_dir)
    if text in names:
        return text
    if text == "0":
        return DEFAULT_EXPERIMENT
    lowered = text.lower()
    if text.isdigit():  # MLflow's number of an experiment (docs/mlflow.md)
        from gx.store.experiment_numbers import experiment_by_number
        from gx.store.repo import Store

        with Store.open() as store:
            found = experiment_by_number(store, text)
        if found is not None:
            return found
    if len(lowered) < 6 or any(c not in "0123456789abcdef" for c in lowered):
        return None
    from gx.store.experiments import experiment_id

    matches = [name for name in names if experiment_id(name).startswith(lowered[:16])]
    return matches[0] if len(matches) == 1 else None


def experiment_name_for(experiment_id: str | None) -> str | None:
    """The experiment ``start_run(experiment_id=...)`` means: a local experiment by name or stable
    id, anything else as the name of a new one."""
    if experiment_id is None:
        return None
    try:
        return local_experiment(str(experiment_id)) or str(experiment_id)
    except NotARepository:
        return str(experiment_id)
