"""gx import/export mlflow against stores made by the real MLflow (SQLite and file store), compared
field by field with what MLflow's own client returns for them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gx import MlflowClient
from gx.entities import ViewType

pytest.importorskip("mlflow", reason="the import tests make their stores with the real MLflow")

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def mlflow_stores(tmp_path_factory):
    """Both kinds of store, made once per session in a child process (importing mlflow costs seconds)."""
    root = tmp_path_factory.mktemp("mlflow")
    env = dict(os.environ, MLFLOW_ALLOW_FILE_STORE="true", GIT_DIR=str(root / "no-git"))
    stores = {}
    for kind, uri in (("sqlite", f"sqlite:///{root}/mlflow.db"), ("files", str(root / "mlruns"))):
        out = root / f"{kind}.json"
        subprocess.run([sys.executable, str(HERE / "mlflow_stores.py"), uri, str(root / f"art-{kind}"), str(out)],
                       cwd=root, env=env, check=True, capture_output=True, timeout=300)
        stores[kind] = (uri, json.loads(out.read_text()))
        stores[f"{kind}-experiments"] = json.loads(Path(f"{out}.experiments").read_text())
    return stores


def _same_value(a, b):
    return (a is None and (b is None or math.isnan(b))) or a == b


def _check_against_mlflow(expected: dict) -> None:
    client = MlflowClient()
    for run_id, want in expected.items():
        got = client.get_run(run_id)
        info = got.info
        assert (info.experiment, info.run_name, info.status, info.start_time, info.end_time, info.user_id,
                info.lifecycle_stage) == (want["experiment"], want["run_name"], want["status"], want["start_time"],
                                          want["end_time"], want["user_id"], want["lifecycle_stage"]), run_id
        assert got.data.params == want["params"]
        assert want["tags"].items() <= got.data.tags.items()
        assert "gx.parent_run_id" not in got.data.tags  # readers understand mlflow.parentRunId
        assert got.data.metrics.keys() == want["metrics"].keys()
        for key, points in want["history"].items():
            history = [[m.step, m.timestamp, m.value] for m in client.get_metric_history(run_id, key)]
            assert len(history) == len(points)
            for (s1, t1, v1), (s2, t2, v2) in zip(points, history):
                assert (s1, t1) == (s2, t2) and _same_value(v1, v2), (run_id, key)
        assert sorted(a.path for a in client.list_artifacts(run_id)) == want["artifacts"]
        assert [_dataset_input(d) for d in got.inputs.dataset_inputs] == want["inputs"], run_id


def _dataset_input(d) -> dict:
    """gx's DatasetInput in the plain shape mlflow_stores.py dumps MLflow's in."""
    ds = d.dataset
    return {"name": ds.name, "digest": ds.digest, "source_type": ds.source_type,
            **{k: json.loads(getattr(ds, k)) if getattr(ds, k) else None for k in ("source", "schema", "profile")},
            "tags": {t.key: t.value for t in d.tags}}


@pytest.mark.parametrize("kind", ["sqlite", "files"])
def test_import_matches_mlflow_field_by_field(repo, cli, mlflow_stores, kind):
    uri, expected = mlflow_stores[kind]
    res = cli("import", "mlflow", "--tracking-uri", uri)
    assert res.exit_code == 0, res.output
    assert "imported 6 run(s) from 2 experiment(s)" in res.output and "1 deleted in MLflow" in res.output
    assert sum(len(run["inputs"]) for run in expected.values()) == 1  # the taxi frame, for training
    _check_against_mlflow(expected)
    deleted = MlflowClient().search_runs(["second"], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_name for r in deleted] == ["doomed"]
    assert MlflowClient().get_experiment_by_name("nyc taxi: duration") is not None  # any MLflow name
    for name, (mlflow_id, tags) in mlflow_stores[f"{kind}-experiments"].items():
        if name != "Default":  # it has no runs: nothing to import
            got = MlflowClient().get_experiment(mlflow_id)  # MLflow's id keeps naming the experiment
            assert (got.name, got.tags) == (name, {**tags, "gx.mlflow_id": mlflow_id})
    again = cli("import", "mlflow", "--tracking-uri", uri)
    assert "imported 0 run(s)" in again.output and "6 already imported" in again.output
    repo.fsck()


def test_import_one_experiment_and_bad_input(repo, cli, mlflow_stores):
    uri, _ = mlflow_stores["sqlite"]
    res = cli("import", "mlflow", "--tracking-uri", uri, "-e", "second")
    assert "imported 2 run(s) from 1 experiment(s)" in res.output
    assert [e.name for e in MlflowClient().search_experiments()] == ["second"]
    for args, message in ((["--tracking-uri", uri, "-e", "nope"], "no MLflow experiment named 'nope'"),
                          (["--tracking-uri", "http://127.0.0.1:5000"], "reads MLflow's stores directly"),
                          (["--tracking-uri", str(repo.path / "missing")], "no MLflow store")):
        proc = subprocess.run([sys.executable, "-m", "gx", "import", "mlflow", *args], cwd=repo.path,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_export_round_trip(repo, cli, mlflow_stores, tmp_path):
    uri, expected = mlflow_stores["sqlite"]
    cli("import", "mlflow", "--tracking-uri", uri)
    out = f"sqlite:///{repo.path}/exported.db"  # MLflow puts artifacts in ./mlruns beside it
    env = dict(os.environ, MLFLOW_ALLOW_FILE_STORE="true")
    proc = subprocess.run([sys.executable, "-m", "gx", "export", "mlflow", "--tracking-uri", out], cwd=repo.path,
                          env=dict(env, GX_MAX_ARTIFACT_MB="0.0000153"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "exported 6 run(s)" in proc.stdout, proc.stderr
    with_artifacts = sorted(rid for rid, run in expected.items() if run["artifacts"])
    # MLflow's indented JSON is over a limit of 16 bytes: listed and left out; the 16-byte YAML goes along
    assert sorted(line.split(" of run ")[1][:8] for line in proc.stdout.splitlines() if line.startswith(
        "left out artifact model/weights.json of run ")) == [rid[:8] for rid in with_artifacts], proc.stdout
    listing = ("import json, sys, mlflow; c = mlflow.MlflowClient(sys.argv[1]); print(json.dumps({r.data.tags['gx.run_id']: "
               "[a.path for a in c.list_artifacts(r.info.run_id)] for e in c.search_experiments() "
               "for r in c.search_runs([e.experiment_id], run_view_type=3)}))")
    listed = json.loads(subprocess.run([sys.executable, "-c", listing, out], cwd=repo.path, env=env, check=True,
                                       capture_output=True, text=True, timeout=120).stdout)
    assert listed == {rid: [p for p in run["artifacts"] if p != "model"] for rid, run in expected.items()}
    # an experiment tag changed here reaches the experiment exported before, on the next export
    renamed = next(name for name in mlflow_stores["sqlite-experiments"] if name != "Default")
    assert cli("experiments", "tag", renamed, "team=moved", "owner=ana").exit_code == 0
    again = subprocess.run([sys.executable, "-m", "gx", "export", "mlflow", "--tracking-uri", out], cwd=repo.path,
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "exported 0 run(s)" in again.stdout, again.stderr
    tags_of = "import sys, mlflow; print(dict(mlflow.MlflowClient(sys.argv[1]).get_experiment_by_name(sys.argv[2]).tags))"
    shown = subprocess.run([sys.executable, "-c", tags_of, out, renamed], cwd=repo.path, env=env, check=True,
                           capture_output=True, text=True, timeout=120).stdout
    assert "'team': 'moved'" in shown and "'owner': 'ana'" in shown, shown
    # back into this repository: every run is recognised as itself (the gx.run_id tag)
    back = cli("import", "mlflow", "--tracking-uri", out)
    assert "imported 0 run(s)" in back.output and "6 already imported" in back.output
    # into a fresh repository: the same runs, same ids, same values
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "init", "-q", str(fresh)], check=True)
    os.chdir(fresh)
    assert "imported 6 run(s)" in cli("import", "mlflow", "--tracking-uri", out).output
    for run_id, want in expected.items():
        got = MlflowClient().get_run(run_id)
        assert (got.data.params, got.info.status, got.info.lifecycle_stage) == \
            (want["params"], want["status"], want["lifecycle_stage"])
        assert {k: [m.value for m in MlflowClient().get_metric_history(run_id, k)] for k in want["history"]}.keys() \
            == want["history"].keys()
        assert [_dataset_input(d) for d in got.inputs.dataset_inputs] == want["inputs"]  # through log_inputs
    for name, (_, tags) in mlflow_stores["sqlite-experiments"].items():  # experiment tags went along too
        if name != "Default":
            assert MlflowClient().get_experiment_by_name(name).tags["team"] == ("moved" if name == renamed else tags["team"])


def test_oversized_artifacts_and_unreadable_runs_are_listed_not_fatal(repo, mlflow_stores, tmp_path):
    """A copy of the file store with one artifact over the limit and one run's meta.yaml broken."""
    import shutil

    uri, expected = mlflow_stores["files"]
    store_root = Path(uri).parent
    copy = tmp_path / "copy"
    shutil.copytree(store_root / "mlruns", copy / "mlruns")
    shutil.copytree(store_root / "art-files", copy / "art-files")
    for meta in (copy / "mlruns").glob("*/*/meta.yaml"):
        meta.write_text(meta.read_text().replace(str(store_root), str(copy)))
    parent = next(rid for rid, run in expected.items() if run["artifacts"])
    [artifacts] = [p for p in (copy / "art-files").rglob("artifacts") if p.parent.name == parent]
    (artifacts / "big.bin").write_bytes(b"x" * 4096)  # over the large-file cap: skipped
    (artifacts / "mid.bin").write_bytes(b"m" * 2000)  # over the LFS threshold: a Git LFS pointer
    broken = next(rid for rid, run in expected.items() if run["run_name"] == "failed")
    [broken_meta] = (copy / "mlruns").glob(f"*/{broken}/meta.yaml")
    broken_meta.write_text("run_id: [unclosed\n")
    [dataset_meta] = (copy / "mlruns").glob("*/datasets/*/meta.yaml")
    dataset_meta.write_text("name: [unclosed\n")  # the run is imported; its input is listed as skipped
    reader = next(rid for rid, run in expected.items() if run["inputs"])
    proc = subprocess.run([sys.executable, "-m", "gx", "import", "mlflow", "--tracking-uri", str(copy / "mlruns")],
                          cwd=repo.path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, GX_LFS_MAX_BYTES="3000", GX_LFS_THRESHOLD="1000"))
    assert proc.returncode == 0, proc.stderr
    assert "imported 5 run(s)" in proc.stdout
    assert f"skipped run {broken[:12]} (second): cannot be read" in proc.stdout
    assert f"skipped in run {reader[:12]}: dataset input " in proc.stdout
    assert MlflowClient().get_run(reader).inputs.dataset_inputs == []
    assert f"skipped in run {parent[:12]}: artifact big.bin skipped: artifact 'big.bin' is 4,096 bytes, over the 3,000-byte cap" in proc.stdout
    assert [a.path for a in MlflowClient().list_artifacts(parent)] == sorted([*expected[parent]["artifacts"], "mid.bin"])
    assert Path(MlflowClient().download_artifacts(parent, "mid.bin", str(tmp_path / "got"))).read_bytes() == b"m" * 2000
    assert "artifacts/mid.bin filter=lfs" in repo.git("log", "-p", "--all", "--", ".gitattributes")
    repo.fsck()
