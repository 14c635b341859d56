"""Scale: the bulk writer and the index at a size CI can afford (``--runslow`` for 20k runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import gx.query.runs
import gx.query.search

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
import synthetic  # noqa: E402


@pytest.fixture(params=[pytest.param(600, id="600"), pytest.param(20_000, id="20k", marks=pytest.mark.slow)])
def store_size(request):
    if request.param > 1000 and not request.config.getoption("--runslow"):
        pytest.skip("scale test: run with --runslow")
    return request.param


def test_bulk_store_query_matches_direct_reading(repo, store_size, monkeypatch):
    synthetic.build(repo.path, store_size, per_experiment=max(200, store_size // 3))
    query = ("metrics.rmse < 0.5 and params.model IN ('lasso', 'ridge')", ["metrics.rmse"], 20)
    with_index = [(r.run_id, r.metrics["rmse"]) for r in gx.query.search.search(None, *query)]
    assert len(with_index) == 20
    assert [m for _, m in with_index] == sorted(m for _, m in with_index)
    assert len(gx.query.runs.list_runs()) == store_size
    monkeypatch.setenv("GX_NO_INDEX", "1")
    assert [(r.run_id, r.metrics["rmse"]) for r in gx.query.search.search(None, *query)] == with_index
    repo.fsck()
