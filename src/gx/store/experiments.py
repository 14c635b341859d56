"""An experiment's root commit and the stable id derived from it.

Every experiment starts from a deterministic ``init`` commit (same name, same object on every
clone), so its id — the first 16 hex digits of that commit — is the same on every machine without
any shared counter, which MLflow's numeric ids would need.
"""

from __future__ import annotations

from functools import lru_cache

from dulwich.objects import Commit, ShaFile

from gx.store import objects as gobj

INIT_IDENTITY = b"gx <gx@localhost>"
INIT_TIME = 946684800  # 2000-01-01T00:00:00Z
ID_LENGTH = 16


def init_commit_objects(experiment: str) -> tuple[list[ShaFile], Commit]:
    """The objects of the experiment's root: its tree (and blob), then the commit itself."""
    from gx.store.encode import (  # encode loads yaml: not for every Store
        EXPERIMENT_FILE,
        FORMAT_VERSION,
    )

    new: list[ShaFile] = []
    text = f"experiment: {experiment}\nformat: {FORMAT_VERSION}\n".encode()
    tree = gobj.build_tree({EXPERIMENT_FILE: text}, new)
    commit = gobj.make_commit(
        tree, [], f"experiment {experiment}", {"Gx-Kind": gobj.KIND_INIT, "Gx-Experiment": experiment},
        INIT_IDENTITY, INIT_TIME, tz=0,
    )
    return new, commit


@lru_cache(maxsize=4096)
def experiment_id(experiment: str) -> str:
    """The experiment's stable id: the first 16 hex digits of its init commit."""
    return init_commit_objects(experiment)[1].id.decode()[:ID_LENGTH]
