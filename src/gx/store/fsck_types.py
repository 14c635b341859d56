"""What fsck's checks report: an object's problems (git's message ids) and the objects it links to."""

from __future__ import annotations

from dataclasses import dataclass, field

COMMIT, TREE, BLOB, TAG = 1, 2, 3, 4
TYPE_NAMES = {COMMIT: "commit", TREE: "tree", BLOB: "blob", TAG: "tag"}
#: Problems no setting can allow: the object graph itself is broken (git fsck reports these as
#: "broken link" / "missing" / a wrong type, not as a message id).
BROKEN = "brokenLink"

@dataclass(frozen=True)
class Problem:
    msg_id: str  # git's fsck message id (or BROKEN)
    text: str  # what is wrong, for one line of output

    def __str__(self) -> str:
        return f"{self.text} ({self.msg_id})"


@dataclass
class Checked:
    """One object's problems, and the objects it points at: ``(hex id, expected type, entry name)``
    (the name is empty for a commit's tree and parents)."""

    problems: list[Problem] = field(default_factory=list)
    links: list[tuple[bytes, int, bytes]] = field(default_factory=list)
    special: list[tuple[bytes, str]] = field(default_factory=list)  # blobs read as .gitmodules/.gitattributes

    def add(self, msg_id: str, text: str) -> None:
        self.problems.append(Problem(msg_id, text))
