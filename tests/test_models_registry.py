"""The registry on annotated tags: MLflow's client calls, aliases, stages, rollback, hostile tags, GTO."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import gx
from gx.errors import BadName, GxError, GxWarning
from models_helpers import logged_sklearn_run, table


def _tags(repo) -> list[str]:
    return repo.git("tag", "-l").split()


def test_course_registry_code_runs_with_only_the_import_changed(repo):
    """The course's registry unit, with ``import mlflow`` replaced by ``import gx as mlflow``."""
    import gx as mlflow
    from gx.tracking import MlflowClient

    run_ids = [logged_sklearn_run(mlflow, seed=s)[0] for s in range(3)]
    client = MlflowClient(tracking_uri="sqlite:///mlflow.db")
    model_name = "nyc-taxi-regressor"
    for run_id in run_ids:
        mlflow.register_model(model_uri=f"runs:/{run_id}/model", name=model_name)
    latest_versions = client.get_latest_versions(name=model_name)
    assert [(v.version, v.current_stage) for v in latest_versions] == [("3", "None")]
    client.transition_model_version_stage(name=model_name, version=2, stage="Staging", archive_existing_versions=False)
    client.transition_model_version_stage(name=model_name, version=3, stage="Staging", archive_existing_versions=True)
    client.update_model_version(name=model_name, version=3, description="The model version 3 was transitioned to Staging")
    versions = {v.version: v for v in client.search_model_versions(f"name='{model_name}'")}
    assert versions["2"].current_stage == "Archived" and versions["3"].current_stage == "Staging"
    assert versions["3"].description.startswith("The model version 3")
    assert versions["3"].run_id == run_ids[2] and versions["3"].source == f"runs:/{run_ids[2]}/model"
    model = mlflow.pyfunc.load_model(f"models:/{model_name}/Staging")
    X = table()[0]
    assert np.array_equal(model.predict(X), mlflow.sklearn.load_model(f"runs:/{run_ids[2]}/model").predict(X))
    client.set_registered_model_alias(model_name, "champion", 3)
    assert client.get_model_version_by_alias(model_name, "champion").version == "3"
    assert client.get_registered_model(model_name).aliases == {"champion": "3"}
    client.transition_model_version_stage(model_name, 3, "Production")
    assert [v.version for v in client.get_latest_versions(model_name, stages=["Production"])] == ["3"]
    repo.fsck()


def test_aliases_move_and_every_event_is_a_tag(repo):
    ids = [logged_sklearn_run(gx, seed=s)[0] for s in range(3)]
    for run_id in ids:
        gx.register_model(f"runs:/{run_id}/model", "churn")
    client = gx.MlflowClient()
    client.set_registered_model_alias("churn", "champion", "1")
    client.set_registered_model_alias("churn", "champion", 3)
    client.set_registered_model_alias("churn", "challenger", 2)
    mv = client.get_model_version_by_alias("churn", "champion")
    assert (mv.version, mv.aliases, mv.run_id) == ("3", ["champion"], ids[2])
    assert _tags(repo) == sorted(["churn@v1.0.0", "churn@v2.0.0", "churn@v3.0.0", "churn#champion#1",
                                  "churn#champion!#2", "churn#champion#3", "churn#challenger#4"])
    assert repo.git("rev-parse", "churn#champion#3^{commit}") == repo.git("rev-parse", "churn@v3.0.0^{commit}")
    client.delete_registered_model_alias("churn", "challenger")
    with pytest.raises(GxError, match="no alias 'challenger'.*champion"):
        client.get_model_version_by_alias("churn", "challenger")
    repo.fsck()


def test_deleted_versions_keep_their_number_and_lose_their_aliases(repo):
    ids = [logged_sklearn_run(gx, seed=s)[0] for s in range(2)]
    for run_id in ids:
        gx.register_model(f"runs:/{run_id}/model", "m")
    client = gx.MlflowClient()
    client.set_registered_model_alias("m", "champion", 2)
    client.delete_model_version("m", 2)
    assert "m@v2.0.0!" in _tags(repo)
    assert client.get_registered_model("m").aliases == {}
    with pytest.raises(GxError, match="version 2 of model 'm' was deleted"):
        client.get_model_version("m", 2)
    with pytest.raises(BadName, match="already version 1"):
        gx.register_model(f"runs:/{ids[0]}/model", "m")
    run_id = logged_sklearn_run(gx, seed=9)[0]
    assert gx.register_model(f"runs:/{run_id}/model", "m").version == "3"
    repo.fsck()


def test_rename_and_model_metadata(repo):
    run_id = logged_sklearn_run(gx)[0]
    client = gx.MlflowClient()
    client.create_registered_model("old-name", tags={"team": "growth"}, description="churn model")
    gx.register_model(f"runs:/{run_id}/model", "old-name")
    client.set_registered_model_alias("old-name", "champion", 1)
    client.set_model_version_tag("old-name", 1, "validated", "yes")
    renamed = client.rename_registered_model("old-name", "new-name")
    assert (renamed.description, renamed.tags, renamed.aliases) == ("churn model", {"team": "growth"}, {"champion": "1"})
    assert client.get_model_version("new-name", 1).tags == {"validated": "yes"}
    assert [m.name for m in client.search_registered_models()] == ["new-name"]
    assert [m.name for m in client.search_registered_models("name LIKE 'new%'")] == ["new-name"]
    repo.fsck()


def test_register_while_the_run_is_active_says_when(repo):
    from sklearn.linear_model import LinearRegression

    with gx.start_run() as run:
        gx.sklearn.log_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), name="model")
        with pytest.raises(GxError, match="still running"):
            gx.register_model(f"runs:/{run.info.run_id}/model", "m")


def test_registered_model_name_registers_when_the_run_ends(repo):
    from sklearn.linear_model import LinearRegression

    with gx.start_run() as run:
        gx.sklearn.log_model(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), name="model",
                             registered_model_name="auto")
    assert gx.MlflowClient().get_model_version("auto", 1).run_id == run.info.run_id
    repo.fsck()


@pytest.mark.parametrize("name", ["../x", "a b", "a/../b", "-x", "x.lock", "a//b", "x@y", "m#a", "", "é", "x\n", "a" * 101])
def test_hostile_model_names_are_refused_before_any_write(repo, name):
    run_id = logged_sklearn_run(gx)[0]
    with pytest.raises(BadName):
        gx.register_model(f"runs:/{run_id}/model", name)
    assert _tags(repo) == []


@pytest.mark.parametrize("alias", ["latest", "v3", "a/b", "x!", "#1", ""])
def test_bad_aliases_are_refused(repo, alias):
    gx.register_model(f"runs:/{logged_sklearn_run(gx)[0]}/model", "m")
    with pytest.raises(BadName):
        gx.MlflowClient().set_registered_model_alias("m", alias, 1)


def _hash_tag(repo, name: str, target: str, message: str, obj_name: str | None = None, kind: str = "commit") -> None:
    body = (f"object {target}\ntype {kind}\ntag {obj_name or name}\n"
            f"tagger Eve <eve@example.com> 1700000000 +0000\n\n{message}")
    sha = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"], cwd=repo.path,
                         input=body.encode(), capture_output=True, check=True).stdout.decode().strip()
    repo.git("update-ref", f"refs/tags/{name}", sha)


def test_hostile_tags_from_another_clone_are_warnings(repo, cli):
    run_id = logged_sklearn_run(gx)[0]
    gx.register_model(f"runs:/{run_id}/model", "good")
    commit = repo.git("rev-parse", "good@v1.0.0^{commit}").strip()
    blob = repo.git("rev-parse", "HEAD:README.md").strip()
    repo.git("tag", "light@v1.0.0", commit)  # lightweight
    _hash_tag(repo, "liar@v2.0.0", commit, "x\n", obj_name="liar@v1.0.0")
    _hash_tag(repo, "wrong@v3.0.0", commit, "x\n\nGx-Version: 9\n")
    _hash_tag(repo, "blob@v1.0.0", blob, "x\n", kind="blob")
    _hash_tag(repo, "huge@v1.0.0", commit, "x" * 70000 + "\n")
    _hash_tag(repo, "path@v1.0.0", commit, "x\n\nGx-Path: ../../etc\n")
    repo.git("tag", "-a", "-m", "semver", "other@v1.2.3", commit)
    result = cli("models", "ls")
    assert result.exit_code == 0
    assert result.stdout.split("\n")[1].startswith("good")
    for name in ("light@v1.0.0", "liar@v2.0.0", "wrong@v3.0.0", "blob@v1.0.0", "huge@v1.0.0", "path@v1.0.0",
                 "other@v1.2.3"):
        assert f"skipping tag {name}" in result.stderr, name


def test_gto_reads_gx_registry(repo):
    pytest.importorskip("gto")
    ids = [logged_sklearn_run(gx, seed=s)[0] for s in range(2)]
    for run_id in ids:
        gx.register_model(f"runs:/{run_id}/model", "churn")
    client = gx.MlflowClient()
    client.set_registered_model_alias("churn", "champion", 2)
    client.set_registered_model_alias("churn", "champion", 1)
    client.transition_model_version_stage("churn", 2, "Production")
    gx.MlflowClient().delete_model_version("churn", 1)
    client.set_registered_model_alias("churn", "champion", 2)
    client.set_registered_model_alias("churn", "challenger", 2)
    client.delete_registered_model_alias("churn", "challenger")
    code = "import json, gto.api as api; print(json.dumps(api.show('.')))"
    shown = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    import json

    assert json.loads(shown.stdout)["churn"] == {"version": "v2.0.0", "registered": True, "active": True,
                                                  "stage": {"champion": "v2.0.0", "production": "v2.0.0"}}
    model = client.get_registered_model("churn")
    assert model.aliases == {"champion": "2"} and model.latest_versions[-1].current_stage == "Production"


def test_concurrent_registrations_in_one_clone_get_distinct_numbers(repo):
    """Four processes register at once: tag creation is compare-and-swap, losers re-read and retry."""
    ids = [logged_sklearn_run(gx, seed=s)[0] for s in range(4)]
    code = "import sys, gx; gx.register_model(f'runs:/{sys.argv[1]}/model', 'm')"
    procs = [subprocess.Popen([sys.executable, "-c", code, run_id], cwd=repo.path, stderr=subprocess.PIPE)
             for run_id in ids]
    assert all(p.wait(timeout=120) == 0 for p in procs), [p.stderr.read() for p in procs]
    versions = {v.run_id: v.version for v in gx.MlflowClient().search_model_versions("name='m'")}
    assert sorted(versions.values()) == ["1", "2", "3", "4"] and set(versions) == set(ids)
    repo.fsck()


def test_gx_reads_tags_gto_wrote(repo):
    pytest.importorskip("gto")
    run_id = logged_sklearn_run(gx)[0]
    commit = repo.git("rev-parse", "refs/experiments/default").strip()
    code = (f"import gto.api as api; api.register('.', 'churn', '{commit}', version='v1.0.0');"
            f"api.assign('.', 'churn', 'prod', version='v1.0.0'); api.register('.', 'other', '{commit}')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    mv = gx.MlflowClient().get_model_version_by_alias("churn", "prod")
    assert (mv.version, mv.source, mv.run_id) == ("1", f"commit:/{commit}/model", None)
    assert np.array_equal(gx.sklearn.load_model("models:/churn@prod").predict(table()[0]),
                          gx.sklearn.load_model(f"runs:/{run_id}/model").predict(table()[0]))
    with pytest.warns(GxWarning, match="skipping tag other@v0.0.1"):
        assert [m.name for m in gx.MlflowClient().search_registered_models()] == ["churn"]
