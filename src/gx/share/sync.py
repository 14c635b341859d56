"""``push``, ``pull`` and ``sync`` of experiments through dulwich.

Diverged experiments are joined by merge commits, never rewritten or force-pushed; a push the remote
refuses because it moved meanwhile is retried after fetching and merging.
"""

from __future__ import annotations

import functools
import random
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gx.errors import BadName, GxWarning, RemoteError, UnknownExperiment
from gx.store import transfer_git
from gx.store.gitconfig import config_values
from gx.store.refs import PREFIX, experiment_from_ref, tracking_prefix, validate_experiment
from gx.store.remote import Progress, Remote, resolve_remote
from gx.store.repo import Store

if TYPE_CHECKING:
    from gx.store.transfer import Fetched, SendResult

# Merging, transfer and LFS code is imported where used: a pull's connection starts first, and the
# remote answers (an ssh handshake away) while that code loads.

#: Rounds of push -> (refused: the remote moved) -> fetch + merge -> push, before giving up.
PUSH_ATTEMPTS = 10
EXPERIMENTS_PUSH = "refs/experiments/*:refs/experiments/*"


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


def _set_tracking(store: Store, remote: Remote, experiment: str, sha: bytes) -> None:
    """Keep ``refs/remotes/<r>/experiments/*`` current, as git does for refs its refspecs map."""
    if _tracking_enabled(store, remote):
        store.repo.refs[remote.tracking_ref(experiment)] = sha


def _selected(names: Iterable[str] | None) -> set[str] | None:
    return {validate_experiment(n) for n in names} if names else None


def _integrate_all(store: Store, remote: Remote, tips: dict[str, bytes], wanted: set[str] | None,
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
            _set_tracking(store, remote, name, tip)
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
    with opened_store(store) as st:
        return _pull(st, resolve_remote(st, remote), _selected(experiments), fetch, progress)[0]


def _pull(st: Store, rem: Remote, wanted: set[str] | None, fetch: bool,
          progress: Progress | None) -> tuple[list[ExperimentSync], dict[bytes, bytes] | None]:
    """``pull``, and the remote's refs as listed (git's transport: one connection lists and fetches
    experiments and registry tags together), for a push that follows."""
    advertised, registry_tags = None, None
    git = transfer_git.usable(st, rem.url) if fetch else None
    if git is not None:
        from gx.store import transfer_one  # dulwich's client: a fetch's, not a push's or a merge's
        with transfer_one.started(st, git, rem) as started:
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
    results = _integrate_all(st, rem, tips, wanted, fetched=fetch)
    if fetch and registry_tags != {}:  # the remote's model registry tags to join (issue 11); None: not
        from gx.share.registry import pull_registry  # fetched yet (dulwich's transport)
        pull_registry(st, rem, progress, registry_tags)
    return results, advertised


# -- push ------------------------------------------------------------------------------------
def _local_experiments(store: Store, wanted: set[str] | None) -> dict[str, bytes]:
    local = store.experiments()
    if wanted is None:
        return local
    missing = sorted(wanted - set(local))
    if missing:
        raise UnknownExperiment(f"no local experiment named {missing[0]!r}; see 'gx experiments'")
    return {name: local[name] for name in sorted(wanted)}


def push(remote: str | None = None, experiments: Iterable[str] | None = None,
         progress: Progress | None = None, store: Store | None = None,
         attempts: int = PUSH_ATTEMPTS) -> list[ExperimentSync]:
    """Send local experiments; a diverged or raced experiment is fetched, merged and sent again.

    Remote refs only ever move forward (old tip -> a descendant), so nobody's runs are overwritten.
    With git's transport, a clone with no LFS content and no registry tags sends its tips at once,
    without listing the remote's refs first: one connection, as ``git push`` makes.
    """
    from gx.lfs.push import has_lfs_content
    from gx.store.tags import has_local_tags
    from gx.store.transfer import advertised_refs, send_tips
    with opened_store(store) as st:
        rem, wanted = resolve_remote(st, remote), _selected(experiments)
        local = _local_experiments(st, wanted)  # an unknown name is an error before any connection
        first = None
        if local and not has_lfs_content(st) and not has_local_tags(st):  # nothing to upload or reconcile first
            first = send_tips(st, rem, local, progress)
        advertised = None if first is not None else advertised_refs(st, rem, push=True)
        return _push(st, rem, wanted, progress, attempts, advertised, first)


def _push(st: Store, rem: Remote, wanted: set[str] | None, progress: Progress | None, attempts: int,
          advertised: dict[bytes, bytes] | None, first: SendResult | None = None) -> list[ExperimentSync]:
    """``push``; ``advertised``: the remote's refs as listed at the start (the first round asks no more);
    ``first``: the first round, already sent without a listing (``send_tips``)."""
    from gx.lfs.push import upload_before_refs
    from gx.store.transfer import fetch_experiments, send_experiments
    pending = set(_local_experiments(st, wanted))
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
            _set_tracking(st, rem, name, sent.updated.get(name) or sent.before[name])
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
        for result in _integrate_all(st, rem, {n: t for n, t in tips.items() if n in pending}, None, True):
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
    with opened_store(store) as st:
        rem = resolve_remote(st, remote)
        done, advertised = _pull(st, rem, _selected(experiments), True, progress)
        pulled = {r.experiment: r for r in done}
        wanted = [n for n in (experiments or st.experiments()) if n in st.experiments()]
        if rem.push_url != rem.url:
            advertised = None  # pushes go elsewhere: list that remote's refs there
        pushed = _push(st, rem, _selected(wanted), progress, PUSH_ATTEMPTS, advertised) if wanted else []
    for result in pushed:
        before = pulled.get(result.experiment)
        if before is not None:
            result.received += before.received
            result.merged |= before.merged
            result.fast_forward |= before.fast_forward
            result.created = result.created or before.created
        pulled[result.experiment] = result
    return sorted(pulled.values(), key=lambda r: r.experiment)
