"""Pushing to a repository on this machine goes through that repository's own receive side.

Writing objects and refs straight into another repository would bypass its hooks (``pre-receive``,
``update``, ``post-receive``...) and its ``receive.fsckObjects``. So, as git does for a path remote,
gx runs ``git receive-pack`` there, which applies all of them. Without a git binary gx checks the
objects itself as ``receive.fsckObjects`` asks, and refuses to push to a repository that has
receive hooks (only git can run them faithfully).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager

from dulwich.client import GitClient, SubprocessGitClient
from dulwich.object_store import BaseObjectStore
from dulwich.objects import sha_to_hex
from dulwich.pack import UnpackedObject
from dulwich.repo import Repo

from gx.errors import RemoteError
from gx.store import verify
from gx.store.fsckpolicy import FsckPolicy
from gx.store.gitwire import LOCAL_REPO_ENV

#: Hooks git's receive-pack runs in the receiving repository.
RECEIVE_HOOKS = ("pre-receive", "update", "proc-receive", "post-receive", "post-update",
                 "reference-transaction", "push-to-checkout")

Records = Iterator[UnpackedObject]


def local_receiver(path: str, label: str) -> tuple[GitClient | None, FsckPolicy | None]:
    """How to push to the repository at ``path``: a client running its ``git receive-pack``; or,
    without git, no client (dulwich's local one stays) and the checks its ``receive.fsckObjects`` asks
    for (None: it asks for none), to apply with ``checked_records``."""
    if shutil.which("git"):
        return SubprocessGitClient(), None
    with closing(Repo(path)) as target:
        hooks = _receive_hooks(target)
        if hooks:
            which = f"a {hooks[0]} hook" if len(hooks) == 1 else f"{', '.join(hooks)} hooks"
            raise RemoteError(f"{label} has {which}, which only git's receive-pack can run, and git is not on "
                              "PATH: install git, or push over ssh or https")
        return None, FsckPolicy.for_receive(target.get_config_stack())


def _receive_hooks(target: Repo) -> list[str]:
    config = target.get_config_stack()
    try:
        hooks_dir = os.path.join(target.controldir(), os.path.expanduser(
            config.get((b"core",), b"hooksPath").decode()))
    except KeyError:
        hooks_dir = os.path.join(target.controldir(), "hooks")
    return [name for name in RECEIVE_HOOKS
            if os.path.isfile(os.path.join(hooks_dir, name)) and os.access(os.path.join(hooks_dir, name), os.X_OK)]


def checked_records(records: Records, policy: FsckPolicy, label: str, source: BaseObjectStore) -> Records:
    """Pass records on while checking each as the remote's ``receive.fsckObjects`` asks; a refused
    object stops the pack before the remote stores any of it (dulwich discards a broken pack).
    ``source`` holds the objects, for the blobs that trees name ``.gitmodules``/``.gitattributes``."""
    special: set[tuple[bytes, str]] = set()
    for record in records:
        sha = sha_to_hex(record.sha())
        found = verify.check_raw(record.obj_type_num, b"".join(record.obj_chunks or []))
        _refuse_if(policy, found.problems, f"{verify.TYPE_NAMES.get(record.obj_type_num)} {sha.decode()[:8]}", label)
        special.update(found.special)
        yield record
    for blob, role in sorted(special):
        type_num, raw = source.get_raw(blob)
        problems = verify.check_special_blob(raw, role) if type_num == verify.BLOB else \
            [verify.Problem("gitmodulesBlob" if role == ".gitmodules" else "gitattributesBlob", f"non-blob found at {role}")]
        _refuse_if(policy, problems, f"{role} blob {blob.decode()[:8]}", label)


def _refuse_if(policy: FsckPolicy, problems: list[verify.Problem], what: str, label: str) -> None:
    for problem in problems:
        if policy.refuses(problem):
            raise RemoteError(f"{label} refused the push (receive.fsckObjects): {what} {problem}")


@contextmanager
def other_repository_env() -> Iterator[None]:
    """Run a git command in another repository without this one's ``GIT_DIR`` and friends."""
    saved = {name: os.environ.pop(name) for name in LOCAL_REPO_ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
