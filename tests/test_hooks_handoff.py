"""One Python per commit (gx.hooks.handoff, gx.hooks.commit_helper): the pre-commit check's process records the commit when
the post-commit shim wakes it; whenever it cannot, the post-commit hook does it all, as before.

An interpreter wrapper logs which hooks started Python; real git commits in real repositories.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import gx.query.runs
from gx.hooks.manage import install

GX_YAML = "autolog:\n  experiment: commits\n  params: [params.yaml]\n  metrics: [metrics.json]\n"


def logging_python(tmp_path: Path) -> Path:
    """The real interpreter behind a script that notes each hook that starts it."""
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\necho "$4" >> {tmp_path / "started.txt"}\nexec {sys.executable} "$@"\n')
    script.chmod(0o755)
    return script


def started(tmp_path: Path) -> list[str]:
    path = tmp_path / "started.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def commit(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "commit", "-q", *args], cwd=root, capture_output=True, text=True, timeout=60)


def helpers(root: Path) -> list[int]:
    """Processes of gx's pre-commit hook still running in ``root``."""
    root, found = Path(os.path.realpath(root)), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if b"gx.hooks\0run\0pre-commit" in cmdline and cwd == str(root):
            found.append(int(pid))
    return found


def gone(root: Path, seconds: float = 5.0, main: Path | None = None) -> bool:
    """No helper left in ``root`` and no hand-off folder in ``main``'s git dir, within ``seconds``."""
    deadline = time.monotonic() + seconds
    folder = (main or root) / ".git" / "gx" / "hook-handoff"
    while time.monotonic() < deadline:
        if not helpers(root) and not (folder.is_dir() and any(folder.iterdir())):
            return True
        time.sleep(0.05)
    return False


def run_count(root: Path) -> int:
    store = gx.query.runs.open_store(str(root))
    return len(gx.query.runs.list_runs(["commits"], store=store)) if "commits" in store.experiments() else 0


def step(root: Path, value: float | str) -> None:
    (root / "metrics.json").write_text(f'{{"rmse": {value}}}\n')
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)


@pytest.fixture
def project(repo, tmp_path):
    repo.write("gx.yaml", GX_YAML)
    repo.write("params.yaml", "alpha: 0.1\n")
    install(["pre-commit", "post-commit"], python=str(logging_python(tmp_path)))
    return repo


pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")


def test_a_commit_starts_python_once_and_is_recorded_before_git_returns(project, tmp_path):
    step(project.path, 0.5)
    proc = commit(project.path, "-m", "v1")
    assert proc.returncode == 0, proc.stderr
    sha = project.git("rev-parse", "HEAD").strip()
    assert f"gx: logged commit {sha[:7]} as run " in proc.stderr
    assert run_count(project.path) == 1
    assert started(tmp_path) == ["pre-commit"]
    assert gone(project.path)
    amend = commit(project.path, "--amend", "-m", "v1 reworded")
    assert "not logged again" in amend.stderr and started(tmp_path) == ["pre-commit"]
    project.write("metrics.json", '{"rmse": 0.25}\n')
    assert commit(project.path, "-a", "-m", "v2").returncode == 0
    assert started(tmp_path) == ["pre-commit"] and run_count(project.path) == 2
    assert gone(project.path)
    project.fsck()


def test_no_verify_leaves_it_all_to_post_commit(project, tmp_path):
    step(project.path, 0.5)
    proc = commit(project.path, "--no-verify", "-m", "v1")
    assert "gx: logged commit" in proc.stderr and run_count(project.path) == 1
    assert started(tmp_path) == ["post-commit"]


@pytest.mark.parametrize("how", ["commit-msg hook fails", "empty message", "the check refuses"])
def test_an_aborted_commit_leaves_no_process_and_no_run(project, tmp_path, how):
    step(project.path, '"n/a"' if how == "the check refuses" else 0.5)
    if how == "commit-msg hook fails":
        hook = project.path / ".git" / "hooks" / "commit-msg"
        hook.write_text("#!/bin/sh\necho 'commit-msg: no' >&2\nexit 1\n")
        hook.chmod(0o755)
    proc = commit(project.path, "-m", "" if how == "empty message" else "v1")
    assert proc.returncode != 0 and "gx: logged" not in proc.stderr
    assert ("is not a number" in proc.stderr) == (how == "the check refuses")
    assert gone(project.path, 3.0)  # the helper saw git leave
    assert run_count(project.path) == 0
    (project.path / ".git" / "hooks" / "commit-msg").unlink(missing_ok=True)
    step(project.path, 0.5)
    started(tmp_path)
    assert "gx: logged commit" in commit(project.path, "-m", "v1 again").stderr  # the next commit is fine


def test_a_helper_killed_before_post_commit_is_replaced(project, tmp_path):
    step(project.path, 0.5)
    hook = project.path / ".git" / "hooks" / "commit-msg"  # runs after pre-commit, before post-commit
    killer = tmp_path / "kill_helper.py"
    killer.write_text(f"import os, signal, sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                      f"from test_hooks_handoff import helpers\n"
                      f"for pid in helpers({str(project.path)!r}):\n    os.kill(pid, signal.SIGKILL)\n")
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} {killer}\n")
    hook.chmod(0o755)
    proc = commit(project.path, "-m", "v1")
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert run_count(project.path) == 1
    assert started(tmp_path) == ["pre-commit", "post-commit"]
    assert gone(project.path)


def test_linked_worktrees_committing_at_once_each_record_their_own(project, tmp_path):
    step(project.path, 0.5)
    assert commit(project.path, "-m", "base").returncode == 0
    trees = []
    for name in ("a", "b"):
        path = tmp_path / f"wt-{name}"
        project.git("worktree", "add", "-q", "-b", name, str(path))
        trees.append(path)
    results: dict[str, subprocess.CompletedProcess] = {}

    def work(path: Path, value: float) -> None:
        for i in range(3):
            step(path, value + i)
            results[f"{path.name} {i}"] = commit(path, "-m", f"{path.name} {i}")

    threads = [threading.Thread(target=work, args=(path, 10.0 * n)) for n, path in enumerate(trees, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 6
    for name, proc in results.items():
        assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, (name, proc.stderr)
    assert run_count(project.path) == 7
    assert "post-commit" not in started(tmp_path)
    assert all(gone(path, main=project.path) for path in trees)
    project.fsck()


def test_the_helper_holds_none_of_gits_pipes_and_leaves_its_session(project, tmp_path):
    """A caller reading git's output to its end (as subprocess.run does) must not wait for the helper."""
    step(project.path, 0.5)
    seen = tmp_path / "seen.txt"
    inspector = tmp_path / "inspect_helper.py"
    inspector.write_text(
        f"import os, sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_hooks_handoff import helpers\n"
        f"pids = helpers({str(project.path)!r})\n"
        "ours = os.readlink('/proc/self/fd/2')\n"
        "held = [os.readlink(f'/proc/{p}/fd/{fd}') for p in pids for fd in os.listdir(f'/proc/{p}/fd')]\n"
        f"open({str(seen)!r}, 'w').write(repr((len(pids), ours, held, [os.getsid(p) for p in pids], os.getsid(0))))\n"
    )
    hook = project.path / ".git" / "hooks" / "commit-msg"  # runs while the helper waits
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} {inspector}\n")
    hook.chmod(0o755)
    proc = commit(project.path, "-m", "v1")
    assert "gx: logged commit" in proc.stderr
    count, git_stderr, held, sessions, hook_session = eval(seen.read_text())
    assert count == 1 and git_stderr.startswith("pipe:")
    assert git_stderr not in held and not any(h.startswith("pipe:") for h in held)
    assert sessions[0] != hook_session


def test_a_merge_concluded_by_git_commit_is_recorded_by_the_helper(project, tmp_path):
    step(project.path, 0.5)
    assert commit(project.path, "-m", "base").returncode == 0
    project.git("checkout", "-q", "-b", "other")
    step(project.path, 0.25)
    assert commit(project.path, "-m", "other").returncode == 0
    project.git("checkout", "-q", "main")
    step(project.path, 0.75)
    assert commit(project.path, "-m", "main").returncode == 0
    merge = subprocess.run(["git", "merge", "-q", "other"], cwd=project.path, capture_output=True, timeout=60)
    assert merge.returncode != 0  # metrics.json conflicts: no commit, no hook
    step(project.path, 0.1)
    started(tmp_path)
    proc = commit(project.path, "--no-edit")
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert project.git("rev-list", "--parents", "-n1", "HEAD").count(" ") == 2  # a merge commit
    assert started(tmp_path) == ["pre-commit"] and run_count(project.path) == 4
    assert gone(project.path)


def test_no_helper_without_a_post_commit_hook_to_wake_it(repo, tmp_path):
    repo.write("gx.yaml", GX_YAML)
    repo.write("params.yaml", "alpha: 0.1\n")
    install(["pre-commit"], python=str(logging_python(tmp_path)))
    step(repo.path, 0.5)
    seen = tmp_path / "seen.txt"
    counter = tmp_path / "count_helpers.py"
    counter.write_text(f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                       "from test_hooks_handoff import helpers\n"
                       f"open({str(seen)!r}, 'w').write(str(len(helpers({str(repo.path)!r}))))\n")
    hook = repo.path / ".git" / "hooks" / "commit-msg"  # runs while a helper would wait
    hook.write_text(f"#!/bin/sh\nexec {sys.executable} {counter}\n")
    hook.chmod(0o755)
    proc = commit(repo.path, "-m", "checked, not logged")
    assert proc.returncode == 0 and "gx: logged" not in proc.stderr
    assert started(tmp_path) == ["pre-commit"] and seen.read_text() == "0"


def test_post_commit_taking_over_waits_for_a_helper_still_recording(repo, monkeypatch):
    import fcntl

    from gx.hooks import handoff
    from gx.paths import find_repo

    paths = find_repo()
    monkeypatch.setenv("GX_GIT_PID", str(os.getpid()))
    folder = handoff.handoff_dir(paths, os.getpid())
    folder.mkdir(parents=True)
    assert handoff.take_over(paths) is None and not folder.exists()  # unclaimed: this hook records
    folder.mkdir()
    (folder / "claim").touch()  # claimed by a helper that holds its lock while it records
    lock = os.open(folder / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)

    def finish() -> None:
        time.sleep(0.3)
        (folder / "out").write_bytes(b"gx: logged commit abc as run 123\n")
        os.close(lock)

    threading.Thread(target=finish).start()
    t0 = time.monotonic()
    assert handoff.take_over(paths) == b"gx: logged commit abc as run 123\n"
    assert time.monotonic() - t0 >= 0.25 and not folder.exists()


def test_folders_of_helpers_that_died_are_swept(repo):
    from gx.hooks import handoff
    from gx.paths import find_repo

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    parent = handoff.handoff_dir(find_repo(), int(dead)).parent
    (parent / dead).mkdir(parents=True)
    (parent / dead / "out").write_text("a line nobody read\n")
    (parent / str(os.getpid())).mkdir()  # a git process still running: kept
    handoff.sweep(parent)
    assert sorted(p.name for p in parent.iterdir()) == [str(os.getpid())]


def test_what_recording_prints_comes_before_the_hook_lines(tmp_path):
    """Warnings and git's messages the helper's recording writes to stderr reach the user as the
    post-commit hook would have shown them (run in a process of its own, as the helper is)."""
    script = (
        "import os, sys, warnings\n"
        "from pathlib import Path\n"
        "from gx.hooks import commit_helper\n"
        "def record():\n"
        "    warnings.warn('run abc is unreadable', UserWarning)\n"
        "    os.write(2, b'error: from a child process\\n')\n"
        "    return ['gx: logged commit abc as run 123']\n"
        f"sys.stdout.write(commit_helper.captured(Path({str(tmp_path)!r}), record).decode())\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "UserWarning: run abc is unreadable" in proc.stdout and "error: from a child process" in proc.stdout
    assert proc.stdout.endswith("gx: logged commit abc as run 123\n") and proc.stderr == ""
