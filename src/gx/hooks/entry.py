"""What an installed hook does when git runs it: check staged files, record the commit, push experiments.

``python -m gx.hooks run HOOK`` (the shims' call) lands in ``main`` here without importing click.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from gx.errors import GxError
from gx.hooks import GIT_PID_VARIABLE, HOOK_TYPES
from gx.paths import RepoPaths, find_repo

_PUSHING = "GX_HOOK_PUSHING"  # set while gx pushes experiments, so a nested hook does nothing


def run_hook(hook: str, args: Sequence[str] = (), stdin: str = "") -> list[str]:
    """Do one hook's work and return the lines to show. Only pre-commit's check raises (to stop git)."""
    from gx.hooks.commit_runs import AutologError

    try:
        if hook == "pre-commit":
            return _pre_commit()
        if hook == "post-commit":
            return _post_commit()
        if hook == "pre-push":
            upload_lfs_objects(args[0] if args else None, args[1] if len(args) > 1 else None, stdin)
            message = push_experiments(args[0] if args else None, args[1] if len(args) > 1 else None, stdin)
            return [message] if message else []
    except PushBlocked:
        raise
    except (GxError, MemoryError, RecursionError) as exc:
        if hook == "pre-commit":  # what the check read is at fault (a bad file, a value over a limit): refuse
            detail = str(exc) if isinstance(exc, GxError) else "the staged files are too large or too deeply nested to check"
            raise AutologError(f"{detail} (gx's pre-commit check: fix it, or skip the check with git commit --no-verify)") from None
        if isinstance(exc, AutologError):
            return [f"gx: warning: the commit was not logged as a run: {exc}; fix it and amend the commit"]
        return _not_done(hook, args, exc)
    except Exception as exc:  # a gx bug never blocks or breaks git
        return _not_done(hook, args, exc)
    raise GxError(f"gx has no {hook!r} hook; choose from {', '.join(HOOK_TYPES)}")


def _not_done(hook: str, args: Sequence[str], exc: BaseException) -> list[str]:
    """The warning for a hook that could not do its work; git goes on."""
    detail = str(exc) if isinstance(exc, GxError) else f"{type(exc).__name__}: {exc}"
    if hook == "pre-push":
        remote = args[0] if args else os.environ.get("PRE_COMMIT_REMOTE_NAME", "REMOTE")
        return [f"gx: warning: experiments were not pushed ({detail}); your push goes on: run 'gx push {remote}' later"]
    what = "gx's pre-commit check was skipped" if hook == "pre-commit" else "the commit was not logged as a run"
    return [f"gx: warning: {what} ({detail})"]


def hook_repo() -> RepoPaths:
    """The repository git runs a hook for (in a linked worktree git sets GIT_DIR to the worktree's
    private git dir; find_repo follows it to the worktree and the common dir)."""
    return find_repo()


def _pre_commit() -> list[str]:
    paths = hook_repo()
    if paths.worktree is not None and not os.path.lexists(paths.worktree / "gx.yaml"):
        return []  # no autolog here: skip reading the index (post-commit still reads HEAD's tree)
    helper = _start_helper(paths)
    try:
        from gx.hooks.commit_runs import check_staged

        if check_staged(paths) is not None and helper is not None:
            helper.keep()
    finally:
        if helper is not None:
            helper.dismiss()  # (after keep(), nothing left to do)
    return []


def _start_helper(paths: RepoPaths) -> Any:
    """A process that loads what recording needs while the check runs and, if the check passes,
    records the commit when the post-commit shim asks (gx.hooks.handoff): one Python per commit.
    Whatever goes wrong here, the post-commit hook does the work itself."""
    try:
        from gx.hooks.commit_helper import start_helper

        return start_helper(paths, _load_recording, lambda: run_hook("post-commit"))
    except Exception:
        return None


def _load_recording() -> None:
    """Import what recording a commit needs, while git writes it (off the commit's critical path)."""
    import platform  # noqa: F401
    import uuid  # noqa: F401

    import gx.hooks.commit_artifacts  # noqa: F401
    import gx.hooks.commit_keys  # noqa: F401
    import gx.hooks.commit_runs  # noqa: F401
    import gx.records  # noqa: F401
    import gx.store.blobstream  # noqa: F401
    import gx.store.history  # noqa: F401
    import gx.store.write  # noqa: F401
    import gx.tracking.redact  # noqa: F401
    from gx.store.repo import Store

    with Store(hook_repo()) as store:  # what opening the store and writing a commit load lazily
        store.identity()
        store.fsynced_parts()


def _post_commit() -> list[str]:
    from gx.hooks.commit_runs import record_commit
    from gx.store.repo import Store

    paths = hook_repo()
    shown = None
    if os.environ.get(GIT_PID_VARIABLE):
        try:
            from gx.hooks.handoff import take_over
        except ImportError:  # no fcntl (not POSIX): no helper was left either; record here
            pass
        else:
            shown = take_over(paths)
    if shown is not None:  # the pre-commit's process recorded it: show what it printed
        sys.stderr.buffer.write(shown)
        sys.stderr.flush()
        return []
    with Store(paths) as store:
        result = record_commit(store)
    if result is None:
        return []
    if not result.recorded:
        return [f"gx: commit {result.commit[:7]} has the same tree and files as run {result.run_id[:8]}; not logged again"]
    return [f"gx: logged commit {result.commit[:7]} as run {result.run_id[:8]} in experiment {result.experiment!r}"]


class PushBlocked(GxError):
    """The LFS objects of pushed runs could not reach the remote: git must not move its refs."""


#: The exit status by which the pre-push shim stops git (manage.py's template knows it).
BLOCKED_PUSH_STATUS = 65


def upload_lfs_objects(remote: str | None, url: str | None, pushed: str) -> None:
    """Before git pushes ``refs/experiments/*`` itself, send the LFS objects of those runs (issue 14);
    PushBlocked when that fails, so the runs never arrive without their content."""
    if not any("refs/experiments/" in line for line in pushed.splitlines()) or not (remote or url):
        return
    from gx.lfs.push import upload_pushed_refs
    from gx.store.remote import resolve_remote
    from gx.store.repo import Store

    with Store(hook_repo()) as store:
        try:
            target = resolve_remote(store, remote or url)  # git gives the remote's name, or its URL twice
            upload_pushed_refs(store, target.name, target.push_url, pushed)
        except GxError as exc:
            raise PushBlocked(f"the push was stopped: the large artifacts of its runs could not be sent ({exc})") from None


def push_experiments(remote: str | None, url: str | None = None, pushed: str = "") -> str | None:
    """Push every experiment to ``remote`` along with the user's push; returns what to say, if anything.

    Nothing happens for a URL that is not a configured remote, when the push itself carries
    ``refs/experiments/``, when the remote-tracking refs (``gx remote setup``) show the remote has
    every experiment's tip, or when there are no experiments.
    """
    remote = remote or os.environ.get("PRE_COMMIT_REMOTE_NAME")  # the pre-commit framework's way
    if not remote or os.environ.get(_PUSHING):
        return None
    lines = [*pushed.splitlines(), os.environ.get("PRE_COMMIT_LOCAL_BRANCH", ""), os.environ.get("PRE_COMMIT_REMOTE_BRANCH", "")]
    if any("refs/experiments/" in line for line in lines):
        return None
    from gx.store.refs import tracking_prefix
    from gx.store.repo import Store

    with Store(hook_repo()) as store:
        local = store.experiments()
        if not local:
            return None
        config = store.repo.get_config_stack()
        section = (b"remote", remote.encode("utf-8", "surrogateescape"))
        if not any(True for name in (b"url", b"pushurl") for _ in config.get_multivar(section, name)):
            return None  # a plain URL, not a configured remote
        if config.get_boolean(section, b"mirror", False):
            return None
        # git pushing experiments itself lists them on stdin (checked above); with refspecs on the
        # command line it does not, so only skip when the remote-tracking refs show nothing to send
        tracked = store.repo.refs.as_dict(tracking_prefix(remote).rstrip("/").encode())
        if all(tracked.get(name.encode()) == tip for name, tip in local.items()):
            return None
        from gx.share.sync import push

        os.environ[_PUSHING] = "1"
        try:
            results = push(remote, store=store) or []
        finally:
            os.environ.pop(_PUSHING, None)
    sent = sum(getattr(r, "sent", 0) or 0 for r in results)
    merged = [r.experiment for r in results if getattr(r, "merged", False)]
    joined = (f"; {', '.join(merged)} merged with {remote}'s first, so a '[rejected]' git shows for "
              "them was decided before this hook ran") if merged else ""
    return f"gx: pushed experiments to {remote} ({sent} new run{'s' if sent != 1 else ''}{joined})"


def pushed_refs() -> str:
    """The pre-push hook's standard input (one line per pushed ref); empty at a terminal."""
    try:
        return "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    except (OSError, ValueError):
        return ""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m gx.hooks run HOOK [-- ARGS]``: what the shims call, without click (every commit pays it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] != "run" or args[1] not in HOOK_TYPES:
        print(f"usage: python -m gx.hooks run {{{','.join(HOOK_TYPES)}}} [-- ARGS...]", file=sys.stderr)
        return 2
    hook, rest = args[1], args[2:]
    rest = rest[1:] if rest[:1] == ["--"] else rest
    try:
        lines = run_hook(hook, rest, pushed_refs() if hook == "pre-push" else "")
    except PushBlocked as exc:
        print(f"gx: error: {exc}", file=sys.stderr)
        return BLOCKED_PUSH_STATUS
    except GxError as exc:
        print(f"gx: error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line, file=sys.stderr)
    return 0
