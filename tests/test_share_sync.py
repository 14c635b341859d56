"""gx push / pull / sync between real clones and a real bare remote: union of runs, exactly once."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import Repo, gx_subprocess, make_repo, run_git
from gx.errors import RemoteError
from gx.query.runs import list_runs
from gx.records import FINISHED, MetricPoint, RunRecord
from gx.share import sync as share
from gx.store.repo import Store
from gx.store.write import write_run, write_tombstone


# -- helpers shared by the test_share_* modules ---------------------------------------------------
def record(repo: Repo, experiment: str, name: str, value: float = 1.0, source: str | None = None) -> str:
    """Write one finished run straight through the store (fast); returns its id."""
    now = time.time()
    rec = RunRecord(uuid.uuid4().hex, experiment, name, FINISHED, start_time=now - 1, end_time=now,
                    params={"value": value}, metrics={"m": [MetricPoint(0, now, value)]})
    rec.source = {"commit": source or repo.git("rev-parse", "HEAD").strip()}
    with Store.open(repo.path) as store:
        write_run(store, rec)
    return rec.run_id


def names(repo: Repo, experiment: str | None = None, deleted: bool = False) -> list[str]:
    with Store.open(repo.path) as store:
        runs = list_runs([experiment] if experiment else None, include_deleted=deleted, store=store)
    return sorted(r.name for r in runs)


def verb(repo: Repo, name: str, *args, **kwargs):
    """Call share.<name> on a clone's store."""
    with Store.open(repo.path) as store:
        return getattr(share, name)(*args, store=store, **kwargs)


def tip(repo: Repo, experiment: str) -> str:
    return repo.git("rev-parse", f"refs/experiments/{experiment}").strip()


def lasso_merged_with_a_deletion(team) -> None:
    """Bob's ``lasso``: runs of both clones joined by a merge commit, then a deletion (pushed by Alice
    and Bob); the history a new experiment's run count must walk right."""
    from gx.store.write import write_tombstone

    first = record(team.alice, "lasso", "a1")
    record(team.alice, "lasso", "a2")
    verb(team.alice, "push")
    record(team.bob, "lasso", "b1")
    record(team.alice, "lasso", "a3")
    verb(team.alice, "push")
    verb(team.bob, "sync")  # a merge commit
    with Store.open(team.bob.path) as store:
        write_tombstone(store, "lasso", first, "delete", "a1")


def fsck_bare(path: Path) -> None:
    Repo(path).fsck()


@pytest.fixture(name="team")
def team_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A bare remote and two clones, alice (cwd) and bob, sharing one branch ``main``."""
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", "-b", "main", str(remote))
    alice = make_repo(tmp_path / "alice")
    alice.git("remote", "add", "origin", str(remote))
    alice.git("push", "-q", "-u", "origin", "main")
    run_git("clone", "-q", str(remote), str(tmp_path / "bob"))
    monkeypatch.chdir(alice.path)
    return SimpleNamespace(remote=remote, alice=alice, bob=Repo(tmp_path / "bob"), tmp=tmp_path)


# -- tests --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("first", ["alice", "bob"])
def test_diverged_histories_end_as_the_union_in_either_push_order(team, first):
    record(team.alice, "lasso", "a1")
    record(team.alice, "lasso", "a2")
    record(team.bob, "lasso", "b1")
    one, two = (team.alice, team.bob) if first == "alice" else (team.bob, team.alice)
    [pushed] = verb(one, "push")
    assert pushed.created == "remote" and pushed.sent == (2 if first == "alice" else 1)
    [merged] = verb(two, "push")
    assert merged.merged and merged.received == pushed.sent and merged.sent == 3 - pushed.sent
    [pulled] = verb(one, "pull")
    assert pulled.fast_forward and pulled.received == merged.sent
    for clone in (team.alice, team.bob):
        assert names(clone) == ["a1", "a2", "b1"]  # every run of both, exactly once
        clone.fsck()
    assert tip(team.alice, "lasso") == tip(team.bob, "lasso") == run_git(
        "rev-parse", "refs/experiments/lasso", cwd=team.remote).strip()
    fsck_bare(team.remote)
    assert [r.sent + r.received for r in verb(team.alice, "sync")] == [0]
    body = team.alice.git("log", "-1", "--format=%B", "refs/experiments/lasso")
    assert "Gx-Kind: merge" in body and "Gx-Experiment: lasso" in body
    assert team.alice.git("ls-tree", "--name-only", "refs/experiments/lasso") == "experiment.yaml\n"


def test_fast_forward_when_one_side_contains_the_other(team):
    record(team.alice, "lasso", "a1")
    verb(team.alice, "push")
    [result] = verb(team.bob, "pull")
    assert result.created == "local" and result.received == 1
    record(team.bob, "lasso", "b1")
    [result] = verb(team.bob, "push")
    assert result.sent == 1 and not result.merged and not result.received
    [result] = verb(team.alice, "pull")
    assert result.fast_forward and not result.merged
    assert tip(team.alice, "lasso") == tip(team.bob, "lasso")
    assert "merge" not in team.alice.git("log", "--format=%s", "refs/experiments/lasso")


def test_deletions_and_restores_travel(team):
    a1 = record(team.alice, "lasso", "a1")
    record(team.alice, "lasso", "a2")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    with Store.open(team.bob.path) as store:
        write_tombstone(store, "lasso", a1, "delete", "a1")
    record(team.alice, "lasso", "a3")  # alice moves on meanwhile: histories diverge
    verb(team.bob, "push")
    verb(team.alice, "sync")
    assert names(team.alice) == ["a2", "a3"] and names(team.alice, deleted=True) == ["a1", "a2", "a3"]
    with Store.open(team.alice.path) as store:
        write_tombstone(store, "lasso", a1, "restore", "a1")
    verb(team.alice, "push")
    verb(team.bob, "pull")
    assert names(team.bob) == ["a1", "a2", "a3"]
    team.bob.fsck()


def test_a_teammate_can_check_out_the_code_a_run_ran(team):
    team.alice.write("train.py", "print('unpushed code')\n")
    team.alice.git("add", "train.py")
    team.alice.git("commit", "-q", "-m", "local only")
    code = team.alice.git("rev-parse", "HEAD").strip()
    record(team.alice, "lasso", "a1", source=code)
    verb(team.alice, "push")  # the branch itself is not pushed
    assert run_git("branch", "--contains", code, cwd=team.remote, check=False).strip() == ""
    verb(team.bob, "pull")
    team.bob.git("checkout", "-q", code)
    assert (team.bob.path / "train.py").read_text() == "print('unpushed code')\n"
    team.bob.fsck()


def test_selected_experiments_and_unknown_ones(team):
    record(team.alice, "lasso", "a1")
    record(team.alice, "ridge", "r1")
    assert [r.experiment for r in verb(team.alice, "push", experiments=["ridge"])] == ["ridge"]
    assert run_git("for-each-ref", "--format=%(refname)", "refs/experiments", cwd=team.remote) == \
        "refs/experiments/ridge\n"
    with pytest.raises(Exception, match="no local experiment named 'nope'"):
        verb(team.alice, "push", experiments=["nope"])
    [result] = verb(team.bob, "pull", experiments=["lasso"])
    assert result.skipped == "not on origin"


def test_a_shallow_clone_can_fetch_and_list_experiments(team, monkeypatch):
    old_code = team.alice.git("rev-parse", "HEAD").strip()
    record(team.alice, "lasso", "a1")  # ran on code below the shallow clone's boundary
    team.alice.git("commit", "-q", "--allow-empty", "-m", "v2")
    team.alice.git("push", "-q")
    record(team.alice, "lasso", "a2")
    verb(team.alice, "push")
    for way in ("git fetch", "gx pull"):
        shallow = team.tmp / way.replace(" ", "-")
        run_git("clone", "-q", "--depth", "1", f"file://{team.remote}", str(shallow))
        if way == "git fetch":
            assert gx_subprocess("remote", "setup", cwd=shallow).returncode == 0
            run_git("fetch", "-q", cwd=shallow)
        else:
            proc = gx_subprocess("pull", cwd=shallow)
            assert proc.stdout == b"lasso: 2 runs from origin (new experiment)\n", proc.stderr
        proc = gx_subprocess("ls", cwd=shallow)
        assert proc.returncode == 0 and b"a1" in proc.stdout and b"a2" in proc.stdout, proc.stderr
        assert names(Repo(shallow)) == ["a1", "a2"]
        Repo(shallow).fsck()
        run_git("checkout", "-q", old_code, cwd=shallow)  # the code a1 ran came along


def test_unreachable_or_unknown_remote_is_one_clear_line(team, tmp_path):
    record(team.alice, "lasso", "a1")
    for args, message in [
        (["push", str(tmp_path / "missing.git")], b"gx: error: cannot reach remote "),
        (["pull", "nowhere"], b"gx: error: no remote named 'nowhere'; known remotes: origin"),
        (["push", "ssh://nohost.invalid/x.git"], b"gx: error: cannot reach remote ssh://nohost.invalid/x.git: "),
    ]:
        proc = gx_subprocess(*args, cwd=team.alice.path, env={"GIT_SSH_COMMAND": "false"})
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.startswith(message) and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"Traceback" not in proc.stderr


def test_push_and_pull_without_the_git_binary(team, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "python")
    env = {"PATH": str(bindir)}
    record(team.alice, "lasso", "a1")
    proc = gx_subprocess("push", cwd=team.alice.path, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"lasso: 1 run to origin (new there)\n"
    record(team.bob, "lasso", "b1")
    proc = gx_subprocess("sync", cwd=team.bob.path, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"lasso: 1 run from origin (merged); 1 run to origin\n"
    assert shutil.which("git", path=env["PATH"]) is None
    fsck_bare(team.remote)
    assert names(team.bob) == ["a1", "b1"]


def test_ssh_transport_and_a_refusing_remote(team, tmp_path):
    """Through ``GIT_SSH_COMMAND`` (here a stand-in that runs the command locally) to real receive-pack."""
    fake_ssh = tmp_path / "fake-ssh"
    fake_ssh.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    fake_ssh.chmod(0o755)
    env = {"GIT_SSH_COMMAND": str(fake_ssh)}
    record(team.alice, "lasso", "a1")
    url = f"ssh://example.invalid{team.remote}"
    proc = gx_subprocess("push", url, cwd=team.alice.path, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == f"lasso: 1 run to {url} (new there)\n".encode()
    hook = team.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'experiments are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    record(team.alice, "lasso", "a2")
    proc = gx_subprocess("push", url, cwd=team.alice.path, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"gx: error: {url} refused refs/experiments/lasso".encode()), proc.stderr
    assert proc.stderr.count(b"\n") == 1


def test_refused_credentials_and_errors_are_remote_errors(team):
    with Store.open(team.alice.path) as store, pytest.raises(RemoteError, match="no remote named"):
        share.pull("upstream", store=store)


def test_http_transport_with_credentials_from_the_store(team, tmp_path, monkeypatch):
    """Smart HTTP (dulwich's own server here) with basic auth; the password comes from ~/.git-credentials."""
    import base64
    import threading

    from dulwich.repo import Repo as DulwichRepo
    from dulwich.server import DictBackend
    from dulwich.web import WSGIRequestHandlerLogger, WSGIServerLogger, make_server, make_wsgi_chain

    served = DulwichRepo(str(team.remote))
    git_app = make_wsgi_chain(DictBackend({"/remote.git": served}))
    expected = "Basic " + base64.b64encode(b"ada:s3cret").decode()

    def app(environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"no"]
        return git_app(environ, start_response)

    server = make_server("127.0.0.1", 0, app, handler_class=WSGIRequestHandlerLogger,
                         server_class=WSGIServerLogger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/remote.git"
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    try:
        record(team.alice, "lasso", "a1")
        credentials = Path(os.environ["HOME"]) / ".git-credentials"
        credentials.write_text(f"http://ada:wrong@127.0.0.1:{server.server_port}\n")
        with pytest.raises(RemoteError, match="refused the credentials"):
            verb(team.alice, "push", url)
        credentials.write_text(f"http://ada:s3cret@127.0.0.1:{server.server_port}\n")
        [result] = verb(team.alice, "push", url)
        assert result.created == "remote" and result.sent == 1
        record(team.bob, "lasso", "b1")
        [result] = verb(team.bob, "sync", url)
        assert result.merged and result.received == 1 and result.sent == 1
    finally:
        server.shutdown()
        served.close()
    assert names(team.bob) == ["a1", "b1"]
    fsck_bare(team.remote)
