"""Runs met by an index walk, decoded while the walk goes on.

A cold build used to walk the whole history, then read and decode run after run while the walk was
over: one core at a time. Here every ``CHUNK`` runs the walk meets are read (their commits' summary
headers, or their trees in one batch) and handed to the decoder's workers at once, so on two cores
the parent reads commits while the workers parse and check summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gx.query.index_decode import MIN_RUNS, Decoder, Item, Outcome, decode
from gx.query.index_progress import BuildProgress
from gx.query.index_rows import run_files, tree_files
from gx.store.history import Entry
from gx.store.repo import Store

#: Runs read and sent to the decoder at a time (bounds the memory of the reads of a 100k-run build).
CHUNK = 4000


class Decoders:
    """One decoder for a whole index refresh (its workers forked once, however many experiments are
    walked); workers only once a walk is long enough to be worth them."""

    def __init__(self) -> None:
        self.decoder: Decoder | None = None

    def get(self, runs: int) -> Decoder:
        if self.decoder is None or (self.decoder.pool is None and runs >= MIN_RUNS):
            self.close()
            self.decoder = Decoder(runs)
        return self.decoder

    def close(self) -> None:
        if self.decoder is not None:
            self.decoder.close()
            self.decoder = None


class DecodeFeed:
    """Collects a walk's run commits, decodes them a chunk at a time; ``results`` gives each run's
    item and outcome in the order the walk met them."""

    def __init__(self, store: Store, experiment: str, progress: BuildProgress, decoders: Decoders) -> None:
        self.store, self.experiment, self.progress, self.decoders = store, experiment, progress, decoders
        self.batch: list[Entry] = []
        self.pending: list[tuple[list[Entry], list[Item], Callable[[], list[Outcome]]]] = []
        self.decoder: Decoder | None = None

    def add(self, entry: Entry) -> None:
        self.batch.append(entry)
        if len(self.batch) >= CHUNK:
            self._send()

    def _send(self) -> None:
        chunk, self.batch = self.batch, []
        items = [(e.run_id, e.sha.decode(), e.time, files) for e, files in zip(chunk, run_files(self.store, chunk))]
        if self.decoder is None:  # sized by the first chunk: a full one means a long walk, worth workers
            self.decoder = self.decoders.get(len(chunk))
        self.pending.append((chunk, items, self.decoder.submit(self.experiment, items)))  # type: ignore[arg-type]
        self.progress.advance(len(chunk))

    def results(self) -> Iterator[tuple[Item, Outcome]]:
        if self.batch:
            self._send()
        for chunk, items, wait in self.pending:
            outcomes = wait()
            retry = [i for i, outcome in enumerate(outcomes) if outcome[0] == "tree"]
            if retry:  # summary headers gx cannot read: their trees say it
                again = [(*items[i][:3], files) for i, files in zip(retry, tree_files(self.store, [chunk[i] for i in retry]))]
                for i, outcome in zip(retry, decode(self.experiment, again)):  # type: ignore[arg-type]
                    outcomes[i] = outcome
            yield from zip(items, outcomes)
        self.pending.clear()
