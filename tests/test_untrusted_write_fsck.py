"""Issue 8: every object gx writes passes `git fsck --strict`, so a server with receive.fsckObjects
(GitHub) accepts the push. A value or an artifact name git would flag (nulInCommit, hasDotgit,
gitmodulesUrl) is refused at the call with a GxError, or written so that fsck stays clean."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gx
from conftest import gx_subprocess
from untrusted_write_helpers import assert_pushes_to_strict_remote, install_hooks, run_commits

BAD_GITMODULES = '[submodule "x"]\n\tpath = x\n\turl = -bad\n'
ZWNJ = "\u200c"  # ignored by HFS+: '.g\u200cit' is '.git' on a Mac

# names git fsck flags although they do not start with '.git' (NTFS short names, HFS+ ignorables)
DOTGIT_LOOKALIKES = ["git~1", "GIT~1", "Git~1", "git~1.", f".g{ZWNJ}it", f".G{ZWNJ}IT"]
# .gitmodules lookalikes: fsck parses their content as .gitmodules and refuses the '-bad' url
GITMODULES_LOOKALIKES = ["GITMOD~1", "gitmod~1", "gi7eba~1", f".g{ZWNJ}itmodules"]


def settle(repo, tmp_path, action) -> BaseException | None:
    """Run ``action`` inside a run; afterwards the store must be fsck-clean and pushable to a strict
    remote, and other commands must work. Returns the GxError if the call was refused."""
    refused = None
    try:
        with gx.start_run(run_name="r"):
            gx.log_metric("m", 1.0)
            action()
    except gx.GxError as exc:
        refused = exc
    repo.fsck()
    assert_pushes_to_strict_remote(repo, tmp_path)
    proc = gx_subprocess("ls", cwd=repo.path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[:600]
    return refused


def write_file(tmp_path, name: str, content: str):
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


# -- NUL in what goes into a commit message ----------------------------------------------------------

@pytest.mark.parametrize("case", ["run-name", "string-param", "param-in-log_params"])
def test_nul_in_a_run_name_or_string_param_never_reaches_a_commit_message(repo, tmp_path, case):
    """Finding: NUL in a run name or a string param goes into the run commit's subject
    (fsck: nulInCommit); every later push to a receive.fsckObjects server is refused."""
    gx.set_experiment("nul")
    refused = None
    try:
        if case == "run-name":
            with gx.start_run(run_name="a\x00b"):
                gx.log_metric("m", 1.0)
        else:
            with gx.start_run(run_name="r"):
                if case == "string-param":
                    gx.log_param("k", "a\x00b")
                else:
                    gx.log_params({"k": "a\x00b"})
    except gx.GxError as exc:
        refused = exc
        assert "name" in str(exc) or "'k'" in str(exc), str(exc)
    repo.fsck()
    assert_pushes_to_strict_remote(repo, tmp_path)
    if refused is None:
        assert len(run_commits(repo, "refs/experiments/nul")) == 1


def test_nul_in_a_params_file_of_gx_run_never_reaches_a_commit_message(repo, tmp_path):
    """Finding: a params file with "a\\0b" (a YAML escape) gives a param with NUL: nulInCommit."""
    repo.write("params.yaml", 'k: "a\\0b"\n')
    proc = gx_subprocess("run", "-e", "nul", "--params-file", "params.yaml", "--", "true", cwd=repo.path, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr.decode()[:600]
    if proc.returncode == 1:
        assert proc.stderr.decode().startswith("gx: error: ") and "params.yaml" in proc.stderr.decode()
    repo.fsck()
    assert_pushes_to_strict_remote(repo, tmp_path)


def test_nul_in_a_declared_params_file_of_the_commit_hook_never_reaches_a_commit_message(repo, tmp_path):
    """Finding: the same through the commit hook's declared params file (gx.yaml autolog.params)."""
    repo.write("gx.yaml", "autolog:\n  params: [params.yaml]\n")
    repo.write("params.yaml", 'k: "a\\0b"\n')
    install_hooks(repo)
    repo.git("add", "-A")
    proc = subprocess.run(["git", "commit", "-qm", "nul param"], cwd=repo.path, capture_output=True, timeout=60)
    if proc.returncode != 0:  # refused by the pre-commit check: one clear line naming the file
        assert b"gx: error: " in proc.stderr and b"params.yaml" in proc.stderr, proc.stderr.decode()[:600]
    repo.fsck()
    assert_pushes_to_strict_remote(repo, tmp_path)


# -- artifact names git flags -------------------------------------------------------------------------

@pytest.mark.parametrize("name", DOTGIT_LOOKALIKES)
def test_log_artifact_of_a_file_named_like_dotgit(repo, tmp_path, name):
    """Finding: artifacts named git~1, GIT~1 or .g\\u200cit go into trees (fsck: hasDotgit)."""
    src = write_file(tmp_path, name, "payload\n")
    refused = settle(repo, tmp_path, lambda: gx.log_artifact(str(src)))
    if refused is not None:
        assert "artifact" in str(refused), str(refused)


@pytest.mark.parametrize("folder", ["git~1", "GIT~1", f".g{ZWNJ}it", "plots/git~1"])
def test_log_artifact_into_an_artifact_path_named_like_dotgit(repo, tmp_path, folder):
    """Finding: log_artifact(path, artifact_path='git~1') puts a hasDotgit entry into the tree."""
    src = write_file(tmp_path, "report.txt", "payload\n")
    refused = settle(repo, tmp_path, lambda: gx.log_artifact(str(src), artifact_path=folder))
    if refused is not None:
        assert "artifact" in str(refused), str(refused)


@pytest.mark.parametrize("name", GITMODULES_LOOKALIKES)
def test_log_artifact_of_a_gitmodules_lookalike_with_a_bad_url(repo, tmp_path, name):
    """Finding: a .gitmodules lookalike (NTFS short name, HFS+ ignorable) holding `url = -bad` is
    stored as an artifact; fsck reads it as .gitmodules (gitmodulesUrl)."""
    src = write_file(tmp_path, name, BAD_GITMODULES)
    refused = settle(repo, tmp_path, lambda: gx.log_artifact(str(src)))
    if refused is not None:
        assert "artifact" in str(refused), str(refused)


@pytest.mark.parametrize("entry", ["git~1/config", f".g{ZWNJ}it/HEAD", "deep/GIT~1/x", "GITMOD~1"])
def test_log_artifacts_of_a_folder_holding_a_dotgit_lookalike(repo, tmp_path, entry):
    """Finding: the same names reached through log_artifacts(dir)."""
    folder = tmp_path / "out"
    (folder / "ok.txt").parent.mkdir(parents=True)
    (folder / "ok.txt").write_text("fine\n")
    target = folder / entry
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BAD_GITMODULES if entry.endswith("GITMOD~1") else "payload\n")
    refused = settle(repo, tmp_path, lambda: gx.log_artifacts(str(folder)))
    if refused is not None:
        assert "artifact" in str(refused), str(refused)


def test_log_text_under_a_dotgit_lookalike_in_a_child_process(repo, tmp_path):
    """Finding, as a user sees it from a script: log_text(..., 'GIT~1/notes.txt') exits 0 and the
    repository then fails fsck; it must be a GxError in the script or an fsck-clean run."""
    script = repo.write("log.py", (
        "import gx\n"
        "gx.set_experiment('lookalike')\n"
        "with gx.start_run(run_name='r'):\n"
        "    try:\n"
        "        gx.log_text('x', 'GIT~1/notes.txt')\n"
        "    except gx.GxError as exc:\n"
        "        print('REFUSED', exc)\n"
    ))
    proc = subprocess.run([sys.executable, str(script)], cwd=repo.path, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[:600]
    repo.fsck()
    assert_pushes_to_strict_remote(repo, tmp_path)
