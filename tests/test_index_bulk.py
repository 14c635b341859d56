"""Cold listing reads objects in batches through git (issue 9): the same runs, order and warnings
as dulwich object by object, on merged lines, remote-tracking tips and hostile trees; a process
that keeps rows between reads (``gx ui``) follows refs that move, rewind and vanish."""

from __future__ import annotations

import io
import random
import sys
import time
import warnings
from pathlib import Path

import pytest

import gx.query.deletion
import gx.query.runs
import hostile
from gx.errors import GxWarning
from gx.query import index_memo
from gx.query.index_progress import BuildProgress
from gx.store.repo import Store
from gx.store.write import write_runs_bulk

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import make_record  # noqa: E402


def listing(monkeypatch, mode: str, repo_path: Path, workers: str = "0") -> tuple[list, list[str]]:
    """Runs (every field, in order) and warnings of a cold read with ``GX_GIT_READS=mode``,
    decoded by ``workers`` processes."""
    for index_file in (repo_path / ".git" / "gx").glob("index.sqlite*"):
        index_file.unlink()
    index_memo.forget()
    monkeypatch.setenv("GX_GIT_READS", mode)
    monkeypatch.setenv("GX_INDEX_WORKERS", workers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = gx.query.runs.list_runs(include_deleted=True)
        history = gx.query.runs.history_runs(Store.open(repo_path), "bulk", include_deleted=True)
    shown = [(r.run_id, r.experiment, r.name, r.status, r.start_time, r.end_time, r.params, r.metrics, r.tags,
              r.commit, r.deleted, r.source_commit) for r in runs]
    return shown + [r.run_id for r in history], sorted(str(w.message) for w in caught if w.category is GxWarning)


def diverged_history(repo) -> dict[str, str]:
    """'bulk': 70 runs, then a line of 55 runs on the remote-tracking ref and 60 on the local one,
    merged; on top, runs whose trees are hostile in the ways the batch reader settles itself."""
    rng = random.Random(7)
    t0 = time.time() - 10_000
    with Store.open(repo.path) as store:
        write_runs_bulk(store, [make_record(i, "bulk", rng, t0) for i in range(70)])
        base = repo.git("rev-parse", "refs/experiments/bulk").strip()
        write_runs_bulk(store, [make_record(i, "bulk", rng, t0 + 5) for i in range(70, 125)])
        remote = repo.git("rev-parse", "refs/experiments/bulk").strip()
        repo.git("update-ref", "refs/remotes/origin/experiments/bulk", remote)
        repo.git("update-ref", "refs/experiments/bulk", base)
        write_runs_bulk(store, [make_record(i, "bulk", rng, t0 + 7) for i in range(125, 185)])
    local = repo.git("rev-parse", "refs/experiments/bulk").strip()
    empty = hostile.tree(repo.path, {})
    merge = hostile.commit(repo.path, empty, [local, remote], "merge\n\nGx-Kind: merge\nGx-Experiment: bulk\n", time.time())
    repo.git("update-ref", "refs/experiments/bulk", merge)
    bad = {}
    for kind in sorted(hostile.MALFORMED):
        bad[kind] = hostile.add_malformed_run(repo.path, "bulk", kind)
    run_id = "a1" * 16
    files = hostile.run_files(run_id, "bulk", "folder-params")
    files.pop("params.yaml")
    files["params.yaml/inner"] = b"alpha: 1\n"  # a folder where a file belongs: read as absent
    bad["folder"] = hostile.add_run(repo.path, "bulk", files, run_id=run_id, name="folder-params")
    run_id = "b2" * 16
    entries = [(hostile.FILE, name.encode(), hostile.blob(repo.path, content))
               for name, content in hostile.run_files(run_id, "bulk", "lost").items() if "/" not in name]
    entries = [e for e in entries if e[1] != b"params.yaml"] + [(hostile.FILE, b"params.yaml", "ab" * 20)]
    bad["missing"] = hostile.add_run(repo.path, "bulk", run_id=run_id, tree_sha=hostile.raw_tree(repo.path, entries))
    run_id = "c3" * 16
    entries = [(hostile.FILE, name.encode(), hostile.blob(repo.path, content))
               for name, content in hostile.run_files(run_id, "bulk", "link").items() if "/" not in name]
    entries = [e for e in entries if e[1] != b"run.yaml"] + [("160000", b"run.yaml", local)]
    bad["gitlink"] = hostile.add_run(repo.path, "bulk", run_id=run_id, tree_sha=hostile.raw_tree(repo.path, entries))
    with Store.open(repo.path) as store:
        write_runs_bulk(store, [make_record(i, "other", rng, t0) for i in range(60)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GxWarning)  # the hostile runs: counted in the test
        gx.query.deletion.delete_run(gx.query.runs.list_runs(["bulk"])[3].run_id)
    return bad


def test_batched_reads_list_what_dulwich_lists(repo, monkeypatch):
    bad = diverged_history(repo)
    by_dulwich = listing(monkeypatch, "0", repo.path)
    runs, warned = by_dulwich
    # the folder-params run and the run whose run.yaml is a link to a commit list as runs without those files
    assert len({r[0] for r in runs if isinstance(r, tuple)}) == 70 + 55 + 60 + 60 + 2
    assert sum(1 for r in runs if isinstance(r, tuple) and r[10]) == 1
    assert len(set(warned)) == len(hostile.MALFORMED) + 1 and len(warned) == 2 * len(set(warned))  # + the missing blob
    assert any(bad["missing"][:8] in w and "missing" in w for w in warned)
    assert listing(monkeypatch, "always", repo.path) == by_dulwich
    assert listing(monkeypatch, "", repo.path) == by_dulwich
    assert listing(monkeypatch, "always", repo.path, workers="2") == by_dulwich  # decoded in two processes
    monkeypatch.setenv("GX_NO_INDEX", "1")  # the walk alone, without the index
    assert listing(monkeypatch, "always", repo.path) == listing(monkeypatch, "0", repo.path)


def test_kept_rows_follow_refs_that_move_rewind_and_vanish(repo, monkeypatch):
    rng = random.Random(3)
    t0 = time.time() - 1000
    with Store.open(repo.path) as store:
        write_runs_bulk(store, [make_record(i, "kept", rng, t0) for i in range(30)])
        first = [r.run_id for r in gx.query.runs.list_runs(store=store)]
        assert len(first) == 30
        write_runs_bulk(store, [make_record(i, "kept", rng, t0 + 1) for i in range(30, 33)])
        moved = [r.run_id for r in gx.query.runs.list_runs(["kept"], store=store)]
        assert len(moved) == 33 and moved[3:] == first  # the three new runs started last
        write_runs_bulk(store, [make_record(i, "later", rng, t0 - 500) for i in range(5)])
        assert len(gx.query.runs.list_runs(store=store)) == 38
    repo.git("update-ref", "refs/experiments/kept", "refs/experiments/kept~5")
    rewound = [r.run_id for r in gx.query.runs.list_runs(["kept"])]
    assert rewound == moved[5:]
    gx.query.deletion.delete_run(rewound[0])
    assert [r.run_id for r in gx.query.runs.list_runs(["kept"])] == rewound[1:]
    monkeypatch.setenv("GX_NO_INDEX", "1")
    assert [r.run_id for r in gx.query.runs.list_runs(["kept"])] == rewound[1:]
    monkeypatch.delenv("GX_NO_INDEX")
    repo.git("update-ref", "-d", "refs/experiments/kept")
    assert {r.experiment for r in gx.query.runs.list_runs()} == {"later"}


def test_shared_summaries_are_the_same_objects_while_their_runs_are_unchanged(repo):
    rng = random.Random(5)
    with Store.open(repo.path) as store:
        write_runs_bulk(store, [make_record(i, "ui", rng, time.time() - 100) for i in range(30)])
        first = gx.query.runs.list_runs(store=store, shared=True)
        assert first[0].params["model"]  # decoded once, kept with the object
        again = gx.query.runs.list_runs(store=store, shared=True)
        assert all(a is b for a, b in zip(first, again)) and len(again) == 30
        assert all(a is not b for a, b in zip(first, gx.query.runs.list_runs(store=store)))  # callers that may modify
        gx.query.deletion.delete_run(first[1].run_id)
        after = gx.query.runs.list_runs(store=store, shared=True, include_deleted=True)
        assert after[1] is first[1] and after[1].deleted and not after[0].deleted
        assert first[1] not in gx.query.runs.list_runs(store=store, shared=True)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal_and_only_for_a_slow_build():
    now = [0.0]
    quick = Terminal()
    progress = BuildProgress(quick, clock=lambda: now[0])
    progress.advance(4000)
    progress.finish()
    assert quick.getvalue() == ""  # under a second: nothing
    slow = Terminal()
    progress = BuildProgress(slow, clock=lambda: now[0])
    for _ in range(5):
        now[0] += 0.6
        progress.advance(4000)
    progress.finish()
    text = slow.getvalue()
    assert "gx: indexing runs: 8,000 read" in text and text.endswith("gx: indexed 20,000 runs in 3.0 s "
                                                                       "(kept in .git/gx/index.sqlite)\x1b[K\n")
    piped = io.StringIO()
    progress = BuildProgress(piped, clock=lambda: now[0])
    now[0] += 10
    progress.advance(4000)
    progress.finish()
    assert piped.getvalue() == ""


@pytest.mark.parametrize("word", ["7cf9a7eb9aa0337b3f955f18163446be", "0b101", "0x1f", "1e5", "12e45", "1e5a",
                                  "0o17", "123abc", "9e9", "0e1", "00ff"])
def test_ids_starting_with_a_digit_read_as_pyyaml_reads_them(word):
    from gx import yamlio

    for text in (yamlio.dump({"id": word}), f"id: {word}\n"):
        assert yamlio.load_fast(text) == yamlio.load(text)


def test_a_huge_summary_file_is_refused_unread(repo, monkeypatch):
    """A teammate's run whose params.yaml is 40 MB (the document limit is 4 MiB) is one warning, as
    through dulwich, and the batch reader never holds the file: it skips it by the size git announces."""
    import tracemalloc

    with Store.open(repo.path) as store:
        write_runs_bulk(store, [make_record(i, "bulk", random.Random(3), time.time() - 100) for i in range(30)])
    run_id = "d4" * 16
    files = hostile.run_files(run_id, "bulk", "huge-params")
    files["params.yaml"] = b"alpha: 1\n" + b"# padding\n" * 4_000_000
    hostile.add_run(repo.path, "bulk", files, run_id=run_id, name="huge-params")
    by_dulwich = listing(monkeypatch, "0", repo.path)
    assert len(by_dulwich[1]) == 2 and all(run_id[:8] in w and "params.yaml" in w for w in by_dulwich[1])
    tracemalloc.start()
    try:
        batched = listing(monkeypatch, "always", repo.path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert batched[0] == by_dulwich[0]
    assert len(batched[1]) == 2 and all(run_id[:8] in w and "params.yaml" in w for w in batched[1])
    assert peak < 20_000_000, f"the batch reader held {peak:,} bytes"
