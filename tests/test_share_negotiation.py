"""One negotiation per command on git's transport: experiments and the registry's tags listed and
fetched in one upload-pack connection (the pack indexed by ``git index-pack``), pushed by one
``git push`` after one ``ls-remote``; a registry tag moves on the
remote only from the value it had there (``--force-with-lease``: a compare-and-swap, never a force)."""

from __future__ import annotations

import numpy as np
import pytest

import gx
from conftest import count_git_calls, run_git
from gx.share.sync import pull, push, sync
from gx.store import gitwire
from gx.store.remote import resolve_remote
from gx.store.repo import Store
from gx.store.tag_remote import send_registry_tags
from test_models_share import _register, _tags


@pytest.fixture(autouse=True)
def git_transport(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The git commands gx's transport runs (``gitwire.start``), by subcommand."""
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)
    return count_git_calls(monkeypatch)


def _model(at, repo) -> str:
    from sklearn.linear_model import LinearRegression

    at(repo)
    X = np.arange(8.0).reshape(-1, 1)
    run_id, _ = _register(LinearRegression().fit(X, X.ravel()))
    return run_id


def test_runs_and_registry_tags_travel_in_one_connection_each_way(clones, git_transport):
    a, b, remote, at = clones
    _model(at, a)
    git_transport.clear()
    push()
    assert git_transport == ["ls-remote", "push"]  # the run and its registry tag in one push
    assert _tags(remote) == _tags(a.path) != []
    at(b)
    git_transport.clear()
    pull()
    assert git_transport == ["upload-pack", "index-pack"]  # listed and fetched in one connection
    assert _tags(b.path) == _tags(remote)
    assert gx.MlflowClient().get_model_version("churn", 1).run_id
    git_transport.clear()
    sync()  # nothing new on either side
    assert git_transport == ["upload-pack"]  # its listing serves the push: nothing to send
    b.fsck()


def test_a_registry_tag_moves_only_from_the_value_the_remote_had(clones):
    a, b, remote, at = clones
    _model(at, a)
    push()
    gx.MlflowClient().update_model_version("churn", 1, description="edited")
    with Store.open(a.path) as store:
        [name] = [line.split("\t")[1][len("refs/tags/"):] for line in
                  run_git("ls-remote", str(remote), "refs/tags/*", cwd=a.path).splitlines()
                  if not line.endswith("^{}")]
        theirs = run_git("rev-parse", f"refs/tags/{name}", cwd=remote).strip()
        mine = run_git("rev-parse", f"refs/tags/{name}", cwd=a.path).strip()
        assert mine != theirs
        rem = resolve_remote(store, None)
        ref = f"refs/tags/{name}".encode()
        for stale in ({}, {ref: run_git("rev-parse", "main", cwd=a.path).strip().encode()}):
            sent = send_registry_tags(store, rem, lambda before: {name: mine}, None, stale)
            assert name in sent.refused and not sent.sent, stale
            assert run_git("rev-parse", f"refs/tags/{name}", cwd=remote).strip() == theirs
        sent = send_registry_tags(store, rem, lambda before: {name: mine}, None, {ref: theirs.encode()})
        assert sent.sent == {name: mine} and not sent.refused
    assert run_git("rev-parse", f"refs/tags/{name}", cwd=remote).strip() == mine
    run_git("fsck", "--strict", "--no-dangling", cwd=remote)


def test_a_tag_raced_in_the_combined_push_goes_round_again(clones, git_transport, monkeypatch):
    """Another clone moves the tag between the listing and the push: the lease refuses it, the
    experiments still arrive, and the next round reconciles and sends the later edit."""
    a, b, remote, at = clones
    _model(at, a)
    push()
    at(b)
    pull()
    [name] = [line.split("\t")[1][len("refs/tags/"):] for line in
              run_git("ls-remote", str(remote), "refs/tags/*", cwd=b.path).splitlines() if not line.endswith("^{}")]
    at(a)
    gx.MlflowClient().update_model_version("churn", 1, description="from a")
    at(b)
    gx.MlflowClient().update_model_version("churn", 1, description="from b")  # the later edit
    _model(at, b)  # and a new run to push
    at(b)
    real = gitwire.start
    raced: list[bool] = []

    def racing(git: str, args: list[str], *rest, **kw):
        if "push" in args and not raced:
            raced.append(True)
            run_git("push", "-q", "--force", "origin", f"refs/tags/{name}", cwd=a.path)
        return real(git, args, *rest, **kw)

    monkeypatch.setattr(gitwire, "start", racing)
    git_transport.clear()
    push()
    assert raced and git_transport.count("push") == 2
    assert run_git("rev-parse", f"refs/tags/{name}", cwd=remote) == run_git("rev-parse", f"refs/tags/{name}", cwd=b.path)
    assert gx.MlflowClient().get_model_version("churn", 1).description == "from b"
    experiments = ("for-each-ref", "--format=%(refname) %(objectname)", "refs/experiments/")
    assert run_git(*experiments, cwd=remote) == run_git(*experiments, cwd=b.path) != ""
    run_git("fsck", "--strict", "--no-dangling", cwd=remote)


def test_dulwichs_own_http_client_even_when_another_library_rebinds_it(repo, monkeypatch):
    """scmrepo (loaded with dvc) rebinds ``dulwich.client.HttpGitClient`` process-wide; gx's http
    transport keeps dulwich's own class, whatever was imported first."""
    import dulwich.client

    from gx.store.remote import client_for

    class Rebound(dulwich.client.Urllib3HttpGitClient):
        pass

    monkeypatch.setattr(dulwich.client, "HttpGitClient", Rebound)
    with Store.open(repo.path) as store:
        client, path = client_for(store, "http://127.0.0.1:9/remote.git", "push")
    assert type(client) is dulwich.client.Urllib3HttpGitClient and path == "/remote.git"
