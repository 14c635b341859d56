"""Every object's type in a pack, read from the pack's object headers (``incoming.py``'s thin packs)."""

from __future__ import annotations

import mmap
from collections.abc import Iterable

from dulwich.objects import sha_to_hex
from dulwich.pack import OFS_DELTA, REF_DELTA


def pack_kinds(path: str, entries: Iterable[tuple[bytes, int, object]]) -> dict[bytes, int]:
    """``{hex id: type}`` of every object in a pack, read from the object headers alone (a delta has
    its base's type), as git's pack format lays them out: nothing is inflated."""
    at = {offset: sha for sha, offset, _crc in entries}
    offset_of = {sha: offset for offset, sha in at.items()}
    kinds: dict[int, int] = {}
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for start in at:
            offset, chain = start, []
            while offset not in kinds:
                if len(chain) > len(at):
                    raise ValueError(f"{path}: a delta chain loops")
                pos = offset
                c = data[pos]
                kind = (c >> 4) & 7
                while c & 0x80:  # the size, 7 bits a byte
                    pos += 1
                    c = data[pos]
                pos += 1
                if kind == OFS_DELTA:
                    c = data[pos]
                    back = c & 0x7F
                    while c & 0x80:
                        pos += 1
                        c = data[pos]
                        back = ((back + 1) << 7) | (c & 0x7F)
                    chain.append(offset)
                    offset -= back
                elif kind == REF_DELTA:
                    chain.append(offset)
                    offset = offset_of[bytes(data[pos:pos + 20])]
                else:
                    kinds[offset] = kind
            for link in chain:
                kinds[link] = kinds[offset]
    return {sha_to_hex(at[offset]): kind for offset, kind in kinds.items()}
