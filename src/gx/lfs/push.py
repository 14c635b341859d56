"""Content before refs: the LFS objects of the runs a push sends reach the remote before its refs move,
so a run never arrives without its content. ``gx push``/``gx sync`` call ``upload_before_refs``; a
plain ``git push`` of experiment refs calls ``upload_pushed_refs`` from gx's pre-push hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gx.lfs import has_lfs_store

if TYPE_CHECKING:
    from gx.store.remote import Remote
    from gx.store.repo import Store

_ZERO = b"0" * 40
Decide = Callable[[dict[str, bytes]], dict[str, bytes]]


def upload_runs(store: Store, remote_url: str, tips: list[bytes], have: list[bytes], remote: str | None) -> int:
    """Upload the objects of the runs reachable from ``tips`` and not from ``have``; how many objects
    the runs name (those the remote already holds are skipped). A clone whose LFS store was never
    created has nothing to send: its push skips the scan (a first push of 10k runs would pay seconds)."""
    if not has_lfs_store(store.paths.common_dir):
        return 0
    from gx.lfs.remote import push_objects  # only a clone with LFS content pays for these
    from gx.lfs.scan import history_pointers

    pointers = list(history_pointers(store, tips, have).values())
    push_objects(store.paths.common_dir, remote_url, pointers, remote=remote)
    return len(pointers)


def upload_before_refs(store: Store, remote: Remote, decide: Decide) -> Decide:
    """``decide`` (remote tips -> the new tips to send), uploading the new runs' LFS objects first: it is
    called before the pack is sent and the remote's refs move."""

    def deciding(remote_tips: dict[str, bytes]) -> dict[str, bytes]:
        new = decide(remote_tips)
        if new:
            upload_runs(store, remote.push_url, list(new.values()), list(remote_tips.values()), remote.name)
        return new

    return deciding


def upload_pushed_refs(store: Store, remote: str | None, remote_url: str, pushed: str) -> int:
    """For the pre-push hook: the objects of the experiment refs git is about to push (its standard input,
    ``<local ref> <local sha> <remote ref> <remote sha>`` per line); the number of objects named."""
    tips, have = [], []
    for line in pushed.splitlines():
        fields = line.split()
        if len(fields) != 4 or not fields[2].startswith("refs/experiments/") or fields[1].encode() == _ZERO:
            continue
        local, theirs = fields[1].encode(), fields[3].encode()
        if local in store.repo.object_store:
            tips.append(local)
        if theirs != _ZERO:
            have.append(theirs)
    return upload_runs(store, remote_url, tips, have, remote) if tips else 0
