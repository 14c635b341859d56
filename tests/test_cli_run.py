"""``gx run`` through the real entry point in a child process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import gx.query.runs
from conftest import all_object_contents, gx_subprocess


def only_run():
    [run] = gx.query.runs.list_runs()
    return gx.query.runs.get_record(run.run_id)


def test_script_logs_into_the_same_run_without_dulwich(repo):
    repo.write("train.py", """
import sys, gx
with gx.start_run(run_name='inner-name'):
    gx.log_param('lr', 0.01)
    gx.log_metric('loss', 0.5)
    gx.log_metric('loss', 0.25)
    print('params', sorted(gx.params().items()))
print('heavy', [m for m in ('dulwich', 'pandas', 'matplotlib') if m in sys.modules])
""")
    proc = gx_subprocess("run", "-p", "alpha=0.1", "-p", "name=abc", "-t", "who=ada", "train.py", "--flag", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "heavy []" in out
    assert "('alpha', 0.1)" in out and "('lr', 0.01)" in out
    rec = only_run()
    assert rec.status == "FINISHED" and rec.exit_code == 0
    assert rec.name == "inner-name"
    assert rec.params == {"alpha": 0.1, "name": "abc", "lr": 0.01}
    assert [p.value for p in rec.metrics["loss"]] == [0.5, 0.25]
    assert rec.tags == {"who": "ada"}
    assert rec.command[1:] == ["train.py", "--flag"]
    assert "heavy []" in rec.stdout_tail.decode()
    assert any(p.startswith("dulwich==") for p in rec.packages)
    assert rec.python and rec.host and rec.platform and rec.gx_version
    assert rec.source["commit"] == repo.git("rev-parse", "HEAD").strip()
    assert "gx: recorded run" in proc.stderr.decode()
    repo.fsck()


def test_exit_code_and_failure(repo):
    repo.write("fail.py", "import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)\n")
    proc = gx_subprocess("run", "fail.py", cwd=repo.path)
    assert proc.returncode == 3
    rec = only_run()
    assert rec.status == "FAILED" and rec.exit_code == 3
    assert b"oops" in rec.stderr_tail


def test_any_command_after_double_dash(repo):
    proc = gx_subprocess("run", "-n", "echo", "--", "sh", "-c", "echo hi; exit 0", cwd=repo.path)
    assert proc.returncode == 0 and proc.stdout == b"hi\n"
    rec = only_run()
    assert rec.command == ["sh", "-c", "echo hi; exit 0"] and rec.stdout_tail == b"hi\n"


def test_params_file_and_metrics_file(repo):
    repo.write("params.yaml", "model:\n  lr: 0.01\n  layers: 3\nopt: adam\n")
    repo.write("train.py", "import json\njson.dump({'val': {'acc': 0.9, 'loss': '0.1'}, 'note': 'x'}, open('m.json', 'w'))\n")
    proc = gx_subprocess("run", "--params-file", "params.yaml", "-p", "opt=sgd", "--metrics-file", "m.json",
                         "train.py", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "metric 'note' in m.json is not a number" in proc.stderr.decode()
    rec = only_run()
    assert rec.params == {"model.lr": 0.01, "model.layers": 3, "opt": "sgd"}
    assert rec.latest_metrics() == {"val.acc": 0.9, "val.loss": 0.1}


def test_bad_input_is_one_line_and_writes_nothing(repo):
    repo.write("bad.yaml", "a: [1, 2\n")
    cases = [
        (["run", "missing.py"], "script 'missing.py' not found"),
        (["run", "--params-file", "nope.yaml", "--", "true"], "params file 'nope.yaml' not found"),
        (["run", "--params-file", "bad.yaml", "--", "true"], "is not valid YAML"),
        (["run", "-e", "bell\x07", "--", "true"], "bad experiment name"),
        (["run", "-p", "novalue", "--", "true"], "write it as KEY=VALUE"),
        (["run", "--", "no-such-command-xyz"], "not found on PATH"),
    ]
    for args, message in cases:
        proc = gx_subprocess(*args, cwd=repo.path)
        err = proc.stderr.decode()
        assert proc.returncode == 1, (args, err)
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, (args, err)
    assert repo.git("for-each-ref", "refs/experiments") == ""
    assert not list((repo.path / ".git" / "gx" / "runs").glob("*")) if (repo.path / ".git/gx/runs").exists() else True


def test_secrets_never_reach_the_store(repo):
    repo.write("train.py", """
import os, sys, gx
print('token is', os.environ['MY_API_TOKEN'])
print('arg', sys.argv[2])
print('pw', sys.argv[3])
gx.log_param('db_password', 'hunter2hunter2')
""")
    env = {"MY_API_TOKEN": "tok-SECRET-123456"}
    proc = gx_subprocess("run", "-p", "api_key=key-SECRET-777", "train.py", "--token", "arg-SECRET-999",
                         "--password=pw-SECRET-555", cwd=repo.path, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"tok-SECRET-123456" in proc.stdout  # output streams unchanged to the terminal
    rec = only_run()
    assert rec.command[1:] == ["train.py", "--token", "***", "--password=***"]
    assert rec.params["api_key"] == "***" and rec.params["db_password"] == "***"
    assert not rec.env or "MY_API_TOKEN" not in rec.env
    blob = all_object_contents(repo)
    for secret in (b"tok-SECRET-123456", b"key-SECRET-777", b"arg-SECRET-999", b"pw-SECRET-555", b"hunter2hunter2"):
        assert secret not in blob, secret
    assert b"***" in rec.stdout_tail


def test_sigint_is_forwarded_and_recorded_as_killed(repo):
    repo.write("slow.py", """
import time, gx
gx.log_metric('progress', 1.0)
print('ready', flush=True)
time.sleep(60)
""")
    # gx starts with the default SIGINT handler whatever pytest was started with (nohup, &), and
    # the whole group is killed if the interrupt goes unheard: the test fails instead of hanging
    proc = subprocess.Popen([sys.executable, "-m", "gx", "run", "slow.py"], cwd=repo.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(0.7)  # let the journal flush
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err.decode()
    rec = only_run()
    assert rec.status == "KILLED"
    assert rec.latest_metrics() == {"progress": 1.0}


def test_child_killed_by_signal(repo):
    repo.write("die.py", "import os, signal, gx\ngx.log_metric('a', 1)\nimport time; time.sleep(1.1)\nos.kill(os.getpid(), signal.SIGKILL)\n")
    proc = gx_subprocess("run", "die.py", cwd=repo.path)
    assert proc.returncode == 128 + signal.SIGKILL
    rec = only_run()
    assert rec.status == "KILLED" and rec.signal == "SIGKILL"
    assert rec.latest_metrics() == {"a": 1.0}


def test_experiment_from_env_and_flag(repo):
    gx_subprocess("run", "--", "true", cwd=repo.path, env={"GX_EXPERIMENT": "from-env"})
    gx_subprocess("run", "-e", "team/flag", "--", "true", cwd=repo.path)
    names = [e.name for e in gx.query.runs.list_experiments()]
    assert names == ["from-env", "team/flag"]
    assert json.loads(repo.git("show", "refs/experiments/team/flag:run.yaml").replace("'", '"').split("\n")[0].split(": ")[1]) == 1
    os.environ.pop("GX_EXPERIMENT", None)


WATCHER = """
import sys, time
maps, seen = "/proc/%d/maps" % int(sys.argv[1]), set()
while True:
    try:
        with open(maps) as fh:
            text = fh.read()
    except OSError:
        break
    seen.update(lib for lib in ("/dulwich/_pack", "/yaml/_yaml") if lib in text)
    time.sleep(0.002)
open(sys.argv[2], "w").write(" ".join(sorted(seen)))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads the parent's mapped libraries from /proc")
def test_the_recording_code_loads_while_the_script_runs_and_pyyaml_never(repo, tmp_path):
    """``gx run`` imports what recording needs (dulwich's pack writer among it) while the command
    runs: after the command, only the commit is left. And it writes the run's YAML files without
    loading PyYAML (``gx.yamlwrite``). A watcher the script starts reads gx's mapped libraries until
    gx is gone."""
    yaml = pytest.importorskip("yaml")
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml maps no library of its own to watch for")
    seen = tmp_path / "seen"
    (tmp_path / "watcher.py").write_text(WATCHER)
    repo.write("train.py", f"""
import os, subprocess, sys, time
subprocess.Popen([sys.executable, {str(tmp_path / "watcher.py")!r}, str(os.getppid()), {str(seen)!r}],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)  # not holding gx's pipes open
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    with open(f"/proc/{{os.getppid()}}/maps") as fh:
        if "/dulwich/_pack" in fh.read():
            print("recording code loaded while the script ran")
            break
    time.sleep(0.01)
""")
    proc = gx_subprocess("run", "train.py", cwd=repo.path, env={"GX_YAML_CHECK": "0"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert "recording code loaded while the script ran" in proc.stdout.decode()
    assert only_run().status == "FINISHED"
    deadline = time.monotonic() + 10
    while not seen.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen.read_text() == "/dulwich/_pack"  # and never libyaml, to the end of gx
