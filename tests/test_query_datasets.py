"""Issue 15: ``datasets.name``/``digest``/``context`` in the one filter engine (MLflow's rule: a run
matches when any of its inputs matches), and inputs read back from git as untrusted."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gx
import hostile
from conftest import make_summary, run_ids
from gx.errors import FilterSyntaxError
from gx.query.filter import filter_runs, parse_filter
from gx.query.sort import parse_sort_key
from gx.runinputs import CONTEXT_TAG, FileFacts, RunInput


def dataset(name: str, digest: str, context: str | None = None, **kw) -> RunInput:
    return RunInput(name, digest, "local", f"data/{name}.csv", {CONTEXT_TAG: context} if context else {}, **kw)


RUNS = [
    make_summary("both", inputs=[dataset("train", "aaaa1111", "training"), dataset("valid", "bbbb2222", "validation")]),
    make_summary("train-only", inputs=[dataset("train", "cccc3333", "training")]),
    make_summary("no-context", inputs=[dataset("holdout", "dddd4444")]),
    make_summary("file", inputs=[RunInput("t.csv", "eeee5555", "local", "t.csv",
                                          file=FileFacts("t.csv", 3, sha256="e" * 64))]),
    make_summary("nothing"),
]


@pytest.mark.parametrize("flt, expected", [
    ("datasets.name = 'train'", ["both", "train-only"]),
    ("datasets.name = 'valid'", ["both"]),
    ("datasets.digest = 'cccc3333'", ["train-only"]),
    ("dataset.digest IN ('aaaa1111', 'dddd4444')", ["both", "no-context"]),
    ("datasets.context = 'training'", ["both", "train-only"]),
    ("datasets.context = 'validation' and datasets.name = 'train'", ["both"]),
    ("datasets.name != 'train'", ["both", "no-context", "file"]),  # any input that is not 'train'
    ("datasets.name NOT IN ('train', 'valid')", ["no-context", "file"]),
    ("datasets.name LIKE 'tr%'", ["both", "train-only"]),
    ("datasets.name ILIKE 'T%'", ["both", "train-only", "file"]),
    ("datasets.context IS NULL", ["no-context", "file", "nothing"]),
    ("datasets.name IS NOT NULL and metrics.x IS NULL", ["both", "train-only", "no-context", "file"]),
    ("not datasets.name = 'train'", ["no-context", "file", "nothing"]),
    (f"datasets.sha256 = '{'e' * 64}'", ["file"]),
    ("datasets.source = 'data/valid.csv'", ["both"]),
])
def test_dataset_filters_match_any_input(flt, expected):
    assert run_ids(filter_runs(RUNS, flt)) == expected


@pytest.mark.parametrize("flt, message, pos", [
    ("datasets.size = 3", "unknown dataset key 'size'", 9),
    ("datasets.name = 3x", "malformed number", 16),
])
def test_dataset_filter_errors_point_at_the_problem(flt, message, pos):
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(flt)
    assert message in str(info.value) and info.value.position == pos


def test_runs_are_not_sorted_by_datasets():
    with pytest.raises(FilterSyntaxError, match="cannot be sorted by datasets"):
        parse_sort_key("datasets.name")


def test_filters_select_real_runs_through_search_and_the_index(repo, cli, monkeypatch):
    import numpy as np

    for name, context, values in (("a", "training", [1, 2]), ("b", "training", [3]), ("c", "testing", [1, 2])):
        with gx.start_run(run_name=name):
            gx.log_input(gx.data.from_numpy(np.array(values), name=f"set-{len(values)}"), context=context)
    digest = gx.data.from_numpy(np.array([1, 2])).digest
    for no_index in ("0", "1"):
        monkeypatch.setenv("GX_NO_INDEX", no_index)
        found = gx.search_runs(filter_string=f"datasets.digest = '{digest}' and datasets.context = 'training'",
                               output_format="list")
        assert [r.info.run_name for r in found] == ["a"]
        assert [d.dataset.name for d in found[0].inputs.dataset_inputs] == ["set-2"]
        res = cli("ls", "-f", "datasets.name = 'set-2'", "--format", "csv", "-c", "name")
        assert sorted(line.split(",")[1] for line in res.output.splitlines()[1:]) == ["a", "c"]


BAD_INPUTS = {
    "not-a-list": b"inputs: train.csv\n",
    "no-digest": b"inputs:\n- name: train\n  source_type: local\n",
    "bad-sha": b"inputs:\n- name: t\n  digest: abc\n  source_type: local\n  file: {path: t, size: 1, sha256: zz}\n",
    "huge-profile": b"inputs:\n- name: t\n  digest: abc\n  source_type: local\n  profile: {x: '" + b"y" * 70_000 + b"'}\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_a_run_with_a_malformed_inputs_file_is_one_warning(repo, kind):
    with gx.start_run(run_name="good"):
        gx.log_metric("m", 1.0)
    run_id = hostile.uuid.uuid4().hex
    files = hostile.run_files(run_id, "default", "bad")
    files["inputs.yaml"] = BAD_INPUTS[kind]
    hostile.add_run(repo.path, "default", files, run_id=run_id, name="bad")
    proc = subprocess.run([sys.executable, "-m", "gx", "ls"], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if run_id[:8] in line]
    assert len(warnings) == 1 and "inputs.yaml" in warnings[0]
    assert "good" in proc.stdout
    shown = subprocess.run([sys.executable, "-m", "gx", "show", run_id[:12]], cwd=repo.path, capture_output=True, text=True)
    assert shown.returncode == 1 and "inputs.yaml" in shown.stderr and "Traceback" not in shown.stderr
