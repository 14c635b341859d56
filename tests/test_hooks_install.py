"""gx hooks install/uninstall: shims beside the user's own hooks, core.hooksPath, the shipped scripts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gx.hooks.manage import (
    HOOK_TYPES,
    MARKER,
    HookConflict,
    hooks_dir,
    install,
    is_gx_hook,
    shim_text,
    status,
    uninstall,
)

ROOT = Path(__file__).resolve().parents[1]


def git_proc(repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True)


def write_hook(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_shipped_scripts_are_what_install_writes(repo):
    for hook in HOOK_TYPES:
        shipped = ROOT / "hooks" / hook
        assert shipped.read_text() == shim_text(hook, ""), f"hooks/{hook} is stale: regenerate it from gx.hooks.shim_text"
        assert shipped.stat().st_mode & stat.S_IXUSR
    install(python="")  # --portable
    for hook in HOOK_TYPES:
        assert (repo.path / ".git" / "hooks" / hook).read_bytes() == (ROOT / "hooks" / hook).read_bytes()


def test_install_writes_executable_shims_with_this_python_and_is_idempotent(repo):
    changes = install()
    assert [(c.hook, c.action, c.legacy) for c in changes] == [(h, "installed", None) for h in HOOK_TYPES]
    for hook in HOOK_TYPES:
        path = repo.path / ".git" / "hooks" / hook
        text = path.read_text()
        assert MARKER in text and f"GX_HOOK={hook}\n" in text and f"GX_PYTHON={sys.executable}\n" in text
        assert os.access(path, os.X_OK)
    assert [c.action for c in install()] == ["unchanged"] * 3
    assert not list((repo.path / ".git" / "hooks").glob("*.legacy"))
    assert [c.action for c in status()] == ["installed"] * 3


def test_existing_hook_is_chained_keeps_working_and_is_restored(repo):
    hooks = repo.path / ".git" / "hooks"
    original = write_hook(hooks / "post-commit", 'echo "$(git rev-parse HEAD)" > legacy-ran\n').read_bytes()
    changes = {c.hook: c for c in install()}
    assert changes["post-commit"].legacy == hooks / "post-commit.legacy"
    assert (hooks / "post-commit.legacy").read_bytes() == original
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    repo.git("commit", "-qm", "a")
    assert (repo.path / "legacy-ran").read_text().strip() == repo.git("rev-parse", "HEAD").strip()
    assert [c.action for c in install()] == ["unchanged"] * 3  # a reinstall never moves gx's own shim aside
    assert (hooks / "post-commit.legacy").read_bytes() == original
    changes = {c.hook: c.action for c in uninstall()}
    assert changes == {"pre-commit": "removed", "post-commit": "restored", "pre-push": "removed"}
    assert (hooks / "post-commit").read_bytes() == original and os.access(hooks / "post-commit", os.X_OK)
    assert not (hooks / "post-commit.legacy").exists() and not (hooks / "pre-commit").exists()
    assert [c.action for c in uninstall()] == ["not installed", "not gx's", "not installed"]


def test_failing_existing_hook_still_blocks_the_commit(repo):
    write_hook(repo.path / ".git" / "hooks" / "pre-commit", 'echo "lint failed" >&2\nexit 3\n')
    install(["pre-commit"])
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    proc = git_proc(repo, "commit", "-qm", "a")
    assert proc.returncode != 0 and "lint failed" in proc.stderr
    assert repo.git("log", "--format=%s") == "initial\n"
    assert git_proc(repo, "commit", "-qm", "a", "--no-verify").returncode == 0


def test_core_hooks_path_is_respected_relative_to_the_worktree_root(repo):
    repo.git("config", "core.hooksPath", ".githooks")
    sub = repo.path / "src" / "deep"
    sub.mkdir(parents=True)
    write_hook(repo.path / ".githooks" / "pre-commit", 'echo "team hook" >&2\nexit 1\n')
    changes = install(start=str(sub))
    assert {c.path.parent for c in changes} == {repo.path / ".githooks"}
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
    assert is_gx_hook(repo.path / ".githooks" / "post-commit")
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    proc = git_proc(repo, "commit", "-qm", "a")  # git runs .githooks/pre-commit -> the team hook -> blocked
    assert proc.returncode != 0 and "team hook" in proc.stderr


def test_cli_notes_a_hooks_path_outside_the_repository(repo, tmp_path):
    from gx.cli.hooks import hooks_group

    repo.git("config", "core.hooksPath", str(tmp_path / "shared-hooks"))
    out = CliRunner().invoke(hooks_group, ["install", "--hook", "post-commit"], catch_exceptions=False).output
    assert f"post-commit: installed {tmp_path / 'shared-hooks' / 'post-commit'}" in out
    assert "outside this repository" in out


def test_hooks_dir_absolute_home_and_default(repo, tmp_path):
    assert hooks_dir() == repo.path / ".git" / "hooks"
    repo.git("config", "core.hooksPath", str(tmp_path / "abs"))
    assert hooks_dir() == tmp_path / "abs"
    repo.git("config", "core.hooksPath", "~/hooks")
    assert hooks_dir() == Path(os.environ["HOME"]) / "hooks"


def test_install_refuses_what_it_cannot_chain_safely(repo):
    hooks = repo.path / ".git" / "hooks"
    write_hook(hooks / "pre-commit", "# File generated by pre-commit: https://pre-commit.com\nexit 0\n")
    with pytest.raises(HookConflict, match="pre-commit framework"):
        install()
    assert not (hooks / "post-commit").exists()  # nothing written
    install(["post-commit", "pre-push"])  # the other hooks are fine
    write_hook(hooks / "pre-push", "exit 0\n")  # replaces gx's shim with a foreign hook...
    write_hook(hooks / "pre-push.legacy", "exit 0\n")  # ...beside a foreign legacy one
    with pytest.raises(HookConflict, match="neither is gx's"):
        install(["pre-push"])


def test_shim_moved_aside_by_another_manager_does_not_run_itself(repo):
    hooks = repo.path / ".git" / "hooks"
    install(["post-commit"])
    os.replace(hooks / "post-commit", hooks / "post-commit.legacy")
    write_hook(hooks / "post-commit", 'echo manager >&2\n"$(dirname "$0")/post-commit.legacy"\n')
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    proc = subprocess.run(["git", "commit", "-qm", "a"], cwd=repo.path, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stderr.count("manager") == 1
    assert [c.action for c in uninstall(["post-commit"])] == ["removed"]
    assert not (hooks / "post-commit.legacy").exists() and (hooks / "post-commit").exists()


@pytest.mark.parametrize("hook", HOOK_TYPES)
def test_shim_without_gx_warns_and_never_blocks(tmp_path, hook):
    script = tmp_path / hook
    script.write_text(shim_text(hook, str(tmp_path / "gone" / "python")))
    proc = subprocess.run(["sh", str(script), "origin", "url"], input="", capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0 and "gx: warning: gx not found" in proc.stderr


def test_cli_install_status_uninstall(repo):
    from gx.cli.hooks import hooks_group

    runner = CliRunner()
    out = runner.invoke(hooks_group, ["install", "--hook", "post-commit"], catch_exceptions=False).output
    assert out.splitlines()[0] == "post-commit: installed .git/hooks/post-commit"
    assert "add an 'autolog:' section to gx.yaml" in out
    out = runner.invoke(hooks_group, ["status"], catch_exceptions=False).output
    assert "post-commit: installed" in out and "pre-push: not installed" in out and "autolog: off" in out
    out = runner.invoke(hooks_group, ["uninstall"], catch_exceptions=False).output
    assert "post-commit: removed .git/hooks/post-commit" in out
    result = runner.invoke(hooks_group, ["install", "--hook", "post-merge"])
    assert result.exit_code == 2 and "post-merge" in result.output


def test_module_entry_point_usage(repo):
    proc = subprocess.run([sys.executable, "-m", "gx.hooks", "run", "nope"], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage: python -m gx.hooks run" in proc.stderr


def test_gx_hooks_through_the_gx_command(repo, cli):
    from gx.cli.main import COMMANDS

    if "hooks" not in COMMANDS:
        pytest.skip("'hooks' is not in gx.cli.main.COMMANDS yet")
    assert cli("hooks", "install", "--hook", "pre-commit").output.startswith("pre-commit: installed ")
    result = cli("hooks", "run", "post-commit")
    assert result.exit_code == 0 and result.output == ""  # no gx.yaml: nothing to log
