"""``transfer.py``'s fetch and push through the ``git`` binary (``gitwire.py``), same results.

Fetch: with the remote's refs in hand (a push or sync listed them), ``select`` picks, one
``git fetch-pack`` of them all (one negotiation) into the quarantine; without, one connection lists
and fetches (``transfer_one``). Push: the remote's tips from ``ls-remote``, ``decide`` names
the new ones, one ``git push`` of ``id:ref`` for each, never forced; or, when nothing else needs
the remote's refs first, the local tips pushed at once (``send_tips``: one connection). A remote that moved in between
is caught by git (not a fast-forward of its current tip, or its old value changed under
receive-pack's lock): that ref fails and ``sync`` goes round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from gx.errors import RemoteError
from gx.store import gitwire
from gx.store.refs import PREFIX, experiment_from_ref, experiment_ref
from gx.store.remote import Progress, Remote, remote_experiments
from gx.store.repo import Store
from gx.store.tagnames import TAGS_PREFIX

if TYPE_CHECKING:
    from gx.store.incoming import Quarantine
    from gx.store.transfer import Select, SendResult, TagUpdates
    from gx.store.transfer_one import Started

#: git's words for a ref that lost a race: another push moved it first.
RACED = ("lock", "fetch first", "non-fast-forward", "stale info")


def usable(store: Store, url: str) -> str | None:
    """The git binary to move objects with, or None for dulwich's transport (``gitwire.binary_for``)."""
    return gitwire.binary_for(store.paths.git_dir, url)


def _env(store: Store) -> dict[str, str]:
    return gitwire.clean_env(GIT_DIR=str(store.paths.git_dir))


def advertise(store: Store, git: str, url: str, label: str) -> dict[bytes, bytes]:
    """The remote's experiments and tags (the registry's among them) from one ``ls-remote``: what a
    whole push, pull or sync negotiates about."""
    return gitwire.ls_remote(git, url, [f"{PREFIX}*", f"{TAGS_PREFIX}*"], _env(store), label)


def fetch(store: Store, git: str, remote: Remote, select: Select, ref_prefix: bytes, quarantine: Quarantine,
          progress: Progress | None, advertised: dict[bytes, bytes] | None = None, started: Started | None = None,
          ) -> tuple[dict[str, bytes], dict[bytes, bytes]]:
    """The tips ``select`` picks among what was fetched into ``quarantine`` (checked, not yet admitted),
    and the remote's refs as listed. ``advertised``: the remote's refs already listed, fetched by one
    ``git fetch-pack`` of their names; without it, one connection lists and fetches
    (``transfer_one``). Tips already stored here are not fetched: git would find nothing to send."""
    if advertised is None:
        from gx.store import (
            transfer_one,  # dulwich's protocol code: only a fetch without a listing loads it
        )

        return transfer_one.fetch(store, git, remote, select, ref_prefix, quarantine, progress, started)
    refs = sorted(ref for ref, sha in advertised.items()
                  if ref.startswith(ref_prefix) and select({ref: sha}))  # type: ignore[dict-item]
    missing = [ref for ref in refs if advertised[ref] not in store.repo.object_store]
    fetched: dict[bytes, bytes] = {}
    if missing:
        from gx.store.incoming_git import fetch_into  # a fetch's: not loaded for a push

        config = str(store.paths.common_dir / "config")
        fetched = fetch_into(quarantine, git, config, remote.url, missing, remote.label, progress)
    return select({ref: fetched.get(ref, advertised[ref]) for ref in refs}), advertised  # type: ignore[arg-type]


def send(store: Store, git: str, remote: Remote, decide: Callable[[dict[str, bytes]], dict[str, bytes]],
         progress: Progress | None, result: SendResult, advertised: dict[bytes, bytes] | None = None,
         tags: TagUpdates | None = None) -> None:
    """Fill ``result`` as the dulwich push does: tips before, refs moved, refs refused and why.
    ``advertised``: the remote's refs already listed; a ref that moved since is refused and retried.
    ``tags``: registry tags moved in the same ``git push``, each leased on its old value."""
    if advertised is None:
        advertised = gitwire.ls_remote(git, remote.push_url, [f"{PREFIX}*"], _env(store), remote.label)
    result.before = remote_experiments(advertised, None)  # type: ignore[arg-type]
    result.updated = decide(dict(result.before))
    tag_refs = {f"{TAGS_PREFIX}{name}".encode(): name for name in tags or {}}
    if not result.updated and not tag_refs:
        return
    updates = {experiment_ref(name): sha for name, sha in result.updated.items()}
    leases: dict[bytes, bytes | None] = {}
    for ref, name in tag_refs.items():
        new, old = (tags or {})[name]
        updates[ref], leases[ref] = new.encode(), old.encode() if old else None
    pushed = _push(store, git, remote, updates, progress, result, leases)
    for ref, name in tag_refs.items():
        result.tags[name] = pushed.status.get(ref, "the remote did not report on it")


def send_tips(store: Store, git: str, remote: Remote, tips: dict[str, bytes], progress: Progress | None,
              result: SendResult, running: gitwire.Running | None = None) -> None:
    """Push ``tips`` without listing the remote's refs first (one connection instead of two), filling
    ``result`` as ``send`` does: ``before`` comes from git's report, for the refs that moved or
    already were there. A ref the remote holds history of that is not here is refused by git ("fetch
    first") and counted as a lost race: ``sync`` fetches, merges and goes round. ``running``: that
    push, started already (``gx push``'s head start)."""
    if not tips:
        return  # a refspec-less ``git push`` would push the current branch
    result.updated = dict(tips)
    updates = {experiment_ref(name): sha for name, sha in tips.items()}
    pushed = _push(store, git, remote, updates, progress, result, running=running)
    for ref, old in pushed.before.items():
        name = experiment_from_ref(ref)
        if name is None:
            continue
        if old is not None:
            result.before[name] = old
        if old == tips.get(name):
            result.updated.pop(name, None)  # already there: nothing moved


def _push(store: Store, git: str, remote: Remote, updates: dict[bytes, bytes], progress: Progress | None,
          result: SendResult, leases: dict[bytes, bytes | None] | None = None,
          running: gitwire.Running | None = None) -> gitwire.Pushed:
    """One ``git push`` of ``updates``; the experiment refs git refused go to ``result.failed`` (and
    out of ``result.updated``), those that lost a race to ``result.raced`` too."""
    pushed = gitwire.push(git, str(store.paths.git_dir), remote.push_url, updates, remote.label, progress, leases,
                          running)
    if pushed.unpack_failed:
        raise RemoteError(f"{remote.label} refused the push: {pushed.unpack_failed}")
    for ref in updates:
        name = experiment_from_ref(ref)
        reason = pushed.status.get(ref, "the remote did not report on it")
        if name is None or reason is None:
            continue
        result.failed[name] = f"{reason} (remote: {pushed.remote_said})" if pushed.remote_said else reason
        if any(word in reason for word in RACED):
            result.raced.add(name)
        result.updated.pop(name, None)
    return pushed
