"""The model registry over remotes: ``gx pull`` takes the remote's registry tags, ``gx push`` sends this
clone's (after renumbering what collided, see ``gx.models.reconcile``), and ``gx remote setup`` makes
plain ``git push`` carry them too (``push.followTags``: annotated tags on pushed history)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

from gx.errors import RemoteError
from gx.store.remote import Progress, Remote
from gx.store.repo import Store
from gx.store.tag_remote import fetch_registry_tags, registry_refs, send_registry_tags
from gx.store.tagnames import has_registry_tags, parse_tag_name
from gx.store.tags import list_tag_refs

ATTEMPTS = 8
FOLLOW_TAGS_MARK = "gx remote setup: registry tags"


@dataclass
class RegistrySync:
    received: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)


def pull_registry(store: Store, remote: Remote, progress: Progress | None = None,
                  fetched: dict[str, str] | None = None) -> RegistrySync:
    """Fetch the remote's registry tags (unless ``fetched`` already holds them) and join them with the
    local ones."""
    if fetched is None:
        fetched = fetch_registry_tags(store, remote, progress)
    if not fetched:
        return RegistrySync()  # nothing of the remote's to join: the registry's modules are not even loaded
    from gx.models.reconcile import reconcile

    done = reconcile(store, fetched, remote.label)
    return RegistrySync(done.received, [], done.renumbered)


@dataclass
class FirstRound:
    """The registry's part of a push's first round, sent in the experiments' own ``git push``."""

    out: RegistrySync
    updates: dict[str, tuple[str, str | None]]  # name -> (new id, the remote's id or None)
    pending: list[str]
    refused: dict[str, str] = field(default_factory=dict)

    def record(self, statuses: dict[str, str | None]) -> None:
        """What the remote did with ``updates`` (None: moved)."""
        for name in sorted(self.updates):
            reason = statuses.get(name, "not sent")
            if reason is None:
                self.out.sent.append(name)
            else:
                self.refused[name] = reason


def first_round(store: Store, remote: Remote, advertised: dict[bytes, bytes] | None,
                progress: Progress | None = None) -> FirstRound | None:
    """Reconcile with the tags ``advertised`` lists and pick the tags to send with the experiments;
    None on dulwich's transport (its rounds stay in ``push_registry``)."""
    if advertised is None:
        return None
    out = RegistrySync()
    before = registry_refs(advertised)
    if not before and not has_registry_tags(store.paths):
        return FirstRound(out, {}, [])  # neither side has a registry: nothing to negotiate
    decide, pending = _round(store, remote, progress, advertised, out)
    return FirstRound(out, {name: (sha, before.get(name)) for name, sha in decide(dict(before)).items()}, pending)


def _round(store: Store, remote: Remote, progress: Progress | None, listed: dict[bytes, bytes] | None,
           out: RegistrySync) -> tuple[Callable[[dict[str, str]], dict[str, str]], list[str]]:
    """Fetch and reconcile the remote's tags; returns ``decide(the remote's tags)``, naming the local
    tags it lacks or holds an older edit of, and the list it fills with names someone else pushed."""
    from gx.models.reconcile import newer_edit, reconcile

    done = reconcile(store, fetch_registry_tags(store, remote, progress, listed), remote.label)
    out.received += done.received
    out.renumbered += done.renumbered
    local = {n: s for n, s in list_tag_refs(store.paths).items() if parse_tag_name(n) is not None}
    pending: list[str] = []

    def decide(before: dict[str, str]) -> dict[str, str]:
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

    return decide, pending


def push_registry(store: Store, remote: Remote, progress: Progress | None = None,
                  attempts: int = ATTEMPTS, first: FirstRound | None = None) -> RegistrySync:
    """Fetch, reconcile, then send every local registry tag the remote lacks (or holds an older edit
    of); a tag another clone pushed meanwhile makes it go round again. ``first``: the first round,
    already sent with the experiments (the next rounds list the remote's tags again)."""
    out = RegistrySync() if first is None else first.out
    if first is not None and not (first.refused or first.pending):
        return out
    for attempt in range(attempts):
        if first is not None or attempt:
            time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
        decide, pending = _round(store, remote, progress, None, out)
        result = send_registry_tags(store, remote, decide, progress)
        out.sent += sorted(result.sent)
        if not (result.refused or result.busy or pending):
            return out
    raise RemoteError(f"gave up pushing registry tags to {remote.label} after {attempts} attempts: other clones kept "
                      "pushing; nothing was lost, run 'gx push' again")


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
