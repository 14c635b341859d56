"""How a run summary is packed into the index's rows and unpacked from them, lazily; the index's small helpers."""

from __future__ import annotations

import marshal
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from gx.errors import BadRecord
from gx.records import RunSummary
from gx.runinputs import RunInput, from_checked
from gx.store.bulk import top_level_files
from gx.store.decode import decode_summary, summary_record
from gx.store.encode import SUMMARY_FILES
from gx.store.history import Entry
from gx.store.repo import Store
from gx.store.summary import commit_summary, summary_sections

#: The key of a decode item's files that holds the commit's summary header instead of the tree's files.
HEADER = "gx-summary"


def summary_readers(store: Store, entries: list[Entry]) -> list[Callable[[str], bytes | None]]:
    """For each run commit, a reader of its summary files: read in one batch through git when it can,
    through dulwich for whatever the batch did not settle (the same bytes and the same errors)."""
    trees = [entry.commit.tree for entry in entries]

    def reader(tree: bytes, known: dict[str, bytes | BadRecord | None]) -> Callable[[str], bytes | None]:
        def read(path: str) -> bytes | None:
            found = known[path] if path in known else store.read_blob(tree, path)
            if isinstance(found, BadRecord):
                raise found
            return found
        return read

    return [reader(tree, known) for tree, known in zip(trees, top_level_files(store, trees, SUMMARY_FILES))]


def run_files(store: Store, entries: list[Entry]) -> list[dict[str, Any]]:
    """What each run commit's summary is decoded from: its ``gx-summary`` header when it has one
    (``{HEADER: bytes}``: nothing more to read), else its summary files read from the tree,
    all the trees in one batch."""
    out: list[dict[str, Any]] = [{} for _ in entries]
    from_tree = []
    use_headers = os.environ.get("GX_COMMIT_SUMMARIES", "") != "0"  # "0": every tree (comparisons, benchmarks)
    for i, entry in enumerate(entries):
        header = commit_summary(entry.commit) if use_headers else None
        if header is None:
            from_tree.append(i)
        else:
            out[i] = {HEADER: header}
    if from_tree:
        for i, files in zip(from_tree, tree_files(store, [entries[i] for i in from_tree])):
            out[i] = files
    return out


def tree_files(store: Store, entries: list[Entry]) -> list[dict[str, Any]]:
    """Each run commit's summary files, from its tree; an unreadable one is kept as its error."""
    files = []
    for read in summary_readers(store, entries):
        found: dict[str, Any] = {}
        for name in SUMMARY_FILES:
            try:
                found[name] = read(name)
            except BadRecord as exc:
                found[name] = exc
        files.append(found)
    return files


def header_row(data: bytes, run_id: str, experiment: str) -> tuple[Any, ...]:
    """``summary_row`` from a commit's summary header (BadRecord when it is not one gx reads)."""
    sections = summary_sections(data)
    return _row(summary_record(sections.__getitem__, experiment, run_id))


def summary_row(read: Callable[[str], bytes | None], run_id: str, experiment: str) -> tuple[Any, ...]:
    """(run_id, name, status, start, end, params, metrics, tags, source commit, inputs) of a run commit."""
    return _row(decode_summary(read, experiment, run_id))


def _row(rec: Any) -> tuple[Any, ...]:
    return (rec.run_id, rec.name, rec.status, rec.start_time, rec.end_time, rec.params, rec.latest_metrics(),
            rec.tags, rec.source.get("commit"), rec.inputs)


def packed_row(row: tuple[Any, ...], experiment: str, sha: str, commit_time: int) -> list[Any]:
    """A ``runs`` table row (without its seq): the summary marshalled, with a checksum over the payloads."""
    head = marshal.dumps((row[0], row[1], row[2], row[3], row[4], row[8], [i.to_dict() for i in row[9]]))
    params, metrics, tags = marshal.dumps(row[5]), marshal.dumps(row[6]), marshal.dumps(row[7])
    return [row[0], experiment, sha, row[3], row[1], head, params, metrics, tags, commit_time,
            zlib.crc32(head + params + metrics + tags)]


def unpacked_inputs(packed: list[dict[str, Any]]) -> list[RunInput]:
    """A run's inputs as ``packed_row`` stored them."""
    return [from_checked(d) for d in packed] if packed else []


class IndexDamaged(sqlite3.DatabaseError):
    """A row's payload does not match its checksum: the cache file was damaged; rebuild it."""


def check_crc(crc: Any, *payloads: bytes) -> None:
    """Only bytes this code wrote are ever unmarshalled (marshal is not safe on arbitrary input)."""
    if not all(type(p) is bytes for p in payloads) or zlib.crc32(b"".join(payloads)) != crc:
        raise IndexDamaged("a run's summary in the index does not match its checksum")


def _lazy(field: str) -> property:
    """A RunSummary mapping decoded from the index on first use (listing 100k runs touches few)."""
    raw_name, cache_name = f"_raw_{field}", f"_{field}"

    def get(self: LazySummary) -> Any:
        state = self.__dict__
        try:
            return state[cache_name]
        except KeyError:
            raw = state.get(raw_name)
            if raw is None:  # another thread decoded it in between (summaries shared by gx ui's threads)
                return state[cache_name]
            value = state[cache_name] = marshal.loads(raw)
            state.pop(raw_name, None)
            return value

    def set_(self: LazySummary, value: Any) -> None:
        self.__dict__.pop(raw_name, None)
        self.__dict__[cache_name] = value

    return property(get, set_)


class LazySummary(RunSummary):
    """A RunSummary whose params, metrics and tags stay encoded until read."""

    params = _lazy("params")  # type: ignore[assignment]
    metrics = _lazy("metrics")  # type: ignore[assignment]
    tags = _lazy("tags")  # type: ignore[assignment]


class KnownCommits(AbstractSet[bytes]):
    """The commits the index holds for one experiment, as a walk's stop set. Looked up one at a time
    (a walk after a fetch meets a handful, and loading 100k ids costs more than the walk); read whole
    only when a long walk iterates it. Remembers which of them a walk ran into."""

    def __init__(self, conn: sqlite3.Connection, experiment: str) -> None:
        self.conn, self.experiment = conn, experiment
        self.hits: set[bytes] = set()

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, bytes):
            return False
        found = self.conn.execute("SELECT 1 FROM commits WHERE sha = ? AND experiment = ?",
                                  (item.decode("ascii", "replace"), self.experiment)).fetchone() is not None
        if found:
            self.hits.add(item)
        return found

    def __iter__(self) -> Iterator[bytes]:
        rows = self.conn.execute("SELECT sha FROM commits WHERE experiment = ?", (self.experiment,)).fetchall()
        return (sha.encode() for (sha,) in rows)

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM commits WHERE experiment = ?", (self.experiment,)).fetchone()[0]


def where_experiments(experiments: list[str] | None) -> str:
    if not experiments:
        return ""
    return " WHERE experiment IN (" + ",".join("?" * len(experiments)) + ")"


def supersede(conn: sqlite3.Connection, experiment: str, rows: list[list[Any]],
              generation: dict[str, int]) -> tuple[set[str], bool]:
    """A run recorded again (``gx sweep --resume`` records its sweep's run again): the row of its newest
    commit in history order (highest generation) stays. Removes the indexed rows that ``rows`` replace;
    returns the ids of ``rows`` an indexed row replaces (the caller drops them) and whether any indexed
    row went away (the caller starts a new epoch)."""
    older, removed = set(), False
    find = ("SELECT r.sha, coalesce(c.generation, 0) FROM runs r LEFT JOIN commits c ON c.sha = r.sha "
            "WHERE r.run_id = ? AND r.experiment = ?")
    for row in rows:
        found = conn.execute(find, (row[0], experiment)).fetchone()
        if found is None or found[0] == row[2]:
            continue
        if found[1] >= generation.get(row[2], 0):
            older.add(row[0])
            continue
        for table in ("runs", "metric_values", "bad_runs"):
            conn.execute(f"DELETE FROM {table} WHERE run_id = ? AND experiment = ?", (row[0], experiment))  # noqa: S608
        removed = True
    return older, removed
