"""Decoding run summaries for the index, on every core when there are thousands.

Parsing four small YAML files per run is most of a cold build (the first command after a clone).
The parent reads every file first (git batches, dulwich for the rest), so worker processes only
parse bytes: they never touch the repository or the index. A read that failed is handed over as
the error itself and raised where the decoder asks for that file, so a run fails with the same
message in a worker as in the parent. Set ``GX_INDEX_WORKERS=0`` to decode in the parent only, ``N`` for N workers whatever the size.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from gx.errors import BadRecord
from gx.query.index_rows import packed_row, summary_row
from gx.store.encode import SUMMARY_FILES

#: Fewer runs than this are decoded in the parent: starting workers costs more than it saves.
MIN_RUNS = 2000

#: (run_id, sha, commit time, {file: content, None when absent, or the BadRecord reading it raised})
Item = tuple[str, str, int, dict[str, Any]]
#: ("ok", runs-table row, metric value rows) or ("bad", reason)
Outcome = tuple[Any, ...]


def worker_count() -> int:
    setting = os.environ.get("GX_INDEX_WORKERS", "")
    if setting.isdigit():
        return int(setting)
    return min(os.cpu_count() or 1, 4)


def read_all(read: Callable[[str], bytes | None]) -> dict[str, Any]:
    """Every summary file of a run, read now; an unreadable one is kept as its error."""
    files: dict[str, Any] = {}
    for name in SUMMARY_FILES:
        try:
            files[name] = read(name)
        except BadRecord as exc:
            files[name] = exc
    return files


def decode(experiment: str, items: list[Item]) -> list[Outcome]:
    """Each run's row and metric values, or why it cannot be read (a worker's job, or the parent's)."""
    out: list[Outcome] = []
    for run_id, sha, commit_time, files in items:

        def read(path: str, files: dict[str, Any] = files) -> bytes | None:
            found = files.get(path)
            if isinstance(found, BadRecord):
                raise found
            return found

        try:
            row = summary_row(read, run_id, experiment)
        except BadRecord as exc:
            out.append(("bad", str(exc)))
            continue
        # SQLite stores NaN as NULL, which is what "no usable value" should be; the status is for gx best
        out.append(("ok", packed_row(row, experiment, sha, commit_time),
                    [(run_id, experiment, k, v, row[2]) for k, v in row[6].items()]))
    return out


class Decoder:
    """Decodes batches of runs in worker processes (forked once per build) or in this process."""

    def __init__(self, runs: int) -> None:
        self.pool: Any = None
        workers = worker_count()
        if workers < 2 or runs < 2:
            return
        import multiprocessing  # here: a warm listing never needs it
        from concurrent.futures import ProcessPoolExecutor

        asked = os.environ.get("GX_INDEX_WORKERS", "").isdigit()
        # fork only a process with no other thread (a forked thread's locks would stay held)
        if (workers >= 2 and (runs >= MIN_RUNS or asked) and threading.active_count() == 1
                and "fork" in multiprocessing.get_all_start_methods()):
            try:
                self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
                self.workers = workers
            except OSError:
                self.pool = None

    def run(self, experiment: str, items: list[Item]) -> list[Outcome]:
        if self.pool is None or len(items) < self.workers:
            return decode(experiment, items)
        size = -(-len(items) // (2 * self.workers))
        parts = [items[i:i + size] for i in range(0, len(items), size)]
        try:
            return [outcome for part in self.pool.map(decode, [experiment] * len(parts), parts) for outcome in part]
        except (OSError, RuntimeError):  # a worker died (memory, a signal): decode here instead
            self.close()
            return decode(experiment, items)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
