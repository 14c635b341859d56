"""Issue 15: inputs through the journal (a killed run keeps them; a bad journal entry is set aside)
and through the commit hook (gx.yaml's ``autolog: inputs:``)."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time

import gx.query.runs
from conftest import gx_subprocess
from gx.hooks.manage import install

SCRIPT = """
import time, gx, pandas as pd
with gx.start_run(run_name='doomed'):
    gx.log_input(gx.data.from_pandas(pd.DataFrame({'a': [1, 2]}), name='train'), context='training')
    print('logged', flush=True)
    time.sleep(60)
"""


def test_a_killed_run_keeps_its_inputs(repo):
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=repo.path, stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"logged\n"
    time.sleep(1.2)  # the journal is flushed within a second
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert gx_subprocess("ls", cwd=repo.path).returncode == 0
    [run] = gx.query.runs.list_runs()
    assert run.status == "KILLED"
    assert [(i.name, i.context) for i in run.inputs] == [("train", "training")]
    repo.fsck()


def test_gx_run_records_its_files_and_the_scripts_datasets_in_one_run(repo):
    repo.write("data/train.csv", "a\n1\n2\n")
    repo.write("train.py", "import gx, pandas as pd\n"
                           "df = pd.read_csv('data/train.csv')\n"
                           "gx.log_input(gx.data.from_pandas(df, source='data/train.csv', name='train'), context='training')\n")
    proc = gx_subprocess("run", "--input", "data/train.csv", "train.py", cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    [run] = gx.query.runs.list_runs()
    assert [(i.name, i.context, i.file is not None) for i in run.inputs] == [
        ("train.csv", None, True), ("train", "training", False)]
    repo.fsck()


def test_a_bad_input_entry_in_a_journal_is_left_out_and_set_aside(repo):
    import gx

    with gx.start_run() as run:
        gx.log_metric("m", 1.0)
        live = gx.tracking.fluent._stack[-1]
        live.writer.append(("i", {"name": "x", "digest": "d" * 65, "source_type": "local"}))
    stderr = subprocess.run([sys.executable, "-m", "gx", "ls"], cwd=repo.path, capture_output=True, text=True).stderr
    rec = gx.query.runs.get_record(run.info.run_id)
    assert rec.inputs == [] and rec.latest_metrics() == {"m": 1.0}
    lost = list((repo.path / ".git" / "gx" / "lost").iterdir())
    assert len(lost) == 1 and "digest" in (lost[0] / "REASONS.txt").read_text()
    assert "Traceback" not in stderr


def test_commit_hook_records_declared_inputs(repo):
    repo.write("gx.yaml", "autolog:\n  experiment: commits\n  metrics: [metrics.json]\n  inputs: ['data/*.csv']\n")
    repo.write("metrics.json", json.dumps({"rmse": 0.5}))
    repo.write(".gitignore", "data/\n")  # data lives outside git, as with DVC
    repo.write("data/train.csv", "a\n1\n")
    install(["pre-commit", "post-commit"])
    repo.git("add", "-A")
    proc = subprocess.run(["git", "commit", "-qm", "v1"], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [run] = gx.query.runs.list_runs(["commits"])
    [inp] = run.inputs
    assert (inp.file.path, inp.file.sha256) == ("data/train.csv", hashlib.sha256(b"a\n1\n").hexdigest())

    (repo.path / "data" / "train.csv").unlink()  # a declared input that is gone stops the commit
    repo.write("metrics.json", json.dumps({"rmse": 0.4}))
    repo.git("add", "-A")
    proc = subprocess.run(["git", "commit", "-qm", "v2"], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "autolog.inputs: input 'data/*.csv' matches no file" in proc.stderr
    repo.fsck()
