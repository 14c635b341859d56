"""The model registry over remotes: ``gx pull`` takes the remote's registry tags, ``gx push`` sends this
clone's (after renumbering what collided, see ``gx.models.reconcile``), and ``gx remote setup`` makes
plain ``git push`` carry them too (``push.followTags``: annotated tags on pushed history)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from gx.errors import RemoteError
from gx.models.reconcile import Reconciled, newer_edit, reconcile
from gx.store.remote import Progress, Remote
from gx.store.repo import Store
from gx.store.tag_remote import fetch_registry_tags, send_registry_tags
from gx.store.tagnames import parse_tag_name
from gx.store.tags import list_tag_refs

ATTEMPTS = 8
FOLLOW_TAGS_MARK = "gx remote setup: registry tags"


@dataclass
class RegistrySync:
    received: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)


def pull_registry(store: Store, remote: Remote, progress: Progress | None = None) -> RegistrySync:
    """Fetch the remote's registry tags and join them with the local ones."""
    done = reconcile(store, fetch_registry_tags(store, remote, progress), remote.label)
    return RegistrySync(done.received, [], done.renumbered)


def push_registry(store: Store, remote: Remote, progress: Progress | None = None,
                  attempts: int = ATTEMPTS) -> RegistrySync:
    """Fetch, reconcile, then send every local registry tag the remote lacks (or holds an older edit
    of); a tag another clone pushed meanwhile makes it go round again."""
    out = RegistrySync()
    for attempt in range(attempts):
        done: Reconciled = reconcile(store, fetch_registry_tags(store, remote, progress), remote.label)
        out.received += done.received
        out.renumbered += done.renumbered
        local = {n: s for n, s in list_tag_refs(store.paths).items() if parse_tag_name(n) is not None}
        pending: list[str] = []

        def decide(before: dict[str, str], local: dict[str, str] = local, pending: list[str] = pending) -> dict[str, str]:
            send = {}
            for name, sha in sorted(local.items()):
                theirs = before.get(name)
                if theirs == sha:
                    continue
                if theirs is None or newer_edit(store, name, sha, theirs):
                    send[name] = sha
                elif newer_edit(store, name, sha, theirs) is None:
                    pending.append(name)  # someone pushed this name meanwhile: reconcile, then retry
            return send

        result = send_registry_tags(store, remote, decide, progress)
        out.sent += sorted(result.sent)
        if not (result.refused or result.busy or pending):
            return out
        time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
    raise RemoteError(f"gave up pushing registry tags to {remote.label} after {attempts} attempts: other clones kept "
                      "pushing; nothing was lost, run 'gx push' again")


def sync_registry(store: Store, remote: Remote, send: bool, progress: Progress | None = None) -> RegistrySync:
    """What ``gx pull`` (``send=False``) and ``gx push`` (``send=True``) do with the registry."""
    return push_registry(store, remote, progress) if send else pull_registry(store, remote, progress)


def setup_follow_tags(store: Store, path: str) -> list[tuple[str, str, str]]:
    """Set ``push.followTags`` (unless the user set it either way): plain ``git push`` then sends the
    annotated tags that point into the history it pushes — the registry's, since their runs ride
    along. ``git fetch`` already follows such tags. Returns the lines added as (key, value, why)."""
    from gx.store.gitconfig import _read_lines, _write_locked, config_value

    if config_value(store, ("push",), "followTags") is not None:
        return []
    lines = _read_lines(path)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines += [f"[push] # {FOLLOW_TAGS_MARK}\n", f"\tfollowTags = true # {FOLLOW_TAGS_MARK}\n"]
    _write_locked(path, "".join(lines))
    return [("push.followTags", "true", "git push also sends the model registry's tags (gx models)")]


def undo_follow_tags(path: str) -> list[tuple[str, str, str]]:
    """Remove exactly the lines ``setup_follow_tags`` added."""
    from gx.store.gitconfig import _read_lines, _write_locked

    lines = _read_lines(path)
    kept = [line for line in lines if not line.rstrip("\n").endswith(f"# {FOLLOW_TAGS_MARK}")]
    if len(kept) == len(lines):
        return []
    _write_locked(path, "".join(kept))
    return [("push.followTags", "true", "")]
