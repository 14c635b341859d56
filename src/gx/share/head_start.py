"""The head start of ``gx push``, ``gx pull`` and ``gx sync``: the remote is asked before the command
line interface loads.

These commands spend most of their time waiting on the remote, an ssh handshake and a process start
on the far side away. So ``gx``'s entry point begins the conversation before anything else loads,
from the decisions the command makes, with the same functions, and the command takes it (``take``):

- ``push``: a push whose first round needs nothing from the remote (no LFS content to upload first,
  no registry tags to reconcile: ``sync.push`` then sends the local tips at once) starts that
  ``git push``, with only git's config and refs readers loaded (``gx.store.glance``); click,
  dulwich's repository and object store and the merge code load while the remote answers.
- ``pull`` and ``sync``: the store is opened, the remote resolved and the fetch's one upload-pack
  conversation started (``transfer_one.started``) before click and the fetch's checks load.

Anything out of the ordinary (an option this does not know, a run to recover, a config that includes
others, any error) starts nothing: the command then runs as it always did, and reports what is wrong.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from contextlib import ExitStack

    from gx.paths import RepoPaths
    from gx.store.dial import Dialed
    from gx.store.gitwire import Running
    from gx.store.remote import Remote
    from gx.store.repo import Store
    from gx.store.transfer_one import Started

#: The options a head start understands (any other: click decides, nothing starts).
_FLAGS = {"-q": ("quiet", True), "--quiet": ("quiet", True), "--progress": ("progress", True),
          "--no-progress": ("progress", False)}


class HeadStart:
    """A command's start: what it was asked (verb, remote, experiments), the remote resolved, and for a
    push the tips and the running ``git push``; for a fetch the open store, the started conversation
    and what closes them (``stack``)."""

    def __init__(self, asked: tuple[str, str | None, tuple[str, ...]], remote: Remote,
                 tips: dict[str, bytes] | None = None, running: Running | None = None, store: Store | None = None,
                 started: Started | None = None, stack: ExitStack | None = None) -> None:
        self.asked, self.remote, self.tips, self.running = asked, remote, tips or {}, running
        self.store, self.started, self.stack = store, started, stack

    def close(self) -> None:
        if self.running is not None:
            self.running.finish()
        if self.stack is not None:
            self.stack.close()


_started: list[HeadStart] = []


def progress_writer(enabled: bool | None, quiet: bool) -> Callable[[str], None] | None:
    """Transfer progress on stderr: asked for, or by default when stderr is a terminal; never with -q."""
    if quiet or not (enabled if enabled is not None else sys.stderr.isatty()):
        return None

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    return write


def begin(argv: Sequence[str]) -> None:
    """Start what ``gx ARGV`` asks for, if it is a plain push, pull or sync and nothing stands in its way."""
    verb, spec, experiments, progress, quiet = argv[0] if argv else "", None, [], None, False
    if verb not in ("push", "pull", "sync"):
        return
    for arg in argv[1:]:
        if arg in _FLAGS:
            key, value = _FLAGS[arg]
            progress, quiet = (value, quiet) if key == "progress" else (progress, value)
        elif arg.startswith("-"):  # --help, --no-fetch, --: click decides
            return
        elif spec is None:
            spec = arg
        elif verb == "sync":  # no experiments: click says what is wrong
            return
        else:
            experiments.append(arg)
    with warnings.catch_warnings(record=True) as said:  # anything to say: the command says it, its way
        warnings.simplefilter("always")
        try:
            started = _start_push(spec, tuple(experiments), progress_writer(progress, quiet), said) \
                if verb == "push" else _start_fetch(verb, spec, tuple(experiments))
        except Exception:  # any doubt: the command runs as it always did, and reports what went wrong
            return
    if started is not None and said:
        started.close()  # a fetch's connection (a push starts only when nothing was said)
    elif started is not None:
        _started.append(started)


def needs_nothing_first(paths: RepoPaths) -> bool:
    """Whether a push's first round can send the local tips at once: no LFS content to upload before
    the refs move, no registry tags to reconcile (``sync.push`` decides with this too)."""
    from gx.lfs import has_lfs_store
    from gx.store.tagnames import has_registry_tags

    return not has_lfs_store(paths.common_dir) and not has_registry_tags(paths)


def _start_push(spec: str | None, experiments: tuple[str, ...], progress: Callable[[str], None] | None,
                said: list[warnings.WarningMessage]) -> HeadStart | None:
    from gx.paths import find_repo
    from gx.store import gitwire
    from gx.store.glance import experiment_tips, repo_config
    from gx.store.refs import experiment_ref, pick_experiments, wanted_experiments
    from gx.store.remote import resolve_in

    paths = find_repo()
    if paths.has_run_journals() or not needs_nothing_first(paths):
        return None  # a run to record first; content to upload, or tags to reconcile, before the refs
    config = repo_config(paths)
    if config is None:
        return None
    remote = resolve_in(config, paths, spec)
    git = gitwire.binary_for(paths.git_dir, remote.push_url)
    tips = pick_experiments(experiment_tips(paths), wanted_experiments(experiments))  # as sync.push picks them
    if git is None or not tips or said:
        return None
    updates = {experiment_ref(name): sha for name, sha in tips.items()}
    running = gitwire.start_push(git, str(paths.git_dir), remote.push_url, updates, progress)
    return HeadStart(("push", spec, experiments), remote, tips, running)


def _start_fetch(verb: str, spec: str | None, experiments: tuple[str, ...]) -> HeadStart | None:
    from contextlib import ExitStack

    from gx.paths import find_repo
    from gx.store.refs import wanted_experiments

    paths = find_repo()
    if paths.has_run_journals():  # a run to record first
        return None
    wanted_experiments(experiments)  # an invalid name is the command's to report
    with ExitStack() as stack:
        dialed = _dial(paths, spec)  # the remote answers while dulwich's repository and client load
        if dialed is not None:
            stack.callback(dialed.close)
        from gx.store import gitwire, transfer_one
        from gx.store.remote import resolve_remote
        from gx.store.repo import Store

        store = stack.enter_context(Store(paths))
        remote = resolve_remote(store, spec)
        git = gitwire.binary_for(paths.git_dir, remote.url)  # transfer_git.usable's answer, not its imports
        started = stack.enter_context(transfer_one.started(store, git, remote, dialed)) if git else None
        if started is None:
            return None
        return HeadStart((verb, spec, experiments), remote, store=store, started=started, stack=stack.pop_all())
    return None  # pragma: no cover - the with returns or raises


def _dial(paths: RepoPaths, spec: str | None) -> Dialed | None:
    """The remote's upload-pack started from the config alone (``gx.store.dial``), or None."""
    from gx.store import gitwire
    from gx.store.dial import upload_pack
    from gx.store.glance import repo_config
    from gx.store.remote import resolve_in

    config = repo_config(paths)
    if config is None:
        return None
    url = resolve_in(config, paths, spec).url
    git = gitwire.binary_for(paths.git_dir, url)
    return upload_pack(config, git, url) if git else None


def take(verb: str, spec: str | None, experiments: Sequence[str] | None) -> HeadStart | None:
    """What this process started for ``gx VERB SPEC EXPERIMENTS``, once; None if nothing."""
    for started in _started:
        if started.asked == (verb, spec, tuple(experiments or ())):
            _started.remove(started)
            return started
    return None


def settle() -> None:
    """End what nobody took (the command failed before it could): a started push is waited for, a
    started fetch's connection and store are closed."""
    while _started:
        _started.pop().close()
