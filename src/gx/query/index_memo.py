"""Run rows kept in memory between reads of one long-lived process (``gx ui``, a notebook).

After a ref moves, a read used to fetch, check and unmarshal every row of the experiment again
(~100 ms at 10k runs). Within one *epoch* of the index file the ``runs`` table only ever gains rows,
each with a larger ``seq``: so a process keeps the rows it read, and fetches only ``seq`` beyond what
it has. The epoch is a random token that changes whenever rows can disappear (a new index file,
an experiment rebuilt after a ref stopped fast-forwarding); then everything is read again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from gx.query.index_rows import check_crc

#: (start_time, commit_time, seq, experiment, sha, head, params, metrics, tags), crc-checked; lists of
#: them are in listing order: newest start first (no start last), then commit time, then seq (unique)
Row = tuple[Any, ...]

_ROWS: dict[tuple[str, str], tuple[str, int, list[Row]]] = {}
_LOCK = threading.Lock()
_OBJECTS: dict[str, tuple[str, dict[int, Any]]] = {}
_NO_START = float("-inf")
#: Experiments' rows kept per process (least recently read dropped first).
MAX_EXPERIMENTS = 64
#: Repositories whose shared summaries a process keeps.
MAX_SHARED_STORES = 4


def new_epoch(conn: sqlite3.Connection) -> None:
    """Mark the index as changed in a way a process's kept rows cannot follow."""
    conn.execute("INSERT OR REPLACE INTO meta VALUES('epoch', ?)", (os.urandom(8).hex(),))


def rows_of(conn: sqlite3.Connection, path: str, experiments: list[str]) -> tuple[str, list[Row]]:
    """The index's epoch and every indexed run row of ``experiments``, in listing order."""
    conn.execute("BEGIN")  # one snapshot: the epoch, the top seq and the rows agree
    try:
        epoch = (conn.execute("SELECT value FROM meta WHERE key='epoch'").fetchone() or ("",))[0]
        top = conn.execute("SELECT coalesce(max(seq), 0) FROM runs").fetchone()[0]
        parts = [_experiment_rows(conn, path, exp, epoch, top) for exp in experiments]
    finally:
        conn.execute("COMMIT")
    if len(parts) == 1:
        return epoch, parts[0]
    return epoch, sorted((row for part in parts for row in part), key=listing_order, reverse=True)


def listing_order(row: Row) -> tuple[float, int, int]:
    return (_NO_START if row[0] is None else row[0], row[1], row[2])  # as SQL's DESC puts NULL last


def _experiment_rows(conn: sqlite3.Connection, path: str, experiment: str, epoch: str, top: int) -> list[Row]:
    key = (path, experiment)
    with _LOCK:
        kept = _ROWS.pop(key, None)
    if kept is not None and kept[0] == epoch and kept[1] == top:
        rows = kept[2]
    elif kept is not None and kept[0] == epoch and kept[1] < top:
        rows = sorted(kept[2] + _fetch(conn, experiment, kept[1], top), key=listing_order, reverse=True)
    else:
        rows = _fetch(conn, experiment, -1, top)
    with _LOCK:
        _ROWS[key] = (epoch, top, rows)
        while len(_ROWS) > MAX_EXPERIMENTS:
            del _ROWS[next(iter(_ROWS))]
    return rows


def _fetch(conn: sqlite3.Connection, experiment: str, after: int, upto: int) -> list[Row]:
    """Rows with ``after < seq <= upto``, in listing order (sorted by SQLite)."""
    # "+seq": for a whole experiment a table scan beats walking the seq index (by a third at 10k)
    seq = "seq" if after >= 0 else "+seq"
    sql = ("SELECT start_time, commit_time, seq, experiment, sha, head, params, metrics, tags, crc FROM runs "
           f"WHERE experiment = ? AND {seq} > ? AND {seq} <= ? ORDER BY start_time DESC, commit_time DESC, seq DESC")
    rows = conn.execute(sql, (experiment, after, upto)).fetchall()
    for row in rows:
        check_crc(row[9], row[5], row[6], row[7], row[8])
    return rows


def shared_summaries(path: str, epoch: str) -> dict[int, Any]:
    """Summaries built in this epoch by seq, for callers that promise not to change them (gx ui):
    their decoded params and metrics then survive from one request to the next."""
    with _LOCK:
        kept = _OBJECTS.pop(path, None)
        if kept is None or kept[0] != epoch:
            kept = (epoch, {})
        _OBJECTS[path] = kept
        while len(_OBJECTS) > MAX_SHARED_STORES:
            del _OBJECTS[next(iter(_OBJECTS))]
        return kept[1]


def forget() -> None:
    """Drop every kept row and summary (tests; a process that wants its memory back)."""
    with _LOCK:
        _ROWS.clear()
        _OBJECTS.clear()
