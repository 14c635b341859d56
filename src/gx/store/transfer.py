"""What moves over a connection to a remote: fetching experiment refs, and sending updates.

Fetched objects are checked in a quarantine before any of them is stored (``incoming.py``); an
experiment whose history would break this repository is refused, the others arrive. Pushes to a
repository on this machine go through its own receive side (``receive.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Union

from gx.errors import GxWarning, RemoteError
from gx.store import commitgraph, gitwire, transfer_git
from gx.store.refs import PREFIX, experiment_ref
from gx.store.remote import Progress, Remote, remote_experiments
from gx.store.repo import Store
from gx.store.tagnames import TAGS_PREFIX, registry_refs

if TYPE_CHECKING:
    from gx.store import transfer_one


@dataclass
class Fetched:
    """The remote's experiments whose new history passed the checks (now stored), and the refused ones."""

    tips: dict[str, bytes] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # experiment -> why nothing of it was stored
    listed: dict[bytes, bytes] | None = None  # the remote's refs as git's transport saw them, for a push

    def tag_ids(self, remote: Remote) -> dict[str, str]:
        """For a fetch of registry tags: the tags that passed the checks, by name; each refused one is
        one warning."""
        for name, why in sorted(self.refused.items()):
            warnings.warn(f"gx: not pulling registry tag {name} from {remote.label}: {why}", GxWarning, stacklevel=3)
        return {name: sha.decode() for name, sha in self.tips.items()}


#: Picks the refs to fetch from what the remote advertises: ``{name: object id}``.
Select = Callable[[dict[bytes, bytes | None]], dict[str, bytes]]


#: Which fetched refs may be annotated tags: all (True), none (False), those named, or those named
#: by a function of the refs fetched.
Tags = Union[bool, AbstractSet[str], Callable[[dict[str, bytes]], AbstractSet[str]]]


def advertised_refs(store: Store, remote: Remote, push: bool = False) -> dict[bytes, bytes] | None:
    """The remote's experiments and tags from one ``git ls-remote``, for a whole push to reuse; None
    on dulwich's transport (it lists the refs as it connects)."""
    url = remote.push_url if push else remote.url
    git = transfer_git.usable(store, url)
    return None if git is None else transfer_git.advertise(store, git, url, remote.label)


def fetch_experiments(store: Store, remote: Remote, wanted: set[str] | None, progress: Progress | None = None,
                      ) -> Fetched:
    """Download the objects of the remote's experiment refs, check them, and store those that pass."""
    return fetch_refs(store, remote, lambda refs: remote_experiments(refs, wanted), PREFIX.encode(), progress)


def _registry(found: dict[str, bytes]) -> set[str]:
    return {ref for ref in found if ref.startswith(TAGS_PREFIX)}


def fetch_shared(store: Store, remote: Remote, wanted: set[str] | None, progress: Progress | None = None,
                 started: transfer_one.Started | None = None) -> tuple[Fetched, Fetched]:
    """Experiments and the registry's tags in one connection and one negotiation (one quarantine):
    ``(experiments, registry tags)``, each checked as ``fetch_refs`` checks them; the experiments'
    ``listed`` holds the remote's refs for a push that follows (git's transport); ``started``: the
    connection ``transfer_one.started`` began for it."""

    def select(refs: dict[bytes, bytes | None]) -> dict[str, bytes]:
        found = {experiment_ref(n).decode(): sha for n, sha in remote_experiments(refs, wanted).items()}
        found.update({TAGS_PREFIX + n: sha.encode() for n, sha in registry_refs(refs).items()})
        return found

    both = fetch_refs(store, remote, select, b"refs/", progress, tags=_registry, started=started)
    experiments, tags = Fetched(listed=both.listed), Fetched()
    for ref, sha in both.tips.items():
        if ref.startswith(TAGS_PREFIX):
            tags.tips[ref[len(TAGS_PREFIX):]] = sha
        else:
            experiments.tips[ref[len(PREFIX):]] = sha
    for ref, why in both.refused.items():
        if ref.startswith(TAGS_PREFIX):
            tags.refused[ref[len(TAGS_PREFIX):]] = why
        else:
            experiments.refused[ref[len(PREFIX):]] = why
    return experiments, tags


def fetch_refs(store: Store, remote: Remote, select: Select, ref_prefix: bytes, progress: Progress | None = None,
               tags: Tags = False, advertised: dict[bytes, bytes] | None = None,
               started: transfer_one.Started | None = None) -> Fetched:
    """Download the objects of the refs ``select`` picks (commits; with ``tags`` also annotated tags:
    all, those named, or those a function of the picked refs names), check them in a quarantine, and
    store those whose new history passes. No local ref moves. ``advertised``: the remote's refs as
    ``advertised_refs`` listed them; ``started``: the one connection, begun by the caller."""
    git = transfer_git.usable(store, remote.url)
    if started is not None or git is None or advertised is not None:
        return _fetch_refs(store, remote, select, ref_prefix, progress, tags, advertised, git, started)
    from gx.store import transfer_one

    with transfer_one.started(store, git, remote) as early:  # first: the remote answers while the
        return _fetch_refs(store, remote, select, ref_prefix, progress, tags, None, git, early)  # rest loads


def _fetch_refs(store: Store, remote: Remote, select: Select, ref_prefix: bytes, progress: Progress | None,
                tags: Tags, advertised: dict[bytes, bytes] | None, git: str | None,
                started: transfer_one.Started | None) -> Fetched:
    from gx.store.fsckpolicy import FsckPolicy  # a fetch's: not loaded for a push
    from gx.store.incoming import Quarantine

    found: dict[str, bytes] = {}
    policy = FsckPolicy.for_fetch(store.repo.get_config_stack())

    def allowed(found: dict[str, bytes]) -> bool | AbstractSet[str]:
        return tags(found) if callable(tags) else tags

    if git is not None:
        try:
            with Quarantine(store.repo.object_store, alternate=False) as quarantine:
                found, listed = transfer_git.fetch(store, git, remote, select, ref_prefix, quarantine, progress,
                                                   advertised, started)
                verdict = quarantine.admit(found, policy, allowed(found))
                commitgraph.remember(store, quarantine.commits)  # a new experiment's runs counted from them
            return Fetched(verdict.accepted, verdict.refused, listed)
        except RemoteError:  # git would not take the remote's pack (hostile objects, broken links...):
            found = {}  # dulwich reads what it can and the checks refuse only what they must
    from gx.store import (
        transfer_dulwich,  # http(s), no git, GX_GIT_BINARY=0, or git refused the pack
    )

    with Quarantine(store.repo.object_store) as quarantine:
        transfer_dulwich.fetch(store, remote, select, ref_prefix, found, quarantine, progress)
        verdict = quarantine.admit(found, policy, allowed(found))
        commitgraph.remember(store, quarantine.commits)
    return Fetched(verdict.accepted, verdict.refused)


@dataclass
class SendResult:
    """What the remote did with the updates ``decide`` asked for."""

    before: dict[str, bytes]  # the remote's experiment tips when we connected
    updated: dict[str, bytes]
    failed: dict[str, str]  # experiment -> the remote's reason
    busy: bool = False  # a local remote's ref was locked by another push: nothing is known, retry
    raced: set[str] = field(default_factory=set)  # failed because another push held the ref's lock
    tags: dict[str, str | None] = field(default_factory=dict)  # registry tags sent along: None, or why not


#: Registry tags to send in the same push: ``{name: (new id, the remote's id or None)}``.
TagUpdates = dict[str, tuple[str, "str | None"]]


def send_experiments(store: Store, remote: Remote, decide: Callable[[dict[str, bytes]], dict[str, bytes]],
                     progress: Progress | None = None, advertised: dict[bytes, bytes] | None = None,
                     tags: TagUpdates | None = None) -> SendResult:
    """Push: ``decide(remote tips)`` names the new tips; the remote moves each ref only if unchanged.

    receive-pack checks every ref's old value under its lock, so a racing push is refused, not lost.
    ``tags`` (git's transport only): registry tags to move in the same push, each from its old value.
    """
    result = SendResult({}, {}, {})
    git = transfer_git.usable(store, remote.push_url)
    if git is not None:
        transfer_git.send(store, git, remote, decide, progress, result, advertised, tags)
        return result
    from gx.store import transfer_dulwich

    return transfer_dulwich.send(store, remote, decide, progress, result)


def send_tips(store: Store, remote: Remote, tips: dict[str, bytes], progress: Progress | None = None,
              running: gitwire.Running | None = None) -> SendResult | None:
    """Push ``tips`` in one connection, without asking for the remote's refs first; ``before`` holds
    the remote's old tips of the refs that moved or already were there, ``failed`` those it refused
    (a diverged one as a lost race). None on dulwich's transport, which lists the refs as it connects.
    ``running``: that ``git push``, started already (``gx push``'s head start)."""
    git = running.git if running is not None else transfer_git.usable(store, remote.push_url)
    if git is None:
        return None
    result = SendResult({}, {}, {})
    transfer_git.send_tips(store, git, remote, tips, progress, result, running)
    return result
