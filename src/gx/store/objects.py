"""Git objects for gx: trees from file mappings, commits with trailers, trailer parsing.

Every tree and commit built here passes ``gx.store.fsck`` before anyone can point a ref at it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dulwich.objects import Blob, Commit, ShaFile, Tree

from gx.errors import BadName
from gx.store.fsck import check_commit, check_tree
from gx.store.gitpaths import check_gitattributes

FILE_MODE = 0o100644
LINK_MODE = 0o120000
DIR_MODE = 0o040000

KIND_RUN, KIND_DELETE, KIND_RESTORE, KIND_MERGE, KIND_INIT = "run", "delete", "restore", "merge", "init"

_CONTROL_TO_SPACE = {c: " " for c in [*range(32), 127]}

_TRAILER = re.compile(rb"^(Gx-[A-Za-z-]+): (.*)$", re.MULTILINE)


def build_tree(files: Mapping[str, bytes], new_objects: list[ShaFile]) -> Tree:
    """Nested trees for ``{posix path: content}``; every new object is appended to new_objects."""
    root: dict[str, Any] = {}
    for path, content in files.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise BadName(f"artifact path {path!r} clashes with a file of the same name")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise BadName(f"artifact path {path!r} clashes with a directory of the same name")
        node[parts[-1]] = content
    return _tree_from_dict(root, new_objects, "")


def _tree_from_dict(node: dict[str, Any], new_objects: list[ShaFile], where: str) -> Tree:
    from gx.records import ArtifactLink  # a writer's: not loaded for a push or a listing

    tree = Tree()
    for name, value in node.items():
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            raise BadName(f"refusing to write {where + name!r}: the name is not valid UTF-8") from None
        if isinstance(value, dict):
            sub = _tree_from_dict(value, new_objects, f"{where}{name}/")
            tree.add(raw, DIR_MODE, sub.id)
        else:
            if raw == b".gitattributes" and not isinstance(value, ArtifactLink):
                for _id, problem in check_gitattributes(value):
                    raise BadName(f"refusing to write {where + name!r}: git fsck refuses it: {problem}")
            blob = Blob.from_string(value)
            new_objects.append(blob)
            tree.add(raw, LINK_MODE if isinstance(value, ArtifactLink) else FILE_MODE, blob.id)
    check_tree(tree, where, content_checked=b".gitattributes")
    new_objects.append(tree)
    return tree


def local_timezone(ts: float) -> int:
    """Offset of local time from UTC in seconds at ``ts`` (what git records beside a date)."""
    return time.localtime(ts).tm_gmtoff or 0


def make_commit(
    tree: Tree | bytes,
    parents: list[bytes],
    subject: str,
    trailers: Mapping[str, str],
    identity: bytes,
    when: float,
    tz: int | None = None,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> Commit:
    """A commit with gx's trailers; ``headers``: extra header lines after the committer (one line each)."""
    commit = Commit()
    commit.tree = tree.id if isinstance(tree, Tree) else tree
    commit.parents = list(parents)
    commit.author = commit.committer = identity
    commit.author_time = commit.commit_time = int(when)
    commit.author_timezone = commit.commit_timezone = local_timezone(when) if tz is None else tz
    body = "".join(f"{k}: {v}\n" for k, v in trailers.items() if v is not None)
    # the subject is for display only (the tree holds the values): control characters, NUL
    # included (fsck: nulInCommit), become spaces
    commit.message = f"{subject.translate(_CONTROL_TO_SPACE)}\n\n{body}".encode("utf-8", "replace")
    if any(b"\n" in value or b"\0" in value for _, value in headers):
        raise ValueError("a commit header must be one line")
    commit._extra = list(headers)  # dulwich keeps unknown headers here, and writes them back as they came
    check_commit(commit)
    return commit


def trailers_of(commit: Commit) -> dict[str, str]:
    """The ``Gx-*`` trailers of a commit message (empty for commits gx did not write)."""
    return trailers_in(commit.message)


def trailers_in(message: bytes) -> dict[str, str]:
    """The ``Gx-*`` trailers of a raw commit message."""
    return {k.decode(): v.decode("utf-8", "replace") for k, v in _TRAILER.findall(message)}


def subject_line(parts: list[str], width: int = 100) -> str:
    """Join parts into one line cut to ``width`` with an ellipsis (``make_commit`` makes it one line)."""
    line = " ".join(p for p in parts if p)
    return line if len(line) <= width else line[: width - 1] + "…"
