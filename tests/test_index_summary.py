"""A run's summary in its commit (``gx-summary`` header, issue 9): listing by summary gives the very
rows listing by tree gives; git keeps the header, hides it from ``git log`` and fsck accepts it; a bad
summary falls back to the tree, never a crash; a summary over its limit is not written."""

from __future__ import annotations

import math
import os
import random
import signal
import sys
import time
import warnings
from pathlib import Path

import pytest
from dulwich.repo import Repo as DulwichRepo

import gx
import gx.query.runs
import hostile
from gx.errors import GxWarning
from gx.lfs.pointer import Pointer
from gx.query import index_memo
from gx.query.index_decode import Decoder, decode
from gx.query.index_rows import HEADER
from gx.records import FAILED, KILLED, LfsArtifact, MetricPoint, RunRecord
from gx.runinputs import FileFacts, RunInput
from gx.store.repo import Store
from gx.store.summary import MAX_SUMMARY_BYTES, SUMMARY_HEADER, commit_summary, encode_summary
from gx.store.write import write_run, write_runs_bulk

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import make_record  # noqa: E402


def every_kind_of_run(repo) -> None:
    """Runs through the end-of-run writer (fluent API: nested, failed) and ``write_run`` and
    ``write_runs_bulk`` (inputs, LFS artifacts, unicode, NaN, a source commit)."""
    gx.set_experiment("kinds")
    with gx.start_run(run_name="parent-é") as parent:
        gx.log_params({"alpha": 0.5, "layers": 3, "flag": True, "name": "ünï ☃", "none": "None", "big": 2**70})
        for step in range(4):
            gx.log_metric("loss", 1.0 / (step + 1), step=step)
        gx.log_metric("val/acc", float("nan"))
        gx.set_tag("team", "vision")
        with gx.start_run(run_name="child", nested=True):
            gx.log_param("lr", 1e-4)
            gx.log_metric("loss", float("inf"), step=7)
    with pytest.raises(RuntimeError), gx.start_run(run_name="crashes"):
        gx.log_param("alpha", 0.1)
        raise RuntimeError("boom")
    assert parent.info.run_id
    head = repo.git("rev-parse", "HEAD").strip()
    now = time.time()
    rec = RunRecord(run_id="0123abcd" * 4, experiment="kinds", name="日本語 run", status=KILLED, start_time=now - 5,
                    end_time=now, source={"commit": head, "branch": "main", "dirty": False})
    rec.params = {"text": "line\nbreak \"quoted\" 'x' : - #", "float": 1e20, "neg": -0.0, "empty": ""}
    rec.metrics = {"m": [MetricPoint(s, now, s * 0.5) for s in range(3)], "ñ/key": [MetricPoint(2, now, -1e-300)]}
    rec.tags = {"mlflow.note.content": "a\nnote", "k": "1"}
    rec.inputs = [RunInput("data.csv", "abc123", "local", "data.csv", {"mlflow.data.context": "train"},
                           file=FileFacts("data.csv", 12, sha256="0" * 64))]
    rec.artifacts = {"model.bin": LfsArtifact(Pointer("a" * 64, 123456).encode()), "notes.txt": b"small"}
    with Store.open(repo.path) as store:
        write_run(store, rec)
        bulk = [RunRecord(run_id=f"{i:032x}", experiment="bulk", name=f"b{i}", status=FAILED if i % 2 else "FINISHED",
                          start_time=now + i, end_time=now + i + 1) for i in range(5)]
        for i, r in enumerate(bulk):
            r.params = {"i": i}
            r.metrics = {"x": [MetricPoint(0, now, float(i))]}
        write_runs_bulk(store, bulk)


def rows(monkeypatch, **env: str) -> tuple[list, list[str]]:
    """Every field of every run (deleted ones too) and the warnings, read cold with ``env``."""
    for name in ("GX_COMMIT_SUMMARIES", "GX_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with gx.query.runs.open_store() as store:
        gx_dir = store.paths.gx_dir
    for index_file in gx_dir.glob("index.sqlite*"):
        index_file.unlink()
    index_memo.forget()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = gx.query.runs.list_runs(include_deleted=True)
    shown = [(r.run_id, r.experiment, r.name, r.status, r.start_time, r.end_time, repr(r.params), repr(r.metrics),
              r.tags, r.commit, r.deleted, r.source_commit, [i.to_dict() for i in r.inputs]) for r in runs]
    return shown, sorted(str(w.message) for w in caught if w.category is GxWarning)


def test_listing_by_summary_equals_listing_by_tree(repo, monkeypatch):
    every_kind_of_run(repo)
    repo.fsck()
    by_summary = rows(monkeypatch)
    assert len(by_summary[0]) == 9 and not by_summary[1]
    assert by_summary == rows(monkeypatch, GX_COMMIT_SUMMARIES="0")  # the index, from the trees
    assert by_summary == rows(monkeypatch, GX_NO_INDEX="1")  # no index: every tree through dulwich
    named = {r[2]: r for r in by_summary[0]}
    assert named["child"][8]["mlflow.parentRunId"] == named["parent-é"][0]
    with Store.open(repo.path) as store:
        parent = gx.query.runs.load_summary(store, gx.query.runs.resolve_run(store, named["parent-é"][0]))
    assert math.isnan(parent.metrics["val/acc"])
    assert named["日本語 run"][12][0]["file"]["sha256"] == "0" * 64


def test_every_run_commit_carries_its_summary_and_git_keeps_it(repo):
    every_kind_of_run(repo)
    dul = DulwichRepo(str(repo.path))
    shas = repo.git("log", "--first-parent", "--format=%H", "--grep=^Gx-Kind: run$",
                    "refs/experiments/kinds", "refs/experiments/bulk").split()
    assert len(shas) == 9
    for sha in shas:
        commit = dul[sha.encode()]
        raw = repo.git("cat-file", "commit", sha)
        assert commit_summary(commit) is not None
        assert "\ngx-summary {" in raw  # one header line, as git sees it
        assert commit.as_raw_string() == raw.encode()  # dulwich writes it back byte for byte
    dul.close()
    assert "gx-summary" not in repo.git("log", "--format=fuller", "refs/experiments/kinds")
    repo.fsck()


def test_a_summary_over_its_limit_is_not_written(repo, monkeypatch):
    with Store.open(repo.path) as store:
        rec = RunRecord(run_id="f" * 32, experiment="wide", name="wide", start_time=1e9, end_time=1e9 + 1)
        rec.params = {f"p{i:05d}": "v" * 40 for i in range(MAX_SUMMARY_BYTES // 40)}
        sha = write_run(store, rec)
    assert "gx-summary" not in repo.git("cat-file", "commit", sha.decode())
    shown, caught = rows(monkeypatch)
    assert not caught and len(eval(shown[0][6])) == MAX_SUMMARY_BYTES // 40  # read from the tree


def summary_commit(repo, experiment: str, run_id: str, summary: bytes, name: str = "tree-name") -> str:
    """A run commit (good tree) with ``summary`` as its gx-summary header, written by git itself."""
    tree = hostile.tree(repo.path, hostile.run_files(run_id, experiment, name, params={"alpha": 0.5}))
    parent = hostile.rev(repo.path, f"refs/experiments/{experiment}") or hostile.init_commit(repo.path, experiment)
    raw = (f"tree {tree}\nparent {parent}\nauthor T <t@x> 1700000000 +0000\ncommitter T <t@x> 1700000000 +0000\n"
           ).encode() + SUMMARY_HEADER + b" " + summary + b"\n\n" + hostile.run_message(run_id, experiment, name).encode()
    sha = hostile.git(repo.path, "hash-object", "-t", "commit", "-w", "--stdin", input=raw).strip()
    hostile.git(repo.path, "update-ref", f"refs/experiments/{experiment}", sha)
    return sha


BAD_SUMMARIES = {
    "not json": b"{not json",
    "deep": b"[" * 5000,
    "no version": b'{"run":{},"params":{},"metrics":{},"tags":{}}',
    "later version": b'{"v":2,"run":{},"params":{},"metrics":{},"tags":{}}',
    "params a list": b'{"v":1,"run":{},"params":[1],"metrics":{},"tags":{}}',
    "bad status": b'{"v":1,"run":{"status":"GREAT"},"params":{},"metrics":{},"tags":{}}',
    "metric not a number": b'{"v":1,"run":{},"params":{},"metrics":{"m":{"value":"x"}},"tags":{}}',
    "another run": b'{"v":1,"run":{"id":"ffff"},"params":{},"metrics":{},"tags":{}}',
    "over the limit": b'{"v":1,"run":{},"params":{"a":"' + b"x" * MAX_SUMMARY_BYTES + b'"},"metrics":{},"tags":{}}',
    "a list": b"[1, 2]",
}


@pytest.mark.parametrize("kind", sorted(BAD_SUMMARIES))
def test_a_bad_summary_is_read_from_the_tree(repo, monkeypatch, kind):
    run_id = "ab" * 16
    summary_commit(repo, "hostile", run_id, BAD_SUMMARIES[kind])
    shown, caught = rows(monkeypatch)
    assert not caught
    assert [(r[0], r[2], eval(r[6])) for r in shown] == [(run_id, "tree-name", {"alpha": 0.5})]


def test_a_summary_that_disagrees_with_its_tree_lists_as_the_summary_shows_as_the_tree(repo, monkeypatch, cli):
    run_id = "cd" * 16
    summary_commit(repo, "liar", run_id, b'{"v":1,"run":{"name":"summary-name","status":"FAILED"},'
                                         b'"params":{"alpha":9},"metrics":{},"tags":{}}')
    shown, caught = rows(monkeypatch)
    assert [(r[2], r[3], eval(r[6])) for r in shown] == [("summary-name", "FAILED", {"alpha": 9})]
    out = cli("show", run_id[:8])
    assert out.exit_code == 0 and "tree-name" in out.output and "summary-name" not in out.output
    repo.fsck()


def test_an_old_store_without_summaries_reads_as_before(repo, monkeypatch):
    for i in range(3):
        hostile.add_run(repo.path, "old", name=f"old-{i}", params={"i": i})
    shown, caught = rows(monkeypatch)
    assert not caught and sorted(r[2] for r in shown) == ["old-0", "old-1", "old-2"]
    assert shown == rows(monkeypatch, GX_NO_INDEX="1")[0]


def test_a_bad_summary_on_a_bad_tree_is_one_warning(repo, monkeypatch):
    run_id = hostile.add_malformed_run(repo.path, "both", "params-not-yaml")
    sha = hostile.rev(repo.path, "refs/experiments/both")
    raw = hostile.git(repo.path, "cat-file", "commit", sha).encode()
    head, _, message = raw.partition(b"\n\n")
    hostile.git(repo.path, "update-ref", "refs/experiments/both", hostile.git(
        repo.path, "hash-object", "-t", "commit", "-w", "--stdin",
        input=head + b"\n" + SUMMARY_HEADER + b" {oops\n\n" + message).strip())
    shown, caught = rows(monkeypatch)
    assert shown == [] and len(caught) == 1 and "params.yaml" in caught[0] and run_id[:8] in caught[0]
    with pytest.warns(GxWarning):
        gx.query.runs.list_runs()


def test_workers_that_die_cost_time_not_runs(monkeypatch):
    """Chunks sent to workers that are killed (memory, a signal) are decoded in the parent instead,
    the ones sent earlier and later alike."""
    monkeypatch.setenv("GX_INDEX_WORKERS", "2")
    rng = random.Random(1)
    records = [make_record(i, "e", rng, 1e9) for i in range(3000)]
    items = [(r.run_id, "0" * 40, 1, {HEADER: encode_summary(r)}) for r in records]
    expected = decode("e", items)
    decoder = Decoder(len(items))
    assert decoder.pool is not None
    waits = [decoder.submit("e", items[i:i + 1000]) for i in range(0, 3000, 1000)]
    for pid in list(decoder.pool._processes):
        os.kill(pid, signal.SIGKILL)
    try:
        assert [o for wait in waits for o in wait()] == expected
        assert decoder.submit("e", items[:10])() == expected[:10]
    finally:
        decoder.close()
