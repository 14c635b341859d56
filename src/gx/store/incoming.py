"""Fetched objects wait in a quarantine until every one of them passed git fsck's checks.

As in git's receive-pack, objects arrive in a temporary object directory (``objects/incoming-*``)
that the repository does not read. Every received object is checked (``verify.py``); an experiment
whose new history holds an object that would make ``git fsck --strict`` fail here, or a broken
link, is refused. Only then are the objects of the experiments that passed moved into the object
store, and only then may refs move. Everything is linear in what was received.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Callable

from dulwich.object_store import BaseObjectStore, DiskObjectStore
from dulwich.objects import hex_to_sha, sha_to_hex
from dulwich.pack import UnpackedObject, UnpackedObjectIterator

from gx.store import verify
from gx.store.fsckpolicy import FsckPolicy
from gx.store.incoming_whole import all_pass, reach_all, tip_kind_allowed
from gx.store.merge import UNREADABLE, counted
from gx.store.pack_types import pack_kinds
from gx.store.verify import BROKEN, COMMIT, TYPE_NAMES, Checked, Problem


@dataclass
class Vouched:
    """What a helper that checked a share of the received trees answered (``incoming_git._Helper``):
    none of them has a problem or a blob to read by its role; ``elsewhere``, the links among them to
    objects not received as the type named; ``named``, every id they name."""

    named: frozenset[bytes]
    elsewhere: list[tuple[bytes, int]]


@dataclass
class Verdict:
    """Tips whose whole new history passed (their objects are now stored), and why the rest did not."""

    accepted: dict[str, bytes] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


class Quarantine:
    """A temporary object directory beside the repository's; nothing in it is read by git or gx."""

    def __init__(self, main: DiskObjectStore, alternate: bool = True) -> None:
        """``alternate``: list the repository's objects as an alternate on disk (bases of a thin pack
        dulwich completes); git's fetch is given it in its environment instead."""
        self.main = main
        self.path = tempfile.mkdtemp(prefix="incoming-", dir=main.path)
        self.objects = DiskObjectStore.init(self.path)
        if alternate:
            self.objects.add_alternate_path(os.path.abspath(main.path))
        self.types: dict[bytes, int] = {}  # every received object
        self.checked: dict[bytes, Checked] = {}  # trees and commits (their problems and links)
        self.commits: dict[bytes, bytes] = {}  # every received commit, raw (runs are counted from them)
        self._local_types: dict[bytes, int | None] = {}
        self._special: dict[tuple[bytes, str], list[Problem]] = {}
        self.vouched: Vouched | None = None  # a share of the trees, checked by a helper (not in ``checked``)
        self._check_share: Callable[[], None] | None = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.objects.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def _record(self, sha: bytes, type_num: int, raw: bytes) -> None:
        self.types[sha] = type_num
        if type_num in (verify.TREE, verify.COMMIT, verify.TAG):
            self.checked[sha] = verify.check_raw(type_num, raw)
        if type_num == verify.COMMIT:
            self.commits[sha] = raw

    def add_objects(self, source: BaseObjectStore, ids: list[bytes], progress: Callable[[str], None] | None) -> None:
        """Copy objects from another repository's store, checking each on the way (raw: an
        object dulwich cannot parse is still checked, and refused, rather than raising)."""
        missing: list[bytes] = []

        def records(wanted: list[bytes]) -> Iterator[UnpackedObject]:
            for sha in counted(wanted, progress, "Receiving"):
                try:
                    type_num, raw = source.get_raw(sha)
                except (KeyError, *UNREADABLE):  # the other repository is broken: the link check says so
                    missing.append(sha)
                    continue
                self._record(sha, type_num, raw)
                yield UnpackedObject(type_num, decomp_chunks=[raw], sha=hex_to_sha(sha))

        try:
            self.objects.add_pack_data(len(ids), records(ids))
        except Exception:
            if not missing:
                raise
        if missing:  # the pack's header counted objects that were not there: write it again
            self._reset()
            gone = set(missing)
            present = [sha for sha in ids if sha not in gone]
            self.objects.add_pack_data(len(present), records(present))

    def _reset(self) -> None:
        self.objects.close()
        shutil.rmtree(self.path)
        os.mkdir(self.path)
        self.objects = DiskObjectStore.init(self.path)
        self.objects.add_alternate_path(os.path.abspath(self.main.path))
        self.types.clear()
        self.checked.clear()
        self.commits.clear()

    def add_thin_pack(self, read_all: Callable[[int], bytes]) -> None:
        """A pack as it came over the wire (deltas against local objects completed), then checked:
        every object's type from its header, and only trees and commits inflated (blobs are most of
        a pack, and only the few that trees name ``.gitmodules``/``.gitattributes`` are read)."""
        pack = self.objects.add_thin_pack(read_all, None)
        pack_dir = os.path.join(self.path, "pack")
        for name in os.listdir(pack_dir):  # the one pack just written
            if name.endswith(".pack"):
                self.types.update(pack_kinds(os.path.join(pack_dir, name), pack.index.iterentries()))
        wanted = [sha for sha, kind in self.types.items() if kind in (verify.TREE, COMMIT, verify.TAG)]
        for unpacked in UnpackedObjectIterator.for_pack_subset(pack, wanted, resolve_ext_ref=self.objects.get_raw):
            self._record(sha_to_hex(unpacked.sha()), unpacked.obj_type_num, b"".join(unpacked.obj_chunks))

    def vouch(self, vouched: Vouched | None, check_share: Callable[[], None]) -> None:
        """A helper's verdict on a share of the trees, and how to check that share here instead: at
        once when the helper has no verdict, else only if the fast verdict does not hold."""
        if vouched is None:
            check_share()
        else:
            self.vouched, self._check_share = vouched, check_share

    def _settle(self) -> None:
        """Every received tree, commit and tag in ``checked``: the walk follows each one's links."""
        if self._check_share is not None:
            self._check_share()
        self.vouched, self._check_share = None, None

    # -- the verdict -------------------------------------------------------------------------
    def admit(self, tips: dict[str, bytes], policy: FsckPolicy, tags: bool | AbstractSet[str] = False) -> Verdict:
        """Check every tip's history, then store the objects of the tips that passed. A tip must be
        a commit, or with ``tags`` (all, or those named) also an annotated tag (the registry's)."""
        reasons: dict[bytes, str | None] = {}
        verdict = Verdict()
        whole = all_pass(self, tips, policy, tags)  # the usual fetch: no walk from each tip
        if not whole:
            self._settle()
        for name, tip in sorted(tips.items()):
            if whole:
                verdict.accepted[name] = tip
                continue
            kind = self._type(tip)
            if not tip_kind_allowed(name, kind, tags):
                verdict.refused[name] = f"it points at {tip.decode()[:8]}, which did not arrive" if kind is None \
                    else f"it points at a {TYPE_NAMES.get(kind, 'object')}, not a commit"
                continue
            reason = self._reason(tip, policy, reasons)
            if reason:
                verdict.refused[name] = reason
            else:
                verdict.accepted[name] = tip
        received = [tip for tip in verdict.accepted.values() if tip in self.types]
        if whole and received and reach_all(self, received):
            self._move_packs()  # every received object is reached: the packs move in as they are
        else:
            self._settle()
            self._migrate(received)
        return verdict

    def _type(self, sha: bytes) -> int | None:
        kind = self.types.get(sha)
        if kind is not None:
            return kind
        if sha not in self._local_types:
            try:
                self._local_types[sha] = self.main.get_raw(sha)[0]
            except KeyError:
                self._local_types[sha] = None
        return self._local_types[sha]

    def _reason(self, root: bytes, policy: FsckPolicy, reasons: dict[bytes, str | None]) -> str | None:
        """Why ``root``'s received history may not be stored (None: it may), children first."""
        stack, expanded, checked = [root], set(), self.checked
        while stack:
            sha = stack[-1]
            if sha in reasons:
                stack.pop()
                continue
            found = checked.get(sha)
            if found is not None and sha not in expanded:
                expanded.add(sha)  # a link said to be a blob is never a checked object's: its type is wrong
                pending = [c for c, kind, _ in found.links if kind != verify.BLOB and c not in reasons and c in checked]
                if pending:
                    stack.extend(pending)
                    continue
            stack.pop()
            reasons[sha] = None if found is None else self._own_reason(sha, found, policy, reasons)
        return reasons[root]

    def _own_reason(self, sha: bytes, found: Checked, policy: FsckPolicy,
                    reasons: dict[bytes, str | None]) -> str | None:
        for problem in found.problems:
            if policy.refuses(problem):
                return f"{self._what(sha)} {problem}"
        types = self.types
        for child, expected, name in found.links:
            kind = types.get(child) or self._type(child)
            if kind != expected:
                role = f"entry {verify.show_name(name)}" if name else "its tree" if expected == verify.TREE else "parent"
                actual = "missing" if kind is None else f"a {TYPE_NAMES.get(kind, 'object')}"
                return f"{self._what(sha)}: {role} {child.decode()[:8]} is {actual}, not a {TYPE_NAMES[expected]} ({BROKEN})"
            if reasons.get(child):
                return reasons[child]
        for blob, special in found.special:
            for problem in self._special_problems(blob, special):
                if policy.refuses(problem):
                    return f"{self._what(sha)}: its {special} (blob {blob.decode()[:8]}) {problem}"
        return None

    def _what(self, sha: bytes) -> str:
        return f"{TYPE_NAMES[self.types[sha]]} {sha.decode()[:8]}"

    def _special_problems(self, blob: bytes, role: str) -> list[Problem]:
        key = (blob, role)
        if key not in self._special:
            kind, blob_id = self._type(blob), "gitmodules" if role == ".gitmodules" else "gitattributes"
            if kind is None:
                found = []  # the missing link is reported on its own
            elif kind != verify.BLOB:
                found = [Problem(f"{blob_id}Blob", f"non-blob found at {role}")]
            else:
                found = verify.check_special_blob(self._raw(blob), role)
            self._special[key] = found
        return self._special[key]

    # -- moving in -------------------------------------------------------------------------------
    def _migrate(self, tips: list[bytes]) -> None:
        """Move the received objects reachable from ``tips`` into the object store: the packs as
        they are when that is every received object (the usual case), else a new pack of those."""
        keep: set[bytes] = set()
        stack = list(tips)
        while stack:
            sha = stack.pop()
            if sha in keep or sha not in self.types:
                continue
            keep.add(sha)
            found = self.checked.get(sha)
            if found is not None:
                stack.extend([c for c, _, _ in found.links])
        if not keep:
            return
        if len(keep) == len(self.types) or all(sha in keep or self._type_local(sha) for sha in self.types):
            self._move_packs()
            return
        def records() -> Iterator[UnpackedObject]:
            for sha in keep:
                type_num, raw = self.objects.get_raw(sha)
                yield UnpackedObject(type_num, decomp_chunks=[raw], sha=hex_to_sha(sha))

        self.main.add_pack_data(len(keep), records())

    def _raw(self, sha: bytes) -> bytes:
        try:
            return self.objects.get_raw(sha)[1]
        except KeyError:
            return self.main.get_raw(sha)[1]

    def _type_local(self, sha: bytes) -> bool:
        try:
            self.main.get_raw(sha)
        except KeyError:
            return False
        return True

    def _move_packs(self) -> None:
        source, target = os.path.join(self.path, "pack"), os.path.join(self.main.path, "pack")
        self.objects.close()
        names = sorted((n for n in os.listdir(source) if n.startswith("pack-") and not n.endswith(".keep")),
                       key=lambda n: n.endswith(".idx"))
        for name in names:  # the index last: readers find a pack by its index
            if os.path.exists(os.path.join(target, name)):
                continue  # the same pack is already there
            os.replace(os.path.join(source, name), os.path.join(target, name))
        self.main.packs  # noqa: B018 - dulwich rescans the pack directory here
