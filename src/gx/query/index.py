"""A local, rebuildable SQLite index of run summaries under ``.git/gx/index.sqlite``.

Never the source of truth: every read first compares the experiment refs with the tips the
index last saw and walks only the new commits (refs moved by ``git fetch``, another process or
another tool are picked up). A deleted, corrupt or outdated index is rebuilt silently.
Set ``GX_NO_INDEX=1`` to read the refs directly.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from contextlib import suppress
from operator import itemgetter
from typing import Any

from gx.query.index_feed import DecodeFeed, Decoders
from gx.query.index_memo import new_epoch, rows_of, shared_summaries
from gx.query.index_progress import BuildProgress
from gx.query.index_rows import (
    KnownCommits,
    LazySummary,
    supersede,
    unpacked_inputs,
    where_experiments,
)
from gx.query.index_schema import SCHEMA, SCHEMA_VERSION, secondary_indexes
from gx.records import BadRun, ExperimentInfo, RunSummary
from gx.store import objects as gobj
from gx.store.history import generations, walk
from gx.store.repo import Store


def enabled() -> bool:
    return os.environ.get("GX_NO_INDEX", "") in ("", "0")


class Index:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.paths.gx_dir / "index.sqlite"
        self.progress = BuildProgress()
        self.decoders = Decoders()
        self.conn = self._open()

    # -- opening -----------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA cache_size=-65536")  # up to 64 MiB: a 100k-run build's b-trees stay in memory
                if self._version(conn) == SCHEMA_VERSION:
                    return conn
                if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:  # a new file
                    conn.executescript(SCHEMA)
                    secondary_indexes(conn, create=True)
                    conn.execute("INSERT INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
                    new_epoch(conn)
                    return conn
                conn.close()
            except sqlite3.DatabaseError:
                if attempt == 2:
                    raise
            self._remove()  # outdated or corrupt: start again from the refs
        raise AssertionError("unreachable")

    @staticmethod
    def _version(conn: sqlite3.Connection) -> str | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.remove(str(self.path) + suffix)

    def close(self) -> None:
        self.conn.close()

    def discard(self) -> None:
        """Close and delete the cache (damaged): the next command builds it again from the refs."""
        self.conn.close()
        self._remove()

    # -- keeping up with the refs ---------------------------------------------------------
    def refresh(self) -> None:
        """Index what the refs have that the index has not seen yet."""
        current = {ref.decode(): (exp, sha.decode()) for ref, (exp, sha) in self.store.experiment_refs().items()}
        conn = self.conn
        indexed = {ref: (exp, tip) for ref, exp, tip in conn.execute("SELECT ref, experiment, tip FROM refs")}
        if indexed == current:
            return
        self.progress = BuildProgress()
        conn.execute("BEGIN IMMEDIATE")
        try:
            indexed = {ref: (exp, tip) for ref, exp, tip in conn.execute("SELECT ref, experiment, tip FROM refs")}
            if not indexed:
                secondary_indexes(conn, create=False)
            changed: dict[str, list[tuple[str | None, str]]] = {}
            rebuild: set[str] = set()
            for ref, (exp, tip) in current.items():
                old = indexed.get(ref)
                if old != (exp, tip):
                    changed.setdefault(exp, []).append((old[1] if old and old[0] == exp else None, tip))
            for ref, (exp, _) in indexed.items():
                if ref not in current:
                    rebuild.add(exp)
            for exp, moves in changed.items():
                if exp not in rebuild and not self._advance(exp, moves):
                    rebuild.add(exp)
            for exp in rebuild:
                self._rebuild(exp, [tip for e, tip in current.values() if e == exp])
            conn.execute("DELETE FROM refs")
            conn.executemany("INSERT INTO refs VALUES(?,?,?)", [(r, e, t) for r, (e, t) in current.items()])
            secondary_indexes(conn, create=True)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            self.decoders.close()
            self.progress.finish()

    def _advance(self, experiment: str, moves: list[tuple[str | None, str]]) -> bool:
        """Walk from the new tips down to known commits; False when a ref did not fast-forward."""
        known = KnownCommits(self.conn, experiment)
        if not len(known):  # an experiment new to the index: nothing to stop at, nothing to look up
            reached = self._index_walk(experiment, [tip.encode() for _, tip in moves], frozenset())
        else:
            new = {tip for _, tip in moves if tip.encode() not in known}
            reached = known.hits | self._index_walk(experiment, [t.encode() for t in new], known)
        return all(old is None or old.encode() in reached or old == tip for old, tip in moves)

    def _rebuild(self, experiment: str, tips: list[str]) -> None:
        new_epoch(self.conn)  # rows go away: processes that kept rows read them again
        for table in ("runs", "bad_runs", "commits", "events", "metric_values"):
            self.conn.execute(f"DELETE FROM {table} WHERE experiment=?", (experiment,))  # noqa: S608
        if tips:
            self._index_walk(experiment, [t.encode() for t in tips], frozenset())

    def _index_walk(self, experiment: str, tips: list[bytes], stop: Any) -> set[bytes]:
        runs, bad, events, values, entries = [], [], [], [], []
        feed = DecodeFeed(self.store, experiment, self.progress, self.decoders)
        for entry in walk(self.store, tips, stop) if tips else ():
            entries.append(entry)
            if entry.kind == gobj.KIND_RUN and entry.run_id:
                feed.add(entry)  # decoded by the workers while the walk goes on
        for item, outcome in feed.results():
            if outcome[0] == "bad":
                bad.append((item[0], experiment, item[1], outcome[1]))
            else:
                runs.append(outcome[1])
                values.extend(outcome[2])
        known = self.conn.execute
        gen = generations(entries, lambda sha: (known("SELECT generation FROM commits WHERE sha=?",
                                                      (sha.decode(),)).fetchone() or (None,))[0])
        commits = [(entry.sha.decode(), experiment, gen[entry.sha]) for entry in entries]
        events = [(entry.sha.decode(), experiment, entry.run_id, entry.kind, entry.event_time, entry.time, gen[entry.sha])
                  for entry in entries if entry.kind in (gobj.KIND_DELETE, gobj.KIND_RESTORE) and entry.run_id]
        if runs and stop:  # a walk on top of indexed runs may meet one recorded again (docs/format.md)
            older, removed = supersede(self.conn, experiment, runs, {e.sha.decode(): gen[e.sha] for e in entries})
            if removed:
                new_epoch(self.conn)  # rows went away: processes that kept rows read them again
            runs = [r for r in runs if r[0] not in older]
            values = [v for v in values if v[0] not in older]
        commits.sort()  # in key order: b-tree appends (each sha is walked once)
        self.conn.executemany("INSERT OR IGNORE INTO commits VALUES(?,?,?)", commits)
        # seq keeps the walk's order (newest first) for ties in commit time: history order is
        # ORDER BY commit_time DESC, seq DESC, as gx.store.history.walk yields it
        base = self.conn.execute("SELECT coalesce(max(seq), 0) FROM runs").fetchone()[0]
        for i, row in enumerate(runs):
            row.append(base + len(runs) - i)
        self.conn.executemany("INSERT OR IGNORE INTO runs VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", runs)
        self.conn.executemany("INSERT OR IGNORE INTO bad_runs VALUES(?,?,?,?)", bad)
        self.conn.executemany("INSERT OR IGNORE INTO events VALUES(?,?,?,?,?,?,?)", events)
        values.sort(key=itemgetter(2, 0))  # in primary-key order: appends to the b-tree, ~3x faster
        self.conn.executemany("INSERT OR IGNORE INTO metric_values VALUES(?,?,?,?,?)", values)
        return {entry.sha for entry in entries}

    # -- queries -------------------------------------------------------------------------
    def deleted(self, experiments: list[str] | None) -> set[tuple[str, str]]:
        """(experiment, run_id) pairs whose latest delete/restore event is a delete."""
        state: dict[tuple[str, str], str] = {}
        sql = "SELECT experiment, run_id, kind FROM events"
        # history order (generation) first: a restore made on top of a delete wins whatever date the
        # delete claims; time only orders events on diverged lines
        rows = self.conn.execute(sql + where_experiments(experiments) + " ORDER BY generation, time, commit_time", experiments or ())
        for exp, run_id, kind in rows:
            state[(exp, run_id)] = kind
        return {key for key, kind in state.items() if kind == gobj.KIND_DELETE}

    def warn_bad_runs(self, experiments: list[str] | None = None) -> None:
        """One warning for each run in scope whose files could not be read."""
        sql = "SELECT experiment, run_id, sha, reason FROM bad_runs" + where_experiments(experiments)
        for row in self.conn.execute(sql + " ORDER BY experiment, run_id", experiments or ()):
            BadRun(*row).warn()

    def summaries(self, experiments: list[str] | None = None, include_deleted: bool = False,
                  deleted_only: bool = False, history_order: bool = False, shared: bool = False) -> list[RunSummary]:
        """Run summaries, newest start first (or in history order: the order ``~N`` counts in);
        each unreadable run in scope is one warning. With ``shared``, the same objects as an earlier
        call of this process where the run is unchanged (the caller must not modify them)."""
        self.warn_bad_runs(experiments)
        deleted = self.deleted(experiments)
        names = experiments or sorted({exp for (exp,) in self.conn.execute("SELECT DISTINCT experiment FROM refs")})
        epoch, rows = rows_of(self.conn, str(self.path), names)
        if history_order:
            rows = sorted(rows, key=lambda r: (r[1], r[2]), reverse=True)
        kept = shared_summaries(str(self.path), epoch) if shared else {}
        out = []
        new, loads = LazySummary.__new__, marshal.loads
        for _, _, seq, exp, sha, head, params, metrics, tags, _ in rows:
            run = kept.get(seq)
            if run is None:
                run_id, name, status, start, end, source, inputs = loads(head)
                run = new(LazySummary)
                run.run_id, run.experiment, run.name, run.status = run_id, exp, name, status
                run.start_time, run.end_time, run.commit, run.source_commit = start, end, sha, source
                run.inputs = unpacked_inputs(inputs)
                run._raw_params, run._raw_metrics, run._raw_tags = params, metrics, tags
                if shared:
                    kept[seq] = run
            gone = bool(deleted) and (exp, run.run_id) in deleted
            if (gone if deleted_only else include_deleted or not gone):
                run.deleted = gone
                out.append(run)
        return out

    def experiments(self, names: list[str]) -> list[Any]:
        """Per experiment: live runs, deleted runs, and when its newest live run started."""
        self.warn_bad_runs(names)
        deleted = self.deleted(None)
        counts: dict[str, list[Any]] = {name: [0, 0, None] for name in names}
        for exp, run_id, start in self.conn.execute("SELECT experiment, run_id, start_time FROM runs"):
            entry = counts.get(exp)
            if entry is None:
                continue
            if (exp, run_id) in deleted:
                entry[1] += 1
            else:
                entry[0] += 1
                entry[2] = start if entry[2] is None or (start or 0) > entry[2] else entry[2]
        return [ExperimentInfo(name, live, gone, last) for name, (live, gone, last) in counts.items()]

    def find(self, prefix: str) -> list[tuple[str, str, str]]:
        """(experiment, run_id, sha) of runs whose id starts with ``prefix``."""
        return [row for table in ("runs", "bad_runs") for row in self.conn.execute(
            f"SELECT experiment, run_id, sha FROM {table} WHERE run_id >= ? AND run_id < ?",  # noqa: S608
            (prefix, prefix + "\uffff"))]

    def find_by_name(self, name: str) -> list[tuple[str, str, str]]:
        return list(self.conn.execute("SELECT experiment, run_id, sha FROM runs WHERE name = ?", (name,)))


def open_index(store: Store) -> Index | None:
    """The refreshed index, or None when disabled or unusable (callers then read the refs)."""
    if not enabled():
        return None
    try:
        index = Index(store)
        index.refresh()
        return index
    except (sqlite3.Error, OSError):
        return None
