"""Deleting and restoring runs: tombstone commits appended to the history, never a rewrite."""

from __future__ import annotations

from gx.errors import UnknownRun
from gx.query.runs import RunRef, load_summary, open_store, resolve_run
from gx.store import objects as gobj


def delete_run(run_id: str) -> RunRef:
    """Hide a run by appending a tombstone commit (history is never rewritten)."""
    return _tombstone(run_id, gobj.KIND_DELETE)


def restore_run(run_id: str) -> RunRef:
    """Undo a deletion by appending a restore event."""
    return _tombstone(run_id, gobj.KIND_RESTORE)


def _tombstone(run_id: str, kind: str) -> RunRef:
    from gx.store.write import write_tombstone

    with open_store() as store:
        ref = resolve_run(store, run_id)
        if ref.deleted == (kind == gobj.KIND_DELETE):
            state = "deleted" if ref.deleted else "not deleted"
            raise UnknownRun(f"run {ref.run_id[:12]} is already {state}")
        name = load_summary(store, ref).name
        write_tombstone(store, ref.experiment, ref.run_id, kind, name)
        ref.deleted = kind == gobj.KIND_DELETE
        return ref
