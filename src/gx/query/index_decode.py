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
from gx.query.index_rows import HEADER, header_row, packed_row, summary_row

#: Fewer runs than this are decoded in the parent: starting workers costs more than it saves.
MIN_RUNS = 2000

#: (run_id, sha, commit time, {file: content, None when absent, or the BadRecord reading it raised}),
#: or the commit's summary header alone: {index_rows.HEADER: bytes}
Item = tuple[str, str, int, dict[str, Any]]
#: ("ok", runs-table row, metric value rows), ("bad", reason), or ("tree",): the summary header is not
#: one gx reads; read the tree instead
Outcome = tuple[Any, ...]


def worker_count() -> int:
    setting = os.environ.get("GX_INDEX_WORKERS", "")
    if setting.isdigit():
        return int(setting)
    return min(os.cpu_count() or 1, 4)


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
            header = files.get(HEADER)
            row = summary_row(read, run_id, experiment) if header is None else header_row(header, run_id, experiment)
        except BadRecord as exc:
            out.append(("bad", str(exc)) if header is None else ("tree",))
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
        return self.submit(experiment, items)()

    def submit(self, experiment: str, items: list[Item]) -> Callable[[], list[Outcome]]:
        """Start decoding ``items`` (in the workers: the caller goes on reading meanwhile); the
        returned function waits for their outcomes, in order."""
        if self.pool is None or len(items) < self.workers:
            done = decode(experiment, items)
            return lambda: done
        size = -(-len(items) // (2 * self.workers))
        try:
            futures = [self.pool.submit(decode, experiment, items[i:i + size]) for i in range(0, len(items), size)]
        except (OSError, RuntimeError):
            self.close()
            return self.submit(experiment, items)

        def outcomes() -> list[Outcome]:
            try:
                return [outcome for future in futures for outcome in future.result()]
            except (OSError, RuntimeError):  # a worker died (memory, a signal): decode here instead
                self.close()
                return decode(experiment, items)
        return outcomes

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
