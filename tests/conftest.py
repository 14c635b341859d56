"""Shared fixtures: a scrubbed git environment, a real temporary repository, git and gx helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

settings.register_profile(
    "gx", derandomize=True, deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("gx")

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run the full-size scale tests")


@pytest.fixture(autouse=True)
def scrubbed_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real home directory or system git config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GX_EXPERIMENT", "GX_RUN_ID", "GX_RUN_DIR", "GX_PARAMS", "GX_RUN_NAME"):
        monkeypatch.delenv(var, raising=False)
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GX_YAML_CHECK", "1")  # every document gx.yamlwrite writes, compared with PyYAML's


@pytest.fixture(autouse=True)
def reset_fluent_state() -> None:
    from gx.tracking import fluent

    yield
    while fluent._stack:
        fluent._stack.pop().writer.close()
    fluent._experiment[0] = None


def run_git(*args: str, cwd: Path | str | None = None, check: bool = True, input: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc.stdout.decode("utf-8", "replace")


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, check: bool = True) -> str:
        return run_git(*args, cwd=self.path, check=check)

    def fsck(self) -> None:
        out = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=self.path, capture_output=True)
        assert out.returncode == 0, out.stderr.decode() + out.stdout.decode()
        assert b"error" not in out.stderr and b"warning" not in out.stderr, out.stderr.decode()

    def write(self, name: str, text: str) -> Path:
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p


def make_repo(path: Path) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    run_git("init", "-q", "-b", "main", cwd=path)
    (path / "README.md").write_text("project\n")
    run_git("add", "README.md", cwd=path)
    run_git("commit", "-q", "-m", "initial", cwd=path)
    return Repo(path)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A real git repository with one commit and a pinned identity; cwd is inside it."""
    r = make_repo(tmp_path / "project")
    monkeypatch.chdir(r.path)
    return r


@pytest.fixture
def git_lfs() -> str:
    """The real ``git-lfs`` binary's path. Without it the test skips, unless ``GX_REQUIRE_GIT_LFS=1`` (CI)
    makes that a failure: install it with ``apt-get install -y git-lfs``."""
    import shutil

    path = shutil.which("git-lfs")
    if path is None:
        reason = "git-lfs is not installed (apt-get install -y git-lfs)"
        if os.environ.get("GX_REQUIRE_GIT_LFS") == "1":
            pytest.fail(f"{reason}; GX_REQUIRE_GIT_LFS=1 makes this a failure")
        pytest.skip(reason)
    return path


@pytest.fixture
def cli():
    """Invoke the CLI in-process through click's CliRunner; returns the Result."""
    from gx.cli.main import cli as gx_cli

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(gx_cli, list(args), input=input, catch_exceptions=False)

    return invoke


def gx_subprocess(*args: str, cwd: Path | str | None = None, env: dict | None = None,
                  timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """Run the real ``gx`` entry point in a child process."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "gx", *args], cwd=cwd, env=full_env, capture_output=True,
                          timeout=timeout, **kw)


def all_object_contents(repo: Repo) -> bytes:
    """Every object in the repository (loose and packed), concatenated: for secret scans."""
    shas = repo.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    proc = subprocess.run(["git", "cat-file", "--batch"], cwd=repo.path, input="\n".join(shas).encode() + b"\n",
                          capture_output=True, check=True)
    return proc.stdout


def make_summary(run_id: str = "r0", *, default_start: float = 1000.0, default_duration: float = 10.0, **fields):
    """A RunSummary for query tests, with defaults for everything not given."""
    from gx.records import RunSummary

    values = {"experiment": "default", "name": run_id, "status": "FINISHED", "start_time": default_start,
              "end_time": default_start + default_duration, "params": {}, "metrics": {}, "tags": {}}
    values.update(fields)
    return RunSummary(run_id=run_id, **values)


def run_ids(runs) -> list[str]:
    return [r.run_id for r in runs]



@pytest.fixture
def clones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A bare remote and two clones of it (a, b) with the remote as origin; ``at(repo)`` makes one the
    working directory. Returns ``(a, b, remote, at)``."""
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", str(remote))
    a = make_repo(tmp_path / "a")
    a.git("remote", "add", "origin", str(remote))
    a.git("push", "-q", "origin", "main")
    run_git("clone", "-q", str(remote), str(tmp_path / "b"))

    def at(repo: Repo) -> Repo:
        monkeypatch.chdir(repo.path)
        return repo

    return a, Repo(tmp_path / "b"), remote, at

def count_git_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The git commands gx's transport runs from now on (``gitwire.start`` and ``gitwire.spawn``), by
    subcommand: ``upload-pack`` is a fetch's one connection, ``index-pack`` its pack indexed."""
    from gx.store import gitwire

    calls: list[str] = []

    def counting(real):
        def count(git: str, args: list[str], *rest, **kw):
            calls.append(next(a for a in args if not a.startswith("-") and "=" not in a))
            return real(git, args, *rest, **kw)

        return count

    monkeypatch.setattr(gitwire, "start", counting(gitwire.start))
    monkeypatch.setattr(gitwire, "spawn", counting(gitwire.spawn))
    return calls
