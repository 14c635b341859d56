"""Listing a folder of a run commit without reading its files' contents (``gx models show``)."""

from __future__ import annotations

from dulwich.objects import Blob, Tree

from gx.store.repo import Store


def file_sizes(store: Store, commit: str, folder: str, limit: int = 1000) -> dict[str, int]:
    """``{relative path: size in bytes}`` for the files under ``folder`` of a commit (empty if absent)."""
    node = store._object(store.commit(commit.encode()).tree)
    for part in folder.strip("/").encode().split(b"/"):
        if not isinstance(node, Tree) or part not in node:
            return {}
        node = store._object(node[part][1])
    out: dict[str, int] = {}
    stack = [("", node)]
    while stack and len(out) < limit:
        prefix, tree = stack.pop()
        if not isinstance(tree, Tree):
            continue
        for entry in tree.items():
            name = prefix + entry.path.decode("utf-8", "replace")
            child = store._object(entry.sha)
            if isinstance(child, Tree):
                stack.append((name + "/", child))
            elif isinstance(child, Blob):
                out[name] = child.raw_length()
    return dict(sorted(out.items()))
