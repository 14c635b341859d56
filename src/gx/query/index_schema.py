"""The index's tables (``.git/gx/index.sqlite``): a cache, rebuilt whenever this version changes."""

from __future__ import annotations

import sqlite3
import sys

# marshal's format follows the Python version: a new interpreter rebuilds the index
SCHEMA_VERSION = f"9-py{sys.version_info[0]}.{sys.version_info[1]}"
SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE refs(ref TEXT PRIMARY KEY, experiment TEXT NOT NULL, tip TEXT NOT NULL);
CREATE TABLE commits(sha TEXT PRIMARY KEY, experiment TEXT NOT NULL, generation INTEGER NOT NULL);
CREATE TABLE runs(run_id TEXT NOT NULL, experiment TEXT NOT NULL, sha TEXT NOT NULL, start_time REAL,
                  name TEXT NOT NULL, head BLOB NOT NULL, params BLOB NOT NULL, metrics BLOB NOT NULL,
                  tags BLOB NOT NULL, commit_time INTEGER NOT NULL, crc INTEGER NOT NULL, seq INTEGER NOT NULL,
                  PRIMARY KEY(run_id, experiment));
CREATE TABLE bad_runs(run_id TEXT NOT NULL, experiment TEXT NOT NULL, sha TEXT NOT NULL, reason TEXT NOT NULL,
                      PRIMARY KEY(run_id, experiment));
CREATE TABLE events(sha TEXT PRIMARY KEY, experiment TEXT NOT NULL, run_id TEXT NOT NULL, kind TEXT NOT NULL,
                    time REAL NOT NULL, commit_time INTEGER NOT NULL, generation INTEGER NOT NULL);
CREATE TABLE metric_values(run_id TEXT NOT NULL, experiment TEXT NOT NULL, key TEXT NOT NULL, value REAL,
                           status TEXT, PRIMARY KEY(key, run_id, experiment)) WITHOUT ROWID;
"""
#: Secondary indexes: dropped while an empty index is filled and built once at the end (sorting once
#: costs far less than keeping four b-trees in order through 100k runs' inserts).
_SECONDARY = {"commits_by_experiment": "commits(experiment)", "runs_by_seq": "runs(seq)",
              "metric_by_value": "metric_values(key, value)", "metric_by_status": "metric_values(key, status, value)"}


def secondary_indexes(conn: sqlite3.Connection, create: bool) -> None:
    for name, columns in _SECONDARY.items():
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}" if create else f"DROP INDEX IF EXISTS {name}")
