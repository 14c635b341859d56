"""MLflow's SQLite tracking store, read with sqlite3 (read-only; no mlflow, no SQLAlchemy).

The tables read are the ones every MLflow version since 1.x has: ``experiments``, ``runs``,
``params``, ``tags``, ``metrics``, and MLflow 2.4+'s dataset inputs when present. Rows are fetched per batch of runs, so memory stays bounded.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from gx import limits
from gx.errors import GxError
from gx.importers.source import MlflowRun, SkippedRun, local_artifact_dir

_BATCH = 200


class SqliteStore:
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise GxError(f"no MLflow database at {path}")
        self.path = path
        try:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            self.db.execute("SELECT experiment_id, name FROM experiments LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise GxError(f"{path} is not an MLflow tracking database ({exc})") from None
        self._ids = {name: exp_id for exp_id, name in self.db.execute("SELECT experiment_id, name FROM experiments")}

    def experiments(self) -> list[str]:
        return list(self._ids)

    def experiment_details(self, experiment: str) -> tuple[str, dict[str, str]]:
        exp_id = self._ids[experiment]
        try:
            rows = self.db.execute("SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (exp_id,)).fetchall()
        except sqlite3.DatabaseError:  # a database from before experiment tags
            rows = []
        return str(exp_id), {str(k): str(v) for k, v in rows[:limits.MAX_KEYS_PER_RUN] if v is not None}

    def _where(self, experiments: list[str]) -> tuple[str, list[object]]:
        ids = [self._ids[e] for e in experiments]
        return f"experiment_id IN ({','.join('?' * len(ids))})", ids

    def count_runs(self, experiments: list[str]) -> int:
        where, args = self._where(experiments)
        return int(self.db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", args).fetchone()[0])

    def runs(self, experiments: list[str], skip: set[str]) -> Iterator[MlflowRun | SkippedRun]:
        names = {exp_id: name for name, exp_id in self._ids.items()}
        where, args = self._where(experiments)
        rows = self.db.execute(
            "SELECT run_uuid, experiment_id, name, status, start_time, end_time, user_id, lifecycle_stage, "
            f"artifact_uri FROM runs WHERE {where} ORDER BY start_time, run_uuid", args).fetchall()
        rows = [r for r in rows if r[0] not in skip]
        for start in range(0, len(rows), _BATCH):
            batch = rows[start:start + _BATCH]
            runs = {r[0]: MlflowRun(
                run_id=r[0], experiment=names[r[1]], name=r[2] or "", status=r[3] or "FINISHED",
                start_time=r[4], end_time=r[5], user=r[6] or "", deleted=r[7] == "deleted",
                artifact_dir=local_artifact_dir(r[8], self.path.parent), artifact_uri=r[8] or "",
            ) for r in batch}
            marks = ",".join("?" * len(runs))
            ids = list(runs)
            for key, value, run_id in self.db.execute(f"SELECT key, value, run_uuid FROM params WHERE run_uuid IN ({marks})", ids):
                runs[run_id].params[key] = value if value is not None else ""
            for key, value, run_id in self.db.execute(f"SELECT key, value, run_uuid FROM tags WHERE run_uuid IN ({marks})", ids):
                runs[run_id].tags[key] = value if value is not None else ""
            for key, value, ts, step, is_nan, run_id in self.db.execute(
                    f"SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE run_uuid IN ({marks}) "
                    "ORDER BY run_uuid, key, step, timestamp", ids):
                runs[run_id].metrics.setdefault(key, []).append((int(step or 0), int(ts or 0), math.nan if is_nan else float(value)))
            self._add_inputs(runs, marks, ids)
            yield from runs.values()

    def _add_inputs(self, runs: dict[str, MlflowRun], marks: str, ids: list[str]) -> None:
        """The runs' dataset inputs (tables ``datasets``, ``inputs``, ``input_tags``: MLflow 2.4+)."""
        try:
            rows = self.db.execute(
                "SELECT i.input_uuid, i.destination_id, d.name, d.digest, d.dataset_source_type, d.dataset_source, "
                "d.dataset_schema, d.dataset_profile FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id "
                f"WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id IN ({marks})",
                ids).fetchall()
        except sqlite3.DatabaseError:  # a database from before dataset inputs
            return
        tags: dict[str, dict[str, str]] = {}
        for start in range(0, len(rows), _BATCH):
            uuids = [r[0] for r in rows[start:start + _BATCH]]
            for input_uuid, key, value in self.db.execute(
                    f"SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({','.join('?' * len(uuids))})",
                    uuids):
                tags.setdefault(input_uuid, {})[str(key)] = str(value)
        for input_uuid, run_id, *fields in rows:
            dataset = dict(zip(("name", "digest", "source_type", "source", "schema", "profile"), fields))
            runs[run_id].inputs.append((dataset, tags.get(input_uuid, {})))
