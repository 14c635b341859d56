"""gx ui over plain HTTP: every JSON endpoint, paging and sorting, filter errors with their caret,
artifacts (path traversal, hostile content types), the Host check and read-only methods."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import quote

import pytest

from ui_helpers import PWNED_SCRIPT, request, running_server, seed_runs, tiny_png


@pytest.fixture
def served(repo):
    ids = seed_runs(repo.path)
    with running_server(repo.path) as base:
        yield base, ids, repo


def get_json(base: str, path: str, status: int = 200) -> dict:
    code, headers, body = request(base, path)
    assert code == status, body
    assert headers["content-type"].startswith("application/json")
    assert headers["x-content-type-options"] == "nosniff"
    return json.loads(body)


def test_experiments_and_version(served):
    base, ids, _ = served
    data = get_json(base, "/api/experiments?metric=rmse&goal=min")
    (demo,) = data["experiments"]
    assert demo["name"] == "demo" and demo["runs"] == 4 and demo["last_activity"]
    assert demo["best"]["run_id"] == ids["run-0"] and demo["best"]["value"] == 0.2
    assert "loss" in data["metrics"]
    assert get_json(base, "/api/experiments?metric=rmse&goal=max")["experiments"][0]["best"]["value"] == 5.0
    assert get_json(base, "/api/experiments?goal=sideways", 400)["error"]
    first = get_json(base, "/api/version")["version"]
    assert get_json(base, "/api/version")["version"] == first


def test_runs_page_filters_sorts_and_pages(served):
    base, ids, _ = served
    data = get_json(base, "/api/runs?experiment=demo")
    assert data["total"] == 4 and {r["run_id"] for r in data["rows"]} == set(ids.values())
    assert "metrics.loss" in data["columns"] and "alpha" in data["choices"]["params"]
    child = next(r for r in data["rows"] if r["name"] == "child-of-0")
    assert child["parent"] == ids["run-0"]
    q = "/api/runs?filter=" + quote("params.alpha > 0.2") + "&order_by=" + quote("metrics.rmse DESC") \
        + "&columns=metrics.rmse,params.alpha,name"
    data = get_json(base, q)
    assert [r["name"] for r in data["rows"]] == ["run-2", "run-1"]
    assert data["rows"][0]["values"] == [2.0, 1.0, "run-2"]
    page = get_json(base, "/api/runs?order_by=" + quote("metrics.rmse ASC") + "&offset=1&limit=2&columns=metrics.rmse")
    assert page["total"] == 4 and [r["values"][0] for r in page["rows"]] == [1.0, 2.0]
    assert get_json(base, "/api/runs?offset=x", 400)["error"].startswith("offset")
    assert "unknown column" in get_json(base, "/api/runs?columns=bogus.x", 400)["error"]


def test_nested_paging_keeps_children_with_their_parent(served):
    """With nest=1 the pages hold top-level runs, each followed by its nested runs at their depth, so a
    parent's children are on its page even when sorting would put them on another."""
    base, ids, _ = served
    order = "&order_by=" + quote("metrics.rmse DESC")  # child-of-0 (rmse 5) first, its parent last
    flat = get_json(base, "/api/runs?experiment=demo&limit=2" + order)
    assert [r["name"] for r in flat["rows"]] == ["child-of-0", "run-2"] and flat["total"] == 4
    first = get_json(base, "/api/runs?experiment=demo&nest=1&limit=2" + order)
    assert first["total"] == 3 and first["runs"] == 4
    assert [(r["name"], r["depth"]) for r in first["rows"]] == [("run-2", 0), ("run-1", 0)]
    last = get_json(base, "/api/runs?experiment=demo&nest=1&limit=2&offset=2" + order)
    assert [(r["name"], r["depth"]) for r in last["rows"]] == [("run-0", 0), ("child-of-0", 1)]


def test_filter_error_has_its_caret_position(served):
    base, _, _ = served
    text = "metrics.rmse < 1 and"
    err = get_json(base, "/api/runs?filter=" + quote(text), 400)
    assert err["filter"] == text and err["position"] == len(text) and err["reason"]
    err = get_json(base, "/api/runs?filter=" + quote("metrics.rmse ~ 3"), 400)
    assert err["position"] == len("metrics.rmse ")
    err = get_json(base, "/api/runs?order_by=" + quote("metrics.rmse SIDEWAYS"), 400)
    assert "sort key" in err["error"] and err["position"] == len("metrics.rmse ")


def test_csv_export_is_the_current_view(served):
    base, _, _ = served
    q = "/api/runs.csv?filter=" + quote("params.alpha >= 0.5") + "&order_by=" + quote("params.alpha ASC") \
        + "&columns=params.alpha,metrics.rmse"
    code, headers, body = request(base, q)
    assert code == 200 and headers["content-disposition"].startswith("attachment")
    lines = body.decode().splitlines()
    assert lines[0] == "run_id,name,experiment,status,start_time,duration,params.alpha,metrics.rmse"
    assert [line.split(",")[1] for line in lines[1:]] == ["run-1", "run-2"]


def test_run_and_metric_histories(served):
    base, ids, _ = served
    run = get_json(base, f"/api/run/{ids['run-0']}")
    assert run["params"] == {"alpha": 0.1, "model": "ridge", "seed": 7} and run["status"] == "FINISHED"
    assert run["metrics"]["rmse"] == 0.2 and run["steps"]["loss"] == 30 and run["tags"]["team"] == "vision"
    assert run["source"]["branch"] == "main" and run["source"]["dirty"] is True
    assert "+changed while training" in run["patch"]
    kinds = {a["path"]: a["kind"] for a in run["artifacts"]}
    assert kinds == {"plot.png": "image", "table.csv": "text", "evil.html": "file", "evil.svg": "file"}
    assert get_json(base, "/api/run/run-1")["run_id"] == ids["run-1"]  # by unique name, as the CLI resolves
    hist = get_json(base, f"/api/run/{ids['run-0'][:10]}/metrics")["metrics"]
    assert hist["loss"]["step"] == list(range(30)) and hist["loss"]["value"][0] == pytest.approx(1.1)
    assert list(get_json(base, f"/api/run/{ids['run-0']}/metrics?keys=rmse")["metrics"]) == ["rmse"]
    assert get_json(base, "/api/run/nosuchrun", 404)["error"]


def test_compare_keeps_only_differing_keys(served):
    base, ids, _ = served
    data = get_json(base, f"/api/compare?runs={ids['run-0']},{ids['run-2']}")
    keys = [row["key"] for row in data["rows"]]
    # each run snapshotted the same dirty tree as its own commit: the source differs, the code does not
    assert keys == ["source", "params.alpha", "metrics.loss", "metrics.rmse"]
    rmse = data["rows"][3]
    assert rmse["values"] == [0.2, 2.0] and rmse["deltas"] == [None, 1.8]
    assert data["same"] >= 3  # model, seed, experiment...
    assert data["code_diffs"] == [{"run_id": ids["run-2"], "against": ids["run-0"], "diff": ""}]
    assert get_json(base, "/api/compare?runs=", 400)["error"]


def test_artifacts_are_served_safely(served):
    base, ids, _ = served
    run = ids["run-0"]
    code, headers, body = request(base, f"/api/run/{run}/artifact/plot.png")
    assert code == 200 and body == tiny_png() and headers["content-type"] == "image/png"
    assert "sandbox" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    code, headers, body = request(base, f"/api/run/{run}/artifact/table.csv")
    assert headers["content-type"].startswith("text/plain") and body.startswith(b"epoch")
    for hostile in ("evil.html", "evil.svg"):
        code, headers, body = request(base, f"/api/run/{run}/artifact/{hostile}")
        assert code == 200 and PWNED_SCRIPT.encode() in body
        assert headers["content-type"] == "application/octet-stream"
        assert headers["content-disposition"].startswith("attachment")
        assert "sandbox" in headers["content-security-policy"]
    code, headers, _ = request(base, f"/api/run/{run}/artifact/plot.png?download=1")
    assert headers["content-disposition"] == 'attachment; filename="plot.png"'


TRAVERSALS = ["../run.yaml", "..%2Frun.yaml", "%2e%2e/%2e%2e/README.md", "./plot.png", "a//b", "%2Fetc%2Fpasswd",
              "..%5C..%5Crun.yaml", "x%00.png", "../../../../../../etc/passwd"]


def test_artifact_paths_cannot_escape_the_run(served):
    base, ids, _ = served
    for path in TRAVERSALS:
        code, _, body = request(base, f"/api/run/{ids['run-0']}/artifact/{path}")
        assert code in (400, 404), (path, body)
        assert b"run_id" not in body and b"root:" not in body


def test_run_tree_files_are_not_artifacts(served):
    """run.yaml and params.yaml live beside artifacts/ in the run's tree: not reachable by name."""
    base, ids, _ = served
    for name in ("run.yaml", "params.yaml", "metrics/loss.tsv"):
        code, _, _ = request(base, f"/api/run/{ids['run-0']}/artifact/{name}")
        assert code == 404


def test_unexpected_host_headers_are_refused(served):
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 still sends its own Host."""
    base, _, _ = served
    for host in ["evil.example:80", "evil.example", "127.0.0.1", "localhost:1", "", "evil.example:" + base.rsplit(":", 1)[1]]:
        for path in ("/api/experiments", "/", "/static/app.js"):
            code, _, body = request(base, path, host=host)
            assert code == 421 and b"Host" in body, host


def test_loopback_names_with_the_port_are_accepted(served):
    base, _, _ = served
    port = base.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert request(base, "/api/version", host=host)[0] == 200


def test_only_reads_are_allowed(served):
    base, _, repo = served
    refs = repo.git("for-each-ref")
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
        code, headers, _ = request(base, "/api/runs", method=method)
        assert code == 405 and headers["allow"] == "GET, HEAD", method
    assert repo.git("for-each-ref") == refs


def test_pages_and_assets_carry_a_strict_policy(served):
    base, _, repo = served
    for page in ("/", "/runs", "/run", "/compare"):
        code, headers, body = request(base, page)
        assert code == 200 and b"/static/app.js" in body
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    for asset in ("app.js", "charts.js", "style.css"):
        assert request(base, f"/static/{asset}")[0] == 200
    for missing in ("/static/../server.py", "/static/nope.js", "/nowhere", "/api/nowhere"):
        assert request(base, missing)[0] == 404
    repo.fsck()


def test_a_running_run_is_listed_from_its_journal(served):
    base, _, repo = served
    before = get_json(base, "/api/version")["version"]
    script = ("import gx, sys, time\n"
              "with gx.start_run(experiment='demo', run_name='live-one'):\n"
              "    gx.log_metric('loss', 1.0, step=0)\n"
              "    print('started', flush=True)\n"
              "    sys.stdin.readline()\n")
    import sys

    proc = subprocess.Popen([sys.executable, "-c", script], cwd=repo.path, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        import time

        deadline = time.time() + 10
        while time.time() < deadline:  # the journal flushes every 0.5 s
            rows = get_json(base, "/api/runs?filter=" + quote("metrics.loss = 1 and attributes.status = 'RUNNING'"))["rows"]
            if rows:
                break
            time.sleep(0.2)
        assert [r["name"] for r in rows] == ["live-one"]
        assert get_json(base, "/api/version")["version"] != before
        hist = get_json(base, f"/api/run/{rows[0]['run_id']}/metrics")
        assert hist["status"] == "RUNNING" and hist["metrics"]["loss"]["value"] == [1.0]
    finally:
        proc.communicate("\n", timeout=30)
    finished = get_json(base, "/api/runs?filter=" + quote("attributes.run_name = 'live-one'"))["rows"]
    assert [r["status"] for r in finished] == ["FINISHED"]


def test_registry_and_a_logged_models_descriptor(repo):
    import gx
    from models_helpers import logged_sklearn_run

    run_id, _, _ = logged_sklearn_run(gx, run_name="clf")
    gx.register_model(f"runs:/{run_id}/model", "churn")
    gx.MlflowClient().set_registered_model_alias("churn", "champion", 1)
    with running_server(repo.path) as base:
        (model,) = get_json(base, "/api/models")["models"]
        assert model["name"] == "churn" and model["latest"] == 1 and model["aliases"] == {"champion": 1}
        assert model["versions"][0]["run_id"] == run_id and model["versions"][0]["aliases"] == ["champion"]
        assert [e["kind"] for e in model["events"]][-1] == "register"
        run = get_json(base, f"/api/run/{run_id}")
        (logged,) = run["models"]
        assert logged["path"] == "model" and "flavor: sklearn" in logged["descriptor"]
        before = get_json(base, "/api/version")["version"]
        gx.MlflowClient().set_registered_model_alias("churn", "candidate", 1)  # moves a tag, no experiment ref
        assert get_json(base, "/api/version")["version"] != before  # so the registry page refreshes itself


def _start_cli(repo, *args: str) -> subprocess.Popen:
    import os
    import sys

    return subprocess.Popen([sys.executable, "-m", "gx", "ui", "--port", "0", *args], cwd=repo.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def test_gx_ui_serves_on_loopback_and_warns_for_another_host(repo):
    proc = _start_cli(repo)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read()
        base = line.split(" at ", 1)[1].split()[0].rstrip("/")
        assert get_json(base, "/api/experiments")["experiments"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    proc = _start_cli(repo, "--host", "0.0.0.0")
    try:
        warning = proc.stderr.readline()
        assert warning.startswith("gx: warning: listening on 0.0.0.0: anyone who can reach this address")
        assert "http://0.0.0.0:" in proc.stdout.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_busy_port_is_one_line_error(repo, cli):
    with running_server(repo.path) as base:
        result = cli("ui", "--port", base.rsplit(":", 1)[1])
    assert result.exit_code == 1 and result.output.startswith("gx: error: cannot listen on 127.0.0.1:")


def test_runs_fetched_from_a_teammate_appear_at_a_new_version(repo, tmp_path):
    import sys

    from conftest import make_repo

    mate = make_repo(tmp_path / "mate")
    subprocess.run([sys.executable, "-c", "import gx\nwith gx.start_run(experiment='shared', run_name='theirs'):\n"
                    "    gx.log_metric('rmse', 0.5)\n"], cwd=mate.path, check=True)
    with running_server(repo.path) as base:
        before = get_json(base, "/api/version")["version"]
        assert get_json(base, "/api/runs")["total"] == 0
        repo.git("fetch", "-q", str(mate.path), "refs/experiments/*:refs/remotes/mate/experiments/*")
        assert get_json(base, "/api/version")["version"] != before
        rows = get_json(base, "/api/runs?columns=metrics.rmse")["rows"]
        assert [(r["name"], r["experiment"], r["values"]) for r in rows] == [("theirs", "shared", [0.5])]


def test_run_inputs_and_the_data_verdict_of_compare(served, cli):
    """The run page lists a run's inputs; compare carries the ``data:`` line ``gx compare`` prints."""
    import pandas as pd

    import gx

    base, ids, _ = served
    train = pd.DataFrame({"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    made = []
    for name, valid_rows in (("in-a", 2), ("in-b", 2), ("in-c", 5)):
        with gx.start_run(experiment="demo", run_name=name) as run:
            gx.log_input(gx.data.from_pandas(train, source="data/train.csv", name="train"), context="training")
            gx.log_input(gx.data.from_pandas(train.head(valid_rows), name="valid"), context="validation")
        made.append(run.info.run_id)
    run = get_json(base, f"/api/run/{made[0]}")
    first, second = run["inputs"]
    digest = gx.data.from_pandas(train).digest
    assert first == {"name": "train", "context": "training", "id": f"digest {digest}", "size": None, "rows": 3,
                     "source": "local data/train.csv",
                     "line": f"train (training)  digest {digest}  local data/train.csv  3 rows × 2 columns"}
    assert (second["name"], second["context"], second["rows"]) == ("valid", "validation", 2)
    assert get_json(base, f"/api/run/{ids['run-0']}")["inputs"] == []
    assert get_json(base, f"/api/compare?runs={made[0]},{made[1]}")["data"] == "data: same"
    assert get_json(base, f"/api/compare?runs={made[0]},{made[2]}")["data"] == "data: changed (valid [validation])"
    assert get_json(base, f"/api/compare?runs={ids['run-0']},{ids['run-1']}")["data"] is None
    assert cli("compare", made[0], made[2]).output.splitlines()[0] == "data: changed (valid [validation])"
