"""Issue 8, 'Secrets': values that are secret by their shape or by where they come from (not by an
argument name gx knows) must not reach any git object; and the internal-error log is private.

Today's coverage (tests/test_cli_run.py) is by name only: ``--token X``, ``--password=X``,
``-p api_key=X``, the value of a secret-named env var in the output. Every test here scans every
object of the repository with ``all_object_contents``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from conftest import all_object_contents, gx_subprocess
from untrusted_lost_support import run_commits

ECHO_ARGV = """
import sys
print("argv:", sys.argv[1:], flush=True)
print("argv:", sys.argv[1:], file=sys.stderr, flush=True)
"""

#: name -> (arguments after the script name, the secret value that must not be stored, extra env)
ARGV_FORMS = {
    "url-password": (["https://user:hunter2pwURL@git.example/team/repo.git"], "hunter2pwURL", {}),
    "authorization-header": (["-H", "Authorization: Bearer sekr3tTOKENhdr"], "sekr3tTOKENhdr", {}),
    "cookie-header": (["--header=Cookie: session=abc123secretCK"], "abc123secretCK", {}),
    "short-k-flag": (["-k", "sekr3tKflag"], "sekr3tKflag", {}),
    "curl-user": (["-u", "ada:sekr3tUSERpw"], "sekr3tUSERpw", {}),
    "proxy-authorization": (["--header", "Proxy-Authorization: Basic c2VrcjN0UFJPWFk="], "c2VrcjN0UFJPWFk=", {}),
    "passphrase": (["--passphrase", "sekr3tPASSPHRASE"], "sekr3tPASSPHRASE", {}),
    "hf-auth": (["--hf-auth", "sekr3tHFauth"], "sekr3tHFauth", {}),
    "env-secret-value": (["--db-conn", "tok123secretENVARG"], "tok123secretENVARG",
                         {"MY_API_TOKEN": "tok123secretENVARG"}),
}


@pytest.mark.parametrize("form", sorted(ARGV_FORMS))
def test_secret_in_argv_is_not_stored(repo, form):
    """Finding 'redaction matches argument names only: URL passwords, Authorization: headers, short
    flags (-k), --passphrase, --hf-auth ... land in run.yaml and stdout.txt' (and the value of a
    secret-named env var given on the command line): the script's argv, which it also prints on
    stdout and stderr, reaches no git object. `--api-key=...` rides along in every case (already
    masked today)."""
    args, secret, env = ARGV_FORMS[form]
    repo.write("train.py", ECHO_ARGV)
    proc = gx_subprocess("run", "-e", "sec", "train.py", *args, "--api-key=sekr3tAPIKEYeq", cwd=repo.path,
                         env=env, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    assert secret.encode() in proc.stdout  # the terminal sees the output unchanged
    assert len(run_commits(repo.path, "sec")) == 1
    blob = all_object_contents(repo)
    assert b"sekr3tAPIKEYeq" not in blob
    assert secret.encode() not in blob, f"{secret!r} ({form}) is stored in the repository"


def test_short_p_flag_value_is_kept(repo):
    """`-p` is not a secret flag: it is a port to ssh, psql, docker, redis-cli and many scripts, and
    mysql's password form is attached (`-pSECRET`; `-p NAME` prompts and NAME is a database). So the
    script's `-p 8080` is recorded as given, while `-k`, named options and secret shapes are masked."""
    repo.write("train.py", "print('ok')\n")
    proc = gx_subprocess("run", "-e", "sec", "train.py", "-p", "8080", "-k", "sekr3tK", cwd=repo.path, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    [(commit, _)] = run_commits(repo.path, "sec")
    run_yaml = repo.git("show", f"{commit}:run.yaml")
    assert "- -p\n- '8080'\n- -k\n- '***'\n" in run_yaml, run_yaml


def test_env_secret_value_in_a_param_is_not_stored(repo):
    """Finding 'values of secret-named environment variables wherever they appear (command,
    params, ...)': a param whose value equals $MY_API_TOKEN is masked, whatever the param's name."""
    repo.write("train.py", "print('ok')\n")
    proc = gx_subprocess("run", "-e", "sec", "-p", "conn=tok123secretPARAM", "train.py", cwd=repo.path,
                         env={"MY_API_TOKEN": "tok123secretPARAM"}, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(run_commits(repo.path, "sec")) == 1
    assert b"tok123secretPARAM" not in all_object_contents(repo), "a param equal to $MY_API_TOKEN is stored"


def test_secrets_printed_by_the_script_are_not_stored(repo):
    """Finding '`DATABASE_URL`-style values printed by the script land in stdout.txt': a URL with a
    password printed on stdout and stderr is masked in the stored output tails (the value of a
    secret-named env var printed on stderr, masked today, is checked alongside)."""
    repo.write("train.py", """
import os, sys
print("DATABASE_URL=postgres://u:pw123secretDB@db.internal/x", flush=True)
print("connecting to postgres://u:pw123secretDB@db.internal/x", file=sys.stderr, flush=True)
print("token", os.environ["MY_API_TOKEN"], file=sys.stderr, flush=True)
""")
    proc = gx_subprocess("run", "-e", "sec", "train.py", cwd=repo.path, env={"MY_API_TOKEN": "tok123secretOUT"},
                         timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"pw123secretDB" in proc.stdout and b"tok123secretOUT" in proc.stderr  # terminal unchanged
    assert len(run_commits(repo.path, "sec")) == 1
    blob = all_object_contents(repo)
    assert b"tok123secretOUT" not in blob
    assert b"pw123secretDB" not in blob, "a password inside a URL printed by the script is stored"


def _existing_paths(text: str, cwd: Path) -> list[Path]:
    found = []
    for token in re.findall(r"[^\s'\"()]+", text):
        token = token.rstrip(".,;:")
        if "/" not in token and not token.endswith(".log"):
            continue
        p = Path(token) if os.path.isabs(token) else cwd / token
        if p.is_file():
            found.append(p.resolve())
    return found


def test_internal_error_log_is_private_and_redacted(repo, tmp_path):
    """Finding 'the internal-error log writes the raw argv to a world-readable file in /tmp': an
    internal error (provoked by an environment where dulwich fails to import, so `gx push` crashes)
    exits 3 and names a log that is under .git/gx/, readable by the user only (no group/other
    bits), and free of the URL password given on the command line."""
    shadow = tmp_path / "shadow"
    (shadow / "dulwich").mkdir(parents=True)
    (shadow / "dulwich" / "__init__.py").write_text("raise RuntimeError('simulated crash inside gx')\n")
    pythonpath = os.pathsep.join([str(shadow), *filter(None, [os.environ.get("PYTHONPATH")])])
    secret = "sekr3tPUSHpw"
    proc = gx_subprocess("push", f"https://ada:{secret}@127.0.0.1:9/team.git", cwd=repo.path,
                         env={"PYTHONPATH": pythonpath}, timeout=30)
    err = proc.stderr.decode()
    assert proc.returncode == 3, f"could not provoke an internal error (exit {proc.returncode}): {err!r}"
    logs = _existing_paths(err, repo.path)
    assert logs, f"stderr names no log file that exists: {err!r}"
    log = logs[0]
    problems = []
    gx_dir = (repo.path / ".git" / "gx").resolve()
    if gx_dir not in log.parents:
        problems.append(f"the log is at {log}, not under {gx_dir}")
    mode = stat.S_IMODE(log.stat().st_mode)
    if mode & 0o077:
        problems.append(f"the log is readable by others: mode {oct(mode)}")
    if secret.encode() in log.read_bytes():
        problems.append("the log holds the password from the command line")
    if gx_dir not in log.parents:
        log.unlink()  # do not leave the test's secret in a shared directory
    assert not problems, "\n".join(problems)
