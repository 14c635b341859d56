"""The quarantine's verdict at once for the usual fetch, where every received object passes.

``Quarantine.admit`` walks each tip's history to say which tips may be stored. When no received
object has a problem the policy refuses or a blob to read by its role, every link names an object
of the type it says, and every tip is what its ref may point at, that walk can only accept every
tip: these checks say so in a few passes over the received objects, with no walk. Anything else
(a problem anywhere, even outside the tips' histories) leaves the verdict to the walk, which names
the tips to refuse and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from itertools import chain
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

from gx.store.fsck_types import COMMIT, TAG
from gx.store.fsckpolicy import FsckPolicy

if TYPE_CHECKING:
    from gx.store.incoming import Quarantine


def tip_kind_allowed(name: str, kind: int | None, tags: bool | AbstractSet[str]) -> bool:
    """Whether ref ``name`` may point at an object of ``kind``: a commit, or with ``tags`` (all, or
    those named) also an annotated tag."""
    tag_allowed = tags is True or (not isinstance(tags, bool) and name in tags)
    return kind == COMMIT or (tag_allowed and kind == TAG)


def all_pass(quarantine: Quarantine, tips: dict[str, bytes], policy: FsckPolicy,
             tags: bool | AbstractSet[str]) -> bool:
    """Whether the walk from each tip would accept every tip (False: let it decide)."""
    if not all(tip_kind_allowed(name, quarantine._type(tip), tags) for name, tip in tips.items()):
        return False
    found = quarantine.checked.values()
    if any(map(_SPECIAL, found)):
        return False
    if any(map(_PROBLEMS, found)) and any(policy.refuses(p) for checked in found for p in checked.problems):
        return False
    # links to objects not received (or received as another type): the repository's own, or broken
    kind_of = quarantine.types.get
    elsewhere = {(child, kind) for checked in found for child, kind, _ in checked.links if kind_of(child) != kind}
    if quarantine.vouched is not None:  # a helper's share of the trees: no problem, no special blob
        elsewhere.update(quarantine.vouched.elsewhere)
    return all(quarantine._type(child) == kind for child, kind in elsewhere)


_CHILD = itemgetter(0)
_SPECIAL, _PROBLEMS = attrgetter("special"), attrgetter("problems")


def _links(quarantine: Quarantine) -> Iterator[tuple[bytes, int, bytes]]:
    """Every link of every received object, iterated in C (130,000 at 10k runs)."""
    return chain.from_iterable(checked.links for checked in quarantine.checked.values())


def reach_all(quarantine: Quarantine, tips: Iterable[bytes]) -> bool:
    """Whether ``tips`` reach every received object: each is a tip or named by a received object.
    Links form no cycle (an object names others by the hash of their content), so following the
    namers of any received object up ends at a tip."""
    named = set(map(_CHILD, _links(quarantine)))
    named.update(tips)
    if quarantine.vouched is not None:
        named.update(quarantine.vouched.named)
    return named.issuperset(quarantine.types)
