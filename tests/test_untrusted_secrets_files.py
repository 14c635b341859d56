"""Issue 8, 'Secrets' in files: the dirty-tree snapshot (source.patch and the snapshot commit) and
artifacts that are symlinks out of the repository (``~/.ssh/id_rsa``).

Every test scans every object of the repository with ``all_object_contents``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import gx
from conftest import all_object_contents, gx_subprocess
from untrusted_lost_support import run_commits

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYt3SECRETKEY"
ENV_TOKEN = "tok123secretWORKTREE"

#: name -> (tracked file, its committed text, its dirty text, secret value, extra env)
DIRTY = {
    "aws-key-assignment": ("deploy.env", "REGION=eu-west-1\n",
                           f"REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n", AWS_SECRET, {}),
    "env-secret-value": ("settings.py", "DB_HOST = 'db'\n",
                         f"DB_HOST = 'db'\nDB_CONN = '{ENV_TOKEN}'\n", ENV_TOKEN, {"MY_API_TOKEN": ENV_TOKEN}),
}


@pytest.mark.parametrize("case", sorted(DIRTY))
def test_secret_in_dirty_tree_is_not_in_snapshot(repo, case):
    """Finding 'a secret the user has in the working tree stays in source.patch and the snapshot
    commit, both pushed': a tracked file modified to hold `AWS_SECRET_ACCESS_KEY=...`, or the value of
    a secret-named env var, is snapshotted by `gx run` without that value (in any object)."""
    name, committed, dirty, secret, env = DIRTY[case]
    repo.write(name, committed)
    repo.write("train.py", "print('training')\n")
    repo.git("add", name, "train.py")
    repo.git("commit", "-q", "-m", "code")
    repo.write(name, dirty)
    assert secret.encode() not in all_object_contents(repo)  # only in the working tree so far
    proc = gx_subprocess("run", "-e", "snap", "train.py", cwd=repo.path, env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    [(commit, _)] = run_commits(repo.path, "snap")
    assert "dirty: true" in repo.git("show", f"{commit}:run.yaml")  # the snapshot was taken
    assert secret.encode() not in all_object_contents(repo), f"the {case} secret is in the snapshot or patch"


KEY_MATERIAL = "FAKE-PRIVATE-KEY-MATERIAL-t3-0123456789abcdef"


@pytest.fixture
def ssh_key() -> Path:
    """A fake private key in the test's HOME (conftest points HOME at a temporary directory)."""
    ssh = Path(os.environ["HOME"]) / ".ssh"
    ssh.mkdir(exist_ok=True)
    key = ssh / "id_rsa"
    key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_MATERIAL}\n-----END OPENSSH PRIVATE KEY-----\n")
    key.chmod(0o600)
    return key


def _assert_key_not_stored(repo, refused: str | None) -> None:
    assert len(run_commits(repo.path, "art")) == 1
    assert KEY_MATERIAL.encode() not in all_object_contents(repo), "the private key's content is stored"
    if refused is not None:
        assert "link" in refused.lower() or "outside" in refused.lower(), refused


def test_log_artifact_of_symlink_out_of_repo_does_not_store_target(repo, ssh_key):
    """Finding '`log_artifact` of a symlink to ~/.ssh/id_rsa stores the key': the link is stored as a
    link, or gx.GxError says why it is refused; either way the key's bytes are in no object."""
    link = repo.path / "model.ckpt"
    link.symlink_to(ssh_key)
    refused = None
    with gx.start_run(experiment="art", run_name="a"):
        gx.log_metric("loss", 1.0)
        try:
            gx.log_artifact(str(link))
        except gx.GxError as exc:
            refused = str(exc)
    _assert_key_not_stored(repo, refused)


def test_log_artifacts_of_dir_with_symlink_out_of_repo_does_not_store_target(repo, ssh_key):
    """Same finding for `gx.log_artifacts(dir)`: a directory holding a relative symlink to the key
    beside an ordinary file."""
    out = repo.path / "outputs"
    out.mkdir()
    (out / "metrics.txt").write_text("rmse 0.5\n")
    (out / "id_rsa").symlink_to(os.path.relpath(ssh_key, out))
    refused = None
    with gx.start_run(experiment="art", run_name="a"):
        gx.log_metric("loss", 1.0)
        try:
            gx.log_artifacts(str(out), artifact_path="outputs")
        except gx.GxError as exc:
            refused = str(exc)
    _assert_key_not_stored(repo, refused)
