"""Experiment numbers, stable ids and tags outside the Python client: ``gx experiments`` (table and
JSON), ``gx experiments tag`` and the ui's experiments JSON, on real repositories."""

from __future__ import annotations

import json
import subprocess

import gx
from conftest import gx_subprocess
from gx.store.experiments import experiment_id
from gx.tracking import MlflowClient
from ui_helpers import request, running_server

LONG = "x" * 80


def _two_experiments() -> None:
    """'taxi' (numbered 1, one run) and 'zone' (created with tags, numbered 2)."""
    gx.set_experiment("taxi")
    with gx.start_run():
        gx.log_metric("rmse", 1.0)
    MlflowClient().create_experiment("zone", tags={"team": "rides", "wiki": LONG})


def test_experiments_lists_number_id_and_tags(repo, cli):
    _two_experiments()
    res = cli("experiments")
    assert res.exit_code == 0, res.output
    header, taxi, zone = res.output.splitlines()
    assert header.split()[:3] == ["number", "experiment", "id"] and header.split()[-1] == "tags"
    assert taxi.split()[:4] == ["1", "taxi", experiment_id("taxi"), "1"]
    assert zone.split()[:3] == ["2", "zone", experiment_id("zone")]
    assert zone.rstrip().endswith("…") and "wiki=xxx" in zone and LONG not in zone  # cut when long
    assert "gx.mlflow_id" not in zone  # the number column shows it
    listed = json.loads(cli("experiments", "--json").output)
    assert [(e["name"], e["number"], e["id"]) for e in listed] == \
        [("taxi", "1", experiment_id("taxi")), ("zone", "2", experiment_id("zone"))]
    assert listed[0]["tags"] == {} and listed[0]["runs"] == 1
    assert listed[1]["tags"] == {"team": "rides", "wiki": LONG, "gx.mlflow_id": "2"}  # all of them


def test_tag_sets_and_removes_through_the_client(repo, cli):
    _two_experiments()
    done = gx_subprocess("experiments", "tag", "taxi", "owner=ana", "note=a=b", cwd=repo.path)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    assert cli("experiments", "tag", "2", "team=taxi", "--remove", "wiki").exit_code == 0  # by number
    assert cli("experiments", "tag", experiment_id("taxi")[:8], "--remove", "note").exit_code == 0  # by id prefix
    client = MlflowClient()
    assert client.get_experiment("taxi").tags == {"owner": "ana"}
    assert client.get_experiment("zone").tags == {"team": "taxi", "gx.mlflow_id": "2"}
    log = repo.git("log", "--format=%s", "refs/experiments/taxi").splitlines()
    assert log[:2] == ["tags taxi: note=(removed)", "tags taxi: owner=ana note=a=b"]
    assert "team=taxi" in cli("experiments").output.splitlines()[2]
    repo.fsck()


def test_mistakes_are_one_line_errors(repo, cli):
    _two_experiments()
    before = repo.git("for-each-ref", "refs/experiments")
    cases = {
        ("=v",): "gx: error: bad tag name '': use a non-empty string",
        ("novalue",): "gx: error: expected KEY=VALUE, got 'novalue'",
        ("bad\x01=1",): "gx: error: bad tag name 'bad\\x01': control characters are not allowed",
        ("--remove", "nope"): "gx: error: experiment 'taxi' has no tag 'nope'",
        (): "gx: error: nothing to change: give KEY=VALUE to set a tag or --remove KEY",
    }
    for args, message in cases.items():
        res = cli("experiments", "tag", "taxi", *args)
        assert (res.exit_code, res.output) == (1, message + "\n"), args
    done = gx_subprocess("experiments", "tag", "zzz", "a=b", cwd=repo.path)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"gx: error: no experiment with id or name 'zzz'; known: taxi (id 1 or {experiment_id('taxi')}), "
        f"zone (id 2 or {experiment_id('zone')})"]
    assert repo.git("for-each-ref", "refs/experiments") == before  # nothing written


def test_gx_ls_never_reads_experiment_tags(repo):
    """A damaged tags commit is one warning in ``gx experiments``; ``gx ls`` does not read it at all."""
    _two_experiments()
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.path, input=b"k: [unclosed\n",
                          capture_output=True, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "mktree"], cwd=repo.path, input=f"100644 blob {blob}\texperiment-tags.yaml\n".encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    parent = repo.git("rev-parse", "refs/experiments/taxi").strip()
    commit = repo.git("commit-tree", tree, "-p", parent, "-m", "tags taxi: bad\n\nGx-Kind: tags\nGx-Experiment: taxi\n").strip()
    repo.git("update-ref", "refs/experiments/taxi", commit)
    listed = gx_subprocess("ls", cwd=repo.path)
    assert listed.returncode == 0 and listed.stderr == b"", listed.stderr
    shown = gx_subprocess("experiments", cwd=repo.path)
    assert shown.returncode == 0
    assert shown.stderr.decode().splitlines() == [
        f"gx: skipping experiment tags in {commit[:12]}: its experiment-tags.yaml is not valid YAML"]
    assert "team=rides" in shown.stdout.decode()


def test_ui_experiments_json_has_number_id_and_tags(repo):
    _two_experiments()
    with running_server(repo.path) as base:
        code, _headers, body = request(base, "/api/experiments")
    assert code == 200, body
    rows = {e["name"]: e for e in json.loads(body)["experiments"]}
    assert (rows["taxi"]["number"], rows["taxi"]["id"], rows["taxi"]["tags"]) == ("1", experiment_id("taxi"), {})
    assert rows["zone"]["number"] == "2" and rows["zone"]["id"] == experiment_id("zone")
    assert rows["zone"]["tags"] == {"team": "rides", "wiki": LONG, "gx.mlflow_id": "2"}
