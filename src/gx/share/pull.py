"""``pull``: the remote's experiments fetched (checked in a quarantine), then merged into the local ones;
and what ``push`` and ``sync`` (``sync.py``) share with it: the results, the store, tracking refs.

Diverged experiments are joined by merge commits, never rewritten.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gx.errors import BadName, GxWarning, RemoteError
from gx.share.head_start import HeadStart, take
from gx.store import transfer_git
from gx.store.gitconfig import config_values
from gx.store.refs import PREFIX, experiment_from_ref, tracking_prefix, wanted_experiments
from gx.store.remote import Progress, Remote, resolve_remote
from gx.store.repo import Store

if TYPE_CHECKING:
    from gx.store.transfer import Fetched
    from gx.store.transfer_one import Started

# Merging, transfer and LFS code is imported where used: a pull's connection starts first, and the
# remote answers (an ssh handshake away) while that code loads.


def tracking_refspec(remote: str) -> str:
    """The fetch refspec ``gx remote setup`` adds: never ``+`` into ``refs/experiments/``."""
    return f"+{PREFIX}*:{tracking_prefix(remote)}*"


@dataclass
class ExperimentSync:
    """What push/pull/sync did to one experiment."""

    experiment: str
    remote: str = ""  # the remote's name, or its URL
    received: int = 0  # runs that came from the remote into the local experiment
    sent: int = 0  # runs the remote did not have and now has
    created: str = ""  # "local" or "remote": the experiment was new on that side
    merged: bool = False  # a merge commit joined diverged histories
    fast_forward: bool = False
    skipped: str = ""  # why the experiment was left alone


@contextmanager
def opened_store(store: Store | None) -> Iterator[Store]:
    if store is not None:
        yield store
        return
    from gx.paths import find_repo

    paths = find_repo()
    if paths.has_run_journals():  # a run may have died: record it first (else no tracking or yaml code loads)
        from gx.tracking.finalize import recover_dead_runs

        recover_dead_runs(paths)
    with Store(paths) as own:
        yield own


@contextmanager
def opened_with(head: HeadStart | None, store: Store | None) -> Iterator[Store]:
    """``opened_store``, or the store a fetch's head start opened (``head_start``): closed on the way out."""
    if head is None:
        with opened_store(store) as st:
            yield st
        return
    with head.stack:
        yield head.store  # type: ignore[misc]


# -- pull ------------------------------------------------------------------------------------
def _fetched(remote: Remote, fetched: Fetched) -> dict[str, bytes]:
    """The tips to merge; each refused experiment is one warning line (nothing of it was stored)."""
    for name, reason in sorted(fetched.refused.items()):
        warnings.warn(f"gx: not pulling refs/experiments/{name} from {remote.label}: {reason} "
                      "(nothing of it was stored)", GxWarning, stacklevel=3)
    return fetched.tips


def _tracking_enabled(store: Store, remote: Remote) -> bool:
    return remote.name is not None and tracking_refspec(remote.name) in config_values(
        store, ("remote", remote.name), "fetch")


def set_tracking(store: Store, remote: Remote, experiment: str, sha: bytes) -> None:
    """Keep ``refs/remotes/<r>/experiments/*`` current, as git does for refs its refspecs map."""
    if _tracking_enabled(store, remote):
        store.repo.refs[remote.tracking_ref(experiment)] = sha


def integrate_all(store: Store, remote: Remote, tips: dict[str, bytes], wanted: set[str] | None,
                   fetched: bool) -> list[ExperimentSync]:
    from gx.store.merge import FAST_FORWARD, MERGED, NEW, integrate
    out = []
    for name in sorted(wanted - set(tips)) if wanted else []:
        out.append(ExperimentSync(name, remote.label, skipped=f"not on {remote.label}"))
    for name, tip in sorted(tips.items()):
        result = ExperimentSync(name, remote.label)
        out.append(result)
        if not store.is_gx_commit(tip):
            result.skipped = f"{remote.label}'s refs/experiments/{name} is not a gx experiment"
            continue
        if fetched:
            set_tracking(store, remote, name, tip)
        try:
            done = integrate(store, name, tip, remote.label)
        except BadName as exc:
            result.skipped = str(exc)
            continue
        result.received = done.received
        result.created = "local" if done.action == NEW else ""
        result.merged, result.fast_forward = done.action == MERGED, done.action == FAST_FORWARD
    return sorted(out, key=lambda r: r.experiment)


def pull(remote: str | None = None, experiments: Iterable[str] | None = None, fetch: bool = True,
         progress: Progress | None = None, store: Store | None = None) -> list[ExperimentSync]:
    """Fetch the remote's experiments and merge them into the local ones (fast-forward when possible).

    With ``fetch=False`` nothing is downloaded: what a plain ``git fetch`` left in
    ``refs/remotes/<remote>/experiments/*`` is merged.
    """
    head = take("pull", remote, experiments) if store is None and fetch else None  # the CLI's, begun first
    with opened_with(head, store) as st:
        rem = head.remote if head else resolve_remote(st, remote)
        return fetch_and_merge(st, rem, wanted_experiments(experiments), fetch, progress, head.started if head else None)[0]


def fetch_and_merge(st: Store, rem: Remote, wanted: set[str] | None, fetch: bool, progress: Progress | None,
                    early: Started | None = None) -> tuple[list[ExperimentSync], dict[bytes, bytes] | None]:
    """``pull``, and the remote's refs as listed (git's transport: one connection lists and fetches
    experiments and registry tags together), for a push that follows. ``early``: that connection,
    begun by the command's head start."""
    advertised, registry_tags = None, None
    git = transfer_git.usable(st, rem.url) if fetch else None
    if git is not None:
        from gx.store import transfer_one  # dulwich's client: a fetch's, not a push's or a merge's
        with nullcontext(early) if early else transfer_one.started(st, git, rem) as started:
            from gx.store.transfer import fetch_shared  # loaded while the remote answers
            experiments_fetched, tags_fetched = fetch_shared(st, rem, wanted, progress, started)
        tips, advertised = _fetched(rem, experiments_fetched), experiments_fetched.listed
        registry_tags = tags_fetched.tag_ids(rem)
    elif fetch:
        from gx.store.transfer import fetch_experiments
        tips = _fetched(rem, fetch_experiments(st, rem, wanted, progress))
    else:
        if rem.name is None:
            raise RemoteError("merging without fetching needs a remote name, not a URL")
        prefix = tracking_prefix(rem.name)
        tips = {}
        for sub, sha in st.repo.refs.as_dict(prefix.encode()).items():
            name = experiment_from_ref(b"refs/experiments/" + sub)
            if name is not None and (wanted is None or name in wanted):
                tips[name] = sha
    results = integrate_all(st, rem, tips, wanted, fetched=fetch)
    if fetch and registry_tags != {}:  # the remote's model registry tags to join (issue 11); None: not
        from gx.share.registry import pull_registry  # fetched yet (dulwich's transport)
        pull_registry(st, rem, progress, registry_tags)
    return results, advertised
