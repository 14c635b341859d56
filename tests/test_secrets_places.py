"""Where the secret rules apply beyond the issue's findings: staged changes in the snapshot, code the
snapshot must keep byte for byte, artifact links inside the repository, values logged through the
Python API, and the internal-error log when .git/gx cannot hold it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import gx
from conftest import all_object_contents, gx_subprocess
from untrusted_lost_support import run_commits


def _snapshot(repo, experiment: str) -> str:
    [(commit, _)] = run_commits(repo.path, experiment)
    [line] = [x for x in repo.git("show", f"{commit}:run.yaml").splitlines() if x.strip().startswith("snapshot:")]
    return line.split()[-1]


def test_staged_secret_is_masked_in_snapshot_and_patch(repo):
    """A secret staged with `git add` but not committed is already a blob (git wrote it), but the
    snapshot commit, which is pushed with the run, must not reference it."""
    repo.write("deploy.env", "REGION=eu\n")
    repo.git("add", "deploy.env")
    repo.git("commit", "-q", "-m", "env")
    repo.write("deploy.env", "REGION=eu\nAPI_TOKEN=abcdefSTAGED123\n")
    repo.git("add", "deploy.env")
    with gx.start_run(experiment="snap"):
        gx.log_metric("m", 1.0)
    snapshot = _snapshot(repo, "snap")
    assert repo.git("show", f"{snapshot}:deploy.env") == "REGION=eu\nAPI_TOKEN=***\n"
    [(commit, _)] = run_commits(repo.path, "snap")
    patch = repo.git("show", f"{commit}:source.patch")
    assert "+API_TOKEN=***" in patch and "abcdefSTAGED123" not in patch
    repo.fsck()


ORDINARY_CODE = """import os
api_key = api_key
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
login(user, password=password)
tokenizer.pad_token = "[PAD]"
max_tokens = 512
url = f"https://{user}:{pw}@host/x"
headers = {"Authorization": f"Bearer {token}"}
"""


def test_snapshot_keeps_ordinary_code_byte_for_byte(repo, monkeypatch):
    """Masking the snapshot must not mangle code that merely mentions secrets."""
    monkeypatch.setenv("MY_API_TOKEN", "tok123secretNOTINCODE")
    repo.write("train.py", "x = 1\n")
    repo.git("add", "train.py")
    repo.git("commit", "-q", "-m", "code")
    repo.write("train.py", ORDINARY_CODE)
    with gx.start_run(experiment="snap"):
        gx.log_metric("m", 1.0)
    assert repo.git("show", f"{_snapshot(repo, 'snap')}:train.py") == ORDINARY_CODE


def test_private_key_and_env_value_in_snapshot_are_masked(repo, monkeypatch):
    monkeypatch.setenv("MY_API_TOKEN", "tok123secretCODE")
    repo.write("keys.py", "x = 1\n")
    repo.git("add", "keys.py")
    repo.git("commit", "-q", "-m", "code")
    repo.write("keys.py", "x = 1\nconn = 'tok123secretCODE'\nKEY = '''-----BEGIN EC PRIVATE KEY-----\n"
                          "MHcCAQEEIKEYMATERIAL\n-----END EC PRIVATE KEY-----'''\n")
    with gx.start_run(experiment="snap"):
        gx.log_metric("m", 1.0)
    text = repo.git("show", f"{_snapshot(repo, 'snap')}:keys.py")
    assert text == ("x = 1\nconn = '***'\nKEY = '''-----BEGIN EC PRIVATE KEY-----\n***\n"
                    "-----END EC PRIVATE KEY-----'''\n")
    blob = all_object_contents(repo)
    assert b"tok123secretCODE" not in blob and b"KEYMATERIAL" not in blob


def test_params_tags_and_name_logged_from_python_are_masked(repo, monkeypatch):
    monkeypatch.setenv("MY_API_TOKEN", "tok123secretAPI")
    with gx.start_run(experiment="api", run_name="run with tok123secretAPI"):
        gx.log_param("db", "postgres://u:pw123secretDB@h/x")
        gx.log_param("conn", "tok123secretAPI")
        gx.set_tag("note", "Authorization: Bearer sekr3tTAGvalue")
    blob = all_object_contents(repo)
    for secret in (b"pw123secretDB", b"tok123secretAPI", b"sekr3tTAGvalue"):
        assert secret not in blob, secret
    [(commit, _)] = run_commits(repo.path, "api")
    assert "db: postgres://u:***@h/x" in repo.git("show", f"{commit}:params.yaml")


def test_link_inside_repository_is_stored_as_a_link(repo):
    (repo.path / "ckpt").mkdir()
    (repo.path / "ckpt" / "epoch3.pt").write_bytes(b"weights")
    (repo.path / "latest.pt").symlink_to("ckpt/epoch3.pt")
    with gx.start_run(experiment="art"):
        gx.log_artifact(str(repo.path / "latest.pt"))
    [(commit, _)] = run_commits(repo.path, "art")
    entry = repo.git("ls-tree", commit, "artifacts/latest.pt").split()
    assert entry[0] == "120000"
    assert repo.git("cat-file", "-p", entry[2]) == "ckpt/epoch3.pt"
    shown = gx_subprocess("show", "art", cwd=repo.path)
    assert b"latest.pt" in shown.stdout, shown.stderr.decode()
    repo.fsck()


def test_log_artifacts_skips_links_out_of_the_repository_with_a_warning(repo, tmp_path, capsys):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("OUTSIDE-CONTENT-xyz\n")
    out = repo.path / "outputs"
    (out / "sub").mkdir(parents=True)
    (out / "report.txt").write_text("rmse 0.5\n")
    (out / "sub" / "far").symlink_to(outside)
    (out / "cfg").symlink_to("../.git/config")
    (out / "linked-dir").symlink_to(tmp_path)
    with gx.start_run(experiment="art"):
        gx.log_artifacts(str(out), artifact_path="o")
    err = capsys.readouterr().err
    assert "outputs/sub/far' is a symbolic link" in err and "outside the repository" in err
    assert "outputs/cfg' is a symbolic link" in err and "inside .git" in err
    assert "outputs/linked-dir' is a symbolic link" in err
    [(commit, _)] = run_commits(repo.path, "art")
    assert repo.git("ls-tree", "-r", "--name-only", commit, "artifacts").split() == ["artifacts/o/report.txt"]
    assert b"OUTSIDE-CONTENT-xyz" not in all_object_contents(repo)


def test_log_artifact_of_link_into_git_dir_is_refused(repo):
    (repo.path / "cfg").symlink_to(".git/config")
    with gx.start_run(experiment="art"), pytest.raises(gx.GxError, match="inside .git"):
        gx.log_artifact(str(repo.path / "cfg"))


def test_internal_error_log_falls_back_to_a_private_temporary_directory(repo, tmp_path):
    """With .git/gx unusable (here a file, not a directory), the log goes to a fresh directory only
    the user can open, still with the command line's secrets masked."""
    (repo.path / ".git" / "gx").write_text("not a directory\n")
    shadow = tmp_path / "shadow"
    (shadow / "dulwich").mkdir(parents=True)
    (shadow / "dulwich" / "__init__.py").write_text("raise RuntimeError('simulated crash inside gx')\n")
    pythonpath = os.pathsep.join([str(shadow), *filter(None, [os.environ.get("PYTHONPATH")])])
    proc = gx_subprocess("push", "https://ada:sekr3tFALLBACK@127.0.0.1:9/x.git", cwd=repo.path,
                         env={"PYTHONPATH": pythonpath}, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    log = Path(err.rsplit("the traceback is in ", 1)[1].strip())
    try:
        assert log.parent.name.startswith("gx-error-"), log
        assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        text = log.read_text()
        assert "sekr3tFALLBACK" not in text and "https://ada:***@127.0.0.1:9/x.git" in text
    finally:  # remove only what gx made: never a shared directory such as /tmp itself
        log.unlink(missing_ok=True)
        if log.parent.name.startswith("gx-error-"):
            log.parent.rmdir()


def test_commit_hook_records_a_committed_link_as_a_link(repo):
    """The commit hook reads artifacts from the commit, never through the working tree's links: a
    declared artifact that is a committed symbolic link (here to a key outside the repository) is
    recorded as the same link."""
    from gx.hooks.manage import install

    key = Path(os.environ["HOME"]) / "id_rsa"
    key.write_text("KEY-MATERIAL-FOR-HOOK-TEST\n")
    install(["pre-commit", "post-commit"])
    repo.write("gx.yaml", "autolog:\n  experiment: commits\n  artifacts: [model.key]\n")
    (repo.path / "model.key").symlink_to(key)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "link")
    [(commit, _)] = run_commits(repo.path, "commits")
    mode, _, sha = repo.git("ls-tree", commit, "artifacts/model.key").split()[:3]
    assert (mode, repo.git("cat-file", "-p", sha)) == ("120000", str(key))
    assert b"KEY-MATERIAL-FOR-HOOK-TEST" not in all_object_contents(repo)
    repo.fsck()
