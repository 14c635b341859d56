"""``gx remote setup``: the refspecs that make plain ``git push``/``git fetch`` carry experiments."""

from __future__ import annotations

import os
from dataclasses import dataclass

from gx.share.registry import setup_follow_tags, undo_follow_tags
from gx.share.sync import EXPERIMENTS_PUSH, opened_store, tracking_refspec
from gx.store.gitconfig import (
    add_config_lines,
    config_value,
    config_values,
    remote_names,
    remove_config_lines,
)
from gx.store.refs import tracking_prefix
from gx.store.remote import unknown_remote
from gx.store.repo import Store

SETUP_MARK = "gx remote setup"
#: ``gxhook = pre-push # gx remote setup`` in the remote's section: setup installed gx's pre-push
#: hook (for ``git push REMOTE BRANCH``, whose refspecs replace the configured ones), so --undo
#: removes it; a hook that was there before setup is never removed by its undo.
HOOK_KEY, HOOK_VALUE = "gxhook", "pre-push"


@dataclass
class ConfigLine:
    """One line ``gx remote setup`` adds to ``[remote "<r>"]`` (or removed with --undo)."""

    key: str
    value: str
    why: str = ""


@dataclass
class SetupResult:
    remote: str
    config_path: str
    lines: list[ConfigLine]  # added (setup) or removed (undo)
    undone: bool = False
    tracking_refs_removed: int = 0

    @property
    def hook_was_ours(self) -> bool:
        """Whether an undo removed the record that setup installed gx's pre-push hook."""
        return self.undone and any(line.key == HOOK_KEY for line in self.lines)


def plan_setup(store: Store, remote: str) -> list[ConfigLine]:
    """The lines that make plain git push/fetch carry experiments, keeping branch pushes as they were.

    Once a remote has any ``push`` refspec, ``git push`` pushes only those and ignores
    ``push.default``; so unless the user has their own, the branch part of ``push.default`` is
    spelled out too: ``HEAD`` (the current branch, to the same name) or ``:`` (matching branches).
    """
    pushes = config_values(store, ("remote", remote), "push")
    plan = []
    if not pushes:
        default = (config_value(store, ("push",), "default") or "simple").lower()
        if default == "matching":
            plan.append(ConfigLine("push", ":", "git push still pushes matching branches (push.default=matching)"))
        elif default != "nothing":
            plan.append(ConfigLine("push", "HEAD", "git push still pushes the current branch"))
    if not any(p.lstrip("+") == EXPERIMENTS_PUSH for p in pushes):
        plan.append(ConfigLine("push", EXPERIMENTS_PUSH, "git push also sends experiments (never forced)"))
    if tracking_refspec(remote) not in config_values(store, ("remote", remote), "fetch"):
        plan.append(ConfigLine("fetch", tracking_refspec(remote), "git fetch/pull brings the team's experiments"))
    return plan


def _configured_remote(store: Store, remote: str | None) -> str:
    name = remote or "origin"
    names = remote_names(store)
    if name not in names:
        raise unknown_remote(name, names, urls_work=False)
    return name


def setup_remote(remote: str | None = None, undo: bool = False, store: Store | None = None) -> SetupResult:
    """Add (or with ``undo`` remove) the refspecs that let plain git push/fetch carry experiments."""
    with opened_store(store) as st:
        name = _configured_remote(st, remote)
        path = _config_path(st)
        if undo:
            removed = [ConfigLine(k, v) for k, v in remove_config_lines(path, name, SETUP_MARK)]
            prefix = tracking_prefix(name).encode()
            tracking = list(st.repo.refs.as_dict(prefix.rstrip(b"/")))
            for sub in tracking:
                st.repo.refs.remove_if_equals(prefix + sub, None)
            removed += [ConfigLine(k, v, w) for k, v, w in undo_follow_tags(path)]  # registry (issue 11)
            return SetupResult(name, path, removed, undone=True, tracking_refs_removed=len(tracking))
        plan = plan_setup(st, name)
        if plan:
            add_config_lines(path, name, [(line.key, line.value) for line in plan], SETUP_MARK)
        plan += [ConfigLine(k, v, w) for k, v, w in setup_follow_tags(st, path)]  # registry (issue 11)
        return SetupResult(name, path, plan)


def _config_path(store: Store) -> str:
    return os.path.join(str(store.paths.common_dir), "config")


def record_hook(store: Store, remote: str) -> ConfigLine | None:
    """Note in the remote's section that setup installed gx's pre-push hook (None: already noted)."""
    if HOOK_VALUE in config_values(store, ("remote", remote), HOOK_KEY):
        return None
    add_config_lines(_config_path(store), remote, [(HOOK_KEY, HOOK_VALUE)], SETUP_MARK)
    return ConfigLine(HOOK_KEY, HOOK_VALUE, "gx installed its pre-push hook; --undo removes it")


def remotes_set_up(store: Store) -> list[str]:
    """Remotes whose plain git push or fetch carries experiments (set up by gx or by hand)."""
    return [name for name in remote_names(store)
            if tracking_refspec(name) in config_values(store, ("remote", name), "fetch")
            or any(p.lstrip("+") == EXPERIMENTS_PUSH for p in config_values(store, ("remote", name), "push"))]


def remote_experiment_tips(store: Store) -> dict[str, list[bytes]]:
    """Tips a plain ``git fetch`` left under ``refs/remotes/<remote>/experiments/*``, by experiment.

    The same refs readers combine with the local ones (``Store.experiment_refs``): only gx commits
    count, and tips equal to the local tip are left out.
    """
    local = store.experiments()
    out: dict[str, list[bytes]] = {}
    for ref, (experiment, sha) in sorted(store.experiment_refs().items()):
        if ref.startswith(b"refs/remotes/") and sha != local.get(experiment):
            tips = out.setdefault(experiment, [])
            if sha not in tips:
                tips.append(sha)
    return out
