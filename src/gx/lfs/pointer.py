"""Git LFS pointer files (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md), parsed with
limits because a pointer may come from someone else's clone or working tree.

A pointer is a small UTF-8 text: ``version`` first, then the other keys sorted, one ``key value`` per
line, each line ending in ``\\n``::

    version https://git-lfs.github.com/spec/v1
    oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
    size 12345
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPEC_URL = "https://git-lfs.github.com/spec/v1"
#: Versions git-lfs itself still reads (the pre-release URL included).
_KNOWN_VERSIONS = (SPEC_URL, "https://hawser.github.com/spec/v1")
#: git-lfs never treats a blob of this size or more as a pointer.
MAX_POINTER_BYTES = 1024
_OID = re.compile(r"sha256:([0-9a-f]{64})")
_KEY = re.compile(r"[a-z0-9.-]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


@dataclass(frozen=True)
class Pointer:
    """What a pointer file names: the content's sha256 and its size in bytes."""

    oid: str
    size: int

    def encode(self) -> bytes:
        """The canonical pointer text, byte for byte what ``git lfs pointer`` writes."""
        return f"version {SPEC_URL}\noid sha256:{self.oid}\nsize {self.size}\n".encode("ascii")


def parse(data: bytes) -> Pointer | None:
    """The pointer ``data`` holds, or None when it is not a valid pointer (then it is ordinary content:
    git-lfs does the same and leaves such blobs alone)."""
    if len(data) >= MAX_POINTER_BYTES or not data.startswith(b"version ") or not data.endswith(b"\n"):
        return None
    try:
        lines = data.decode("utf-8").split("\n")[:-1]
    except UnicodeDecodeError:
        return None
    fields: dict[str, str] = {}
    previous = ""
    for i, line in enumerate(lines):
        key, sep, value = line.partition(" ")
        if not sep or not _KEY.fullmatch(key) or key in fields:
            return None
        if i > 0 and (key == "version" or key < previous):
            return None  # the spec sorts every key after version
        if i > 0:
            previous = key
        fields[key] = value
    if fields.get("version") not in _KNOWN_VERSIONS:
        return None
    oid = _OID.fullmatch(fields.get("oid", ""))
    size = fields.get("size", "")
    if oid is None or not _SIZE.fullmatch(size):
        return None
    return Pointer(oid.group(1), int(size))
