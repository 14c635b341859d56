"""The user's own objects (HEAD, a run's source commit) read loose first.

dulwich looks for an object in every pack before the loose objects, opening each pack's index the
first time (once per repository object, and gx opens one per command or run). A repository with gx
runs holds many small packs (one a run, merged past 50), while the user's newest commits are loose:
looking there first skips opening them all at a run's start and end. A packed object is found as before.
"""

from __future__ import annotations

import os

from dulwich.objects import Commit, ShaFile

from gx.store.repo import Store


def _loose_path(store: Store, sha: bytes) -> str | None:
    hexsha = sha.decode("ascii", "replace")
    if len(hexsha) != 40:
        return None
    return os.path.join(store.repo.object_store.path, hexsha[:2], hexsha[2:])


def has_object(store: Store, sha: bytes) -> bool:
    """Whether ``sha`` is in the repository, loose objects first."""
    path = _loose_path(store, sha)
    return (path is not None and os.path.isfile(path)) or sha in store.repo


def user_commit(store: Store, sha: bytes) -> Commit:
    """The commit ``sha``, loose first; anything odd about the loose file and dulwich's own lookup
    (``Store.commit``: a missing object or another kind is a ``BadRecord``) decides."""
    path = _loose_path(store, sha)
    if path is not None and os.path.isfile(path):
        try:
            obj = ShaFile.from_path(path)
        except Exception:  # unreadable or malformed: the lookup below says what is wrong
            obj = None
        if isinstance(obj, Commit) and obj.id == sha:
            return obj
    return store.commit(sha)
