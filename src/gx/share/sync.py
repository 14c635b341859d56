"""``push`` and ``sync`` of experiments (``pull`` is in ``pull.py``).

Diverged experiments are joined by merge commits, never rewritten or force-pushed; a push the remote
refuses because it moved meanwhile is retried after fetching and merging.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gx.errors import RemoteError
from gx.share.head_start import needs_nothing_first, take
from gx.share.pull import (
    ExperimentSync,
    fetch_and_merge,
    integrate_all,
    opened_store,
    opened_with,
    pull,
    set_tracking,
    tracking_refspec,
)
from gx.store.refs import pick_experiments, wanted_experiments
from gx.store.remote import Progress, Remote, resolve_remote
from gx.store.repo import Store

if TYPE_CHECKING:
    from gx.store.transfer import SendResult

__all__ = ["EXPERIMENTS_PUSH", "PUSH_ATTEMPTS", "ExperimentSync", "opened_store", "pull", "push", "sync",
           "tracking_refspec"]

#: Rounds of push -> (refused: the remote moved) -> fetch + merge -> push, before giving up.
PUSH_ATTEMPTS = 10
EXPERIMENTS_PUSH = "refs/experiments/*:refs/experiments/*"


# -- push ------------------------------------------------------------------------------------
def push(remote: str | None = None, experiments: Iterable[str] | None = None,
         progress: Progress | None = None, store: Store | None = None,
         attempts: int = PUSH_ATTEMPTS) -> list[ExperimentSync]:
    """Send local experiments; a diverged or raced experiment is fetched, merged and sent again.

    Remote refs only ever move forward (old tip -> a descendant), so nobody's runs are overwritten.
    With git's transport, a clone with no LFS content and no registry tags sends its tips at once,
    without listing the remote's refs first: one connection, as ``git push`` makes.
    """
    from gx.store.transfer import advertised_refs, send_tips
    head = take("push", remote, experiments) if store is None else None  # the CLI's: the same decisions, made first
    with opened_store(store) as st:
        rem, wanted = (head.remote if head else resolve_remote(st, remote)), wanted_experiments(experiments)
        local = head.tips if head else pick_experiments(st.experiments(), wanted)  # an unknown name: an error, no connection
        first = None
        if head or (local and needs_nothing_first(st.paths)):
            first = send_tips(st, rem, local, progress, head.running if head else None)
        advertised = None if first is not None else advertised_refs(st, rem, push=True)
        return _push(st, rem, wanted, progress, attempts, advertised, first)


def _push(st: Store, rem: Remote, wanted: set[str] | None, progress: Progress | None, attempts: int,
          advertised: dict[bytes, bytes] | None, first: SendResult | None = None) -> list[ExperimentSync]:
    """``push``; ``advertised``: the remote's refs as listed at the start (the first round asks no more);
    ``first``: the first round, already sent without a listing (``send_tips``)."""
    from gx.lfs.push import upload_before_refs
    from gx.store.transfer import fetch_experiments, send_experiments
    pending = set(pick_experiments(st.experiments(), wanted))
    results = {name: ExperimentSync(name, rem.label) for name in pending}
    refused: dict[str, tuple[bytes | None, str]] = {}
    registry = None  # the model registry's tags (issue 11) ride in the first push (fetched from the fetch
    if first is None:  # URL); a first round sent blind had none to send (its clone has no registry tags)
        from gx.share.registry import first_round
        registry = first_round(st, rem, advertised if rem.push_url == rem.url else None, progress)
    listed = None  # the remote's refs as the last round's fetch listed them (git's transport)
    for attempt in range(attempts):
        decide = functools.partial(_decide, st, pending=pending, results=results)
        decide = upload_before_refs(st, rem, decide)  # issue 14: LFS content reaches the remote first
        if attempt == 0 and first is not None:
            sent = first  # the runs it sent, counted from the old tips git reported
            _decide(st, sent.before, pending=set(sent.updated), results=results)
        elif attempt == 0:
            sent = send_experiments(st, rem, decide, progress, advertised, registry.updates if registry else None)
            if registry is not None:
                registry.record(sent.tags)
        else:
            sent = send_experiments(st, rem, decide, progress, listed)
        done = {n for n in pending if n in sent.updated or sent.before.get(n) == st.tip(n)}
        for name in done:
            set_tracking(st, rem, name, sent.updated.get(name) or sent.before[name])
        for name, reason in sent.failed.items():
            if name in sent.raced:
                continue
            if name in refused and refused[name][0] == sent.before.get(name):
                raise RemoteError(f"{rem.label} refused refs/experiments/{name}: {reason}")
            refused[name] = (sent.before.get(name), reason)
        pending -= done
        if not pending:
            break
        if (sent.failed or sent.busy or attempt) and sent is not first:  # lost a race: back off, then fetch
            # and push at once (a first round sent blind was refused for what it could not know: no wait)
            time.sleep(min(3.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
        fetched = fetch_experiments(st, rem, pending, progress)
        listed = fetched.listed if rem.push_url == rem.url else None  # a ref moved since is refused again
        for name, reason in fetched.refused.items():  # their copy would break this repository
            results[name].skipped = f"{rem.label}'s refs/experiments/{name} was refused: {reason}"
            pending.discard(name)
        if not pending:
            break
        tips = fetched.tips
        for result in integrate_all(st, rem, {n: t for n, t in tips.items() if n in pending}, None, True):
            got = results[result.experiment]
            got.received += result.received
            got.merged |= result.merged
            got.fast_forward |= result.fast_forward
    else:
        raise RemoteError(f"gave up pushing {', '.join(sorted(pending))} to {rem.label} after {attempts} "
                          "attempts: the remote kept moving; nothing was lost, run 'gx push' again")
    if first is None:
        from gx.share.registry import push_registry
        push_registry(st, rem, progress, first=registry)  # tags refused or raced go round again
    return sorted(results.values(), key=lambda r: r.experiment)


def _decide(store: Store, remote_tips: dict[str, bytes], *, pending: set[str],
            results: dict[str, ExperimentSync]) -> dict[str, bytes]:
    """Which refs to move: those whose remote tip we contain; the rest need a fetch and merge first."""
    from gx.store.merge import count_runs, relate
    out = {}
    for name in sorted(pending):
        local, theirs = store.tip(name), remote_tips.get(name)
        result = results[name]
        result.created, result.sent = ("remote" if theirs is None else ""), 0
        if local is None or theirs == local:
            continue
        if theirs is None:
            out[name], result.sent = local, count_runs(store, local)
        elif theirs in store.repo.object_store:
            rel = relate(store, local, theirs)
            if rel.local_has_remote:
                out[name], result.sent = local, rel.local_only_runs
    return out


def sync(remote: str | None = None, experiments: Iterable[str] | None = None,
         progress: Progress | None = None, store: Store | None = None) -> list[ExperimentSync]:
    """Pull every experiment of the remote, then push every local one: both sides end equal."""
    head = take("sync", remote, experiments) if store is None else None  # the CLI's: its connection, begun first
    with opened_with(head, store) as st:
        rem = head.remote if head else resolve_remote(st, remote)
        early = head.started if head else None
        done, advertised = fetch_and_merge(st, rem, wanted_experiments(experiments), True, progress, early)
        pulled = {r.experiment: r for r in done}
        wanted = [n for n in (experiments or st.experiments()) if n in st.experiments()]
        if rem.push_url != rem.url:
            advertised = None  # pushes go elsewhere: list that remote's refs there
        pushed = _push(st, rem, wanted_experiments(wanted), progress, PUSH_ATTEMPTS, advertised) if wanted else []
    for result in pushed:
        before = pulled.get(result.experiment)
        if before is not None:
            result.received += before.received
            result.merged |= before.merged
            result.fast_forward |= before.fast_forward
            result.created = result.created or before.created
        pulled[result.experiment] = result
    return sorted(pulled.values(), key=lambda r: r.experiment)
