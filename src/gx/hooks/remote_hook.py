"""``gx remote setup`` with its pre-push hook: the refspecs make plain ``git push`` carry experiments,
and gx's pre-push hook does it for ``git push REMOTE BRANCH`` too (refspecs given on the command
line replace the configured ones). The hook is installed as ``gx hooks install`` would (an existing
hook is chained, never replaced); ``--undo`` removes it only if setup installed it, which setup
records in the remote's config section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gx.hooks.manage import HookConflict, install, uninstall
from gx.share import remote_setup as config
from gx.share.sync import opened_store
from gx.store.repo import Store

HOOK = "pre-push"


@dataclass
class HookOutcome:
    """What happened to gx's pre-push hook; ``action`` is empty when setup left it alone."""

    action: str  # installed, updated, unchanged, failed | removed, restored, not gx's, not installed, kept
    path: Path | None = None
    legacy: Path | None = None  # the user's hook it chains
    reason: str = ""  # why it failed, or which remote keeps it


def setup_remote(remote: str | None = None, undo: bool = False,
                 store: Store | None = None) -> tuple[config.SetupResult, HookOutcome]:
    """``gx remote setup [--undo]``: the refspecs (see gx.share.remote_setup), then the hook."""
    with opened_store(store) as st:
        result = config.setup_remote(remote, undo=undo, store=st)
        start = str(st.paths.worktree or st.paths.git_dir)
        if undo:
            return result, _remove(st, result, start)
        return result, _install(st, result, start)


def _install(store: Store, result: config.SetupResult, start: str) -> HookOutcome:
    try:
        [change] = install([HOOK], start=start)
    except (HookConflict, OSError) as exc:
        return HookOutcome("failed", reason=str(exc))
    if change.action == "installed":
        line = config.record_hook(store, result.remote)
        if line is not None:
            result.lines.append(line)
    return HookOutcome(change.action, change.path, change.legacy)


def _remove(store: Store, result: config.SetupResult, start: str) -> HookOutcome:
    if not result.hook_was_ours:
        return HookOutcome("")
    others = [name for name in config.remotes_set_up(store) if name != result.remote]
    if others:  # the hook still serves them: the record moves, so that their undo removes it
        config.record_hook(store, others[0])
        return HookOutcome("kept", reason=others[0])
    [change] = uninstall([HOOK], start=start)
    return HookOutcome(change.action, change.path, change.legacy)
