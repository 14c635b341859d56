"""Deleting and restoring runs: tombstone commits appended to the history, never a rewrite.

The latest event in history order wins, whatever date a commit claims; so before appending, the
experiment's remote-tracking tips (a teammate's deletion fetched by plain ``git fetch``) are merged
into the local ref, which puts the new event on top of every event the user can see.
"""

from __future__ import annotations

from gx.errors import GxError, UnknownRun
from gx.query.runs import RunRef, load_summary, open_store, resolve_run, with_index
from gx.store import objects as gobj
from gx.store.repo import Store


def delete_run(run_id: str) -> RunRef:
    """Hide a run by appending a tombstone commit (history is never rewritten)."""
    return _tombstone(run_id, gobj.KIND_DELETE)


def restore_run(run_id: str) -> RunRef:
    """Undo a deletion by appending a restore event; verified to make the run visible."""
    return _tombstone(run_id, gobj.KIND_RESTORE)


def _tombstone(run_id: str, kind: str) -> RunRef:
    from gx.store.write import write_tombstone

    with open_store() as store:
        ref = resolve_run(store, run_id)
        if ref.deleted == (kind == gobj.KIND_DELETE):
            state = "deleted" if ref.deleted else "not deleted"
            raise UnknownRun(f"run {ref.run_id[:12]} is already {state}")
        name = load_summary(store, ref).name
        _merge_fetched_tips(store, ref.experiment)
        write_tombstone(store, ref.experiment, ref.run_id, kind, name)
        ref.deleted = kind == gobj.KIND_DELETE
        if _is_deleted(store, ref) != ref.deleted:
            verb = "restored" if kind == gobj.KIND_RESTORE else "deleted"
            raise GxError(f"run {ref.run_id[:8]} could not be {verb}: a newer event in '{ref.experiment}' "
                          "overrides it; run 'gx pull' and try again")
        return ref


def _is_deleted(store: Store, ref: RunRef) -> bool:
    from gx.store.history import read_history

    gone = with_index(store, lambda index: (ref.experiment, ref.run_id) in index.deleted([ref.experiment]))
    return gone if gone is not None else ref.run_id in read_history(store, ref.experiment).deleted


def _merge_fetched_tips(store: Store, experiment: str) -> None:
    """Join remote-tracking tips of ``experiment`` into the local ref (as ``gx pull`` would)."""
    from gx.store.merge import integrate

    for ref, (name, tip) in store.experiment_refs().items():
        if name == experiment and ref.startswith(b"refs/remotes/"):
            remote = ref[len(b"refs/remotes/"):].split(b"/experiments/", 1)[0].decode("utf-8", "replace")
            integrate(store, experiment, tip, remote)
