"""The store: one dulwich repository, experiment refs, and compare-and-swap ref updates."""

from __future__ import annotations

import functools
import os
import random
import time
import warnings
from collections.abc import Iterable
from typing import Callable, TypeVar

from dulwich.errors import NotGitRepository
from dulwich.file import FileLocked
from dulwich.objects import Blob, Commit, ShaFile, Tree
from dulwich.repo import Repo, get_user_identity

from gx import limits
from gx.errors import BadName, BadRecord, GxWarning, NotARepository, StoreConflict
from gx.paths import RepoPaths, find_repo
from gx.store.experiments import init_commit_objects
from gx.store.locks import check_not_stale, ref_write_failed, write_loose_object
from gx.store.packs import fsync_from_config, write_pack
from gx.store.refs import (
    PREFIX,
    check_no_clash,
    experiment_from_ref,
    experiment_ref,
    experiments_in,
)

T = TypeVar("T")

#: How long a writer keeps retrying a contended ref before giving up.
CAS_TIMEOUT = 60.0


def _clean_identity_part(text: str) -> str:
    # git fsck rejects '<', '>' and newlines inside the name or email of an identity.
    return " ".join(text.replace("<", "").replace(">", "").split())


class Store:
    """Experiments in one repository. Never touches HEAD, the index or the working tree."""

    def __init__(self, paths: RepoPaths) -> None:
        self.paths = paths
        try:
            self.repo = Repo(paths.open_path)
        except NotGitRepository as exc:
            raise NotARepository(f"{paths.open_path} is not a git repository; run 'git init'") from exc
        self._identity: bytes | None = None
        self._fsync: frozenset[str] | None = None
        # every loose object written through this repository (runs, source snapshots, merges)
        objects = self.repo.object_store
        objects.add_object = functools.partial(write_loose_object, objects)

    @classmethod
    def open(cls, start: str | os.PathLike[str] | None = None) -> Store:
        return cls(find_repo(start))

    def close(self) -> None:
        self.repo.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity -----------------------------------------------------------------------
    def identity(self) -> bytes:
        """The user's git identity (env, then config, then OS user), cleaned for fsck."""
        if self._identity is None:
            raw = get_user_identity(self.repo.get_config_stack(), kind="AUTHOR").decode("utf-8", "replace")
            name, _, email = raw.rpartition(" <")
            name = _clean_identity_part(name) or "unknown"
            email = _clean_identity_part(email.rstrip(">")) or "unknown@localhost"
            self._identity = f"{name} <{email}>".encode()
        return self._identity

    def fsynced_parts(self) -> frozenset[str]:
        """What of a pack gx writes is flushed to disk (``core.fsync`` as git reads it)."""
        if self._fsync is None:
            self._fsync = fsync_from_config(self.repo.get_config_stack())
        return self._fsync

    # -- refs ---------------------------------------------------------------------------
    def experiments(self) -> dict[str, bytes]:
        """Every experiment with its tip commit id."""
        return experiments_in(self.repo.refs)

    def experiment_refs(self, remotes: bool = True) -> dict[bytes, tuple[str, bytes]]:
        """Every ref holding experiment history: ``{ref: (experiment, tip)}``.

        Besides ``refs/experiments/*`` this includes remote-tracking copies that a plain
        ``git fetch`` brings (``refs/remotes/<remote>/experiments/*``), so teammates' runs are
        visible before they are merged.
        """
        out: dict[bytes, tuple[str, bytes]] = {}
        for ref, sha in self.repo.refs.as_dict().items():
            if ref.startswith(b"refs/experiments/"):
                name = experiment_from_ref(ref)
                if name is not None and not self._is_commit(ref, sha):
                    continue
            elif remotes and ref.startswith(b"refs/remotes/") and b"/experiments/" in ref:
                name = experiment_from_ref(PREFIX.encode() + ref.split(b"/experiments/", 1)[1])
                if name is not None and not self.is_gx_commit(sha):
                    continue  # a branch that happens to be called experiments/<x>, not gx history
            else:
                continue
            if name is not None:
                out[ref] = (name, sha)
        return out

    def _is_commit(self, ref: bytes, sha: bytes) -> bool:
        """Whether an experiment ref points at a commit; a blob, a tree or a missing object (a
        hostile or broken clone) is one warning, and the ref is read as if it were not there."""
        try:
            kind = self.repo[sha].type_name.decode()
        except KeyError:
            kind = "missing object"
        if kind == "commit":
            return True
        warnings.warn(f"gx: skipping {ref.decode('utf-8', 'replace')}: it points at a {kind}, not a commit",
                      GxWarning, stacklevel=3)
        return False

    def is_gx_commit(self, sha: bytes) -> bool:
        """Whether ``sha`` is a commit gx wrote (it carries a ``Gx-Kind`` trailer)."""
        try:
            commit = self.repo[sha]
        except KeyError:
            return False
        return commit.type_name == b"commit" and b"\nGx-Kind: " in commit.message  # type: ignore[attr-defined]

    def head_branch(self) -> str | None:
        """The branch HEAD points at, or None when detached."""
        try:
            head = self.repo.refs.read_ref(b"HEAD")
        except KeyError:
            return None
        if head and head.startswith(b"ref: refs/heads/"):
            return head[len(b"ref: refs/heads/") :].decode("utf-8", "replace")
        return None

    def tip(self, experiment: str) -> bytes | None:
        try:
            return self.repo.refs[experiment_ref(experiment)]
        except KeyError:
            return None

    def check_new_experiment(self, experiment: str) -> None:
        """Refuse a name whose ref would clash with an existing one ('a' vs 'a/b'), before writing."""
        check_no_clash(experiment, self.experiments())

    @staticmethod
    def _clash(experiment: str) -> BadName:
        return BadName(
            f"experiment {experiment!r} clashes with an existing experiment: one name cannot be "
            "both an experiment and a folder of experiments (like 'a' and 'a/b'); choose another name"
        )

    def add_objects(self, objs: Iterable[ShaFile]) -> None:
        add = self.repo.object_store.add_object
        for obj in objs:
            add(obj)

    def init_commit(self, experiment: str) -> Commit:
        """The experiment's root: the same object on every machine, so clones share a base."""
        new, commit = init_commit_objects(experiment)
        self.add_objects([*new, commit])
        return commit

    def update_ref(self, ref: bytes, decide: Callable[[bytes | None], tuple[bytes | None, T]],
                   message: bytes = b"gx") -> T:
        """Move ``ref`` with compare-and-swap to what ``decide(current tip)`` asks for, retrying with
        jittered backoff while other writers win (dulwich's lock fails at once when held).

        ``decide`` returns ``(new tip or None to leave the ref, result)``; it runs again after every
        lost race, so it must be cheap and must build anything that depends on the tip afresh.
        """
        refs = self.repo.refs
        deadline = time.monotonic() + CAS_TIMEOUT
        delay = 0.002
        while True:
            try:
                tip: bytes | None = refs[ref]
            except KeyError:
                tip = None
            new, result = decide(tip)
            if new is None or new == tip:
                return result
            lock = refs.refpath(ref) + b".lock"
            try:
                ok = refs.add_if_new(ref, new, message=message) if tip is None else \
                    refs.set_if_equals(ref, tip, new, message=message)
            except FileLocked:
                check_not_stale(ref, lock)  # a lock a dead process left would make us wait forever
                ok = False
            except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
                raise self._clash(ref.decode()[len(PREFIX):]) from exc
            except OSError as exc:
                raise ref_write_failed(ref, lock, exc) from exc
            if ok:
                return result
            if time.monotonic() > deadline:
                raise StoreConflict(
                    f"could not update {ref.decode()} after {CAS_TIMEOUT:.0f}s of contention with other "
                    "writers; nothing was lost: try again (a run's journal stays under .git/gx/runs)"
                )
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.2)

    def append(self, experiment: str, make: Callable[[bytes], Commit], objects: Iterable[ShaFile] = ()) -> Commit:
        """Put a commit on top of the experiment with compare-and-swap, retrying on contention.

        ``make(parent)`` builds the commit for a given tip; it is called again after every lost
        race, so it must be cheap (the run's tree is built once, outside). ``objects`` (its tree and
        blobs) go in one pack with the first commit built; a commit rebuilt after a race goes alone.
        """
        pending = list(objects)

        def decide(tip: bytes | None) -> tuple[bytes, Commit]:
            if tip is None:
                self.check_new_experiment(experiment)
            commit = make(tip if tip is not None else self.init_commit(experiment).id)
            if pending:
                write_pack(self.repo.object_store, [*pending, commit], self.fsynced_parts(), loose=True)
                pending.clear()
            else:
                self.repo.object_store.add_object(commit)
            return commit.id, commit

        return self.update_ref(experiment_ref(experiment), decide, message=b"gx: record on " + experiment.encode())

    def commit(self, sha: bytes) -> Commit:
        """The commit ``sha``; a missing object or another kind is a ``BadRecord`` (broken or hostile clone)."""
        obj = self._object(sha)
        if not isinstance(obj, Commit):
            raise BadRecord(f"{sha.decode()[:12]} is a {obj.type_name.decode()}, not a commit")
        return obj

    def _object(self, sha: bytes) -> ShaFile:
        try:
            return self.repo[sha]
        except KeyError:
            raise BadRecord(f"object {sha.decode()[:12]} is missing from this repository") from None

    def read_blob(self, tree_sha: bytes, path: str) -> bytes | None:
        """Content of ``path`` in a tree, or None when absent (or not a file)."""
        node = self._object(tree_sha)
        for part in path.encode("utf-8").split(b"/"):
            if not isinstance(node, Tree):
                return None
            try:
                _mode, sha = node[part]
            except KeyError:
                return None
            node = self._object(sha)
        return node.as_raw_string() if isinstance(node, Blob) else None

    def read_tree_files(self, tree_sha: bytes, limit: int = limits.MAX_FILES_PER_RUN) -> dict[str, bytes]:
        """Every file below a tree as ``{posix path: content}``; at most ``limit`` files."""
        from gx.records import ArtifactLink  # a reader's: not loaded for a push
        out: dict[str, bytes] = {}
        stack = [("", tree_sha)]
        while stack:
            prefix, sha = stack.pop()
            tree = self._object(sha)
            if not isinstance(tree, Tree):
                raise BadRecord(f"{prefix or 'the run'} is recorded as a folder but is a {tree.type_name.decode()}")
            for entry in tree.items():
                name = prefix + entry.path.decode("utf-8", "surrogateescape")
                if entry.mode & 0o170000 == 0o040000:
                    stack.append((name + "/", entry.sha))
                elif entry.mode & 0o170000 in (0o100000, 0o120000):
                    blob = self._object(entry.sha)
                    if not isinstance(blob, Blob):
                        raise BadRecord(f"{name} is recorded as a file but is a {blob.type_name.decode()}")
                    content = blob.as_raw_string()  # a link (120000) is an artifact logged as a symbolic link
                    out[name] = ArtifactLink(content) if entry.mode & 0o170000 == 0o120000 else content
                    if len(out) > limit:
                        raise BadRecord(f"the run holds more than {limit:,} files")
        return out


def init_repository(directory: str, files: dict[str, bytes], message: str, identity: bytes) -> None:
    """A new repository whose first commit holds ``files`` (the demo's scratch repo; no git binary)."""
    from dulwich import porcelain

    repo = Repo.init(directory, mkdir=False)
    try:
        for name, content in files.items():
            with open(os.path.join(directory, name), "wb") as fh:
                fh.write(content)
        porcelain.add(repo, [os.path.join(directory, name) for name in files])
        porcelain.commit(repo, message=message.encode(), author=identity, committer=identity, no_verify=True)
    finally:
        repo.close()
