"""Entry points from gx.yaml and MLflow MLproject files: typed parameters, defaults, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import gx

SCRIPT = "import sys, gx\ngx.log_metric('alpha_seen', float(sys.argv[2]))\nprint(' '.join(sys.argv[1:]))\n"
MLPROJECT = """name: tutorial
conda_env: conda.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      epochs: {type: int, default: 3}
      data: path
    command: "python train.py --alpha {alpha} --epochs {epochs} {data}"
"""


def _gx(repo, *args):
    return subprocess.run([sys.executable, "-m", "gx", *args], cwd=repo.path, capture_output=True, text=True, timeout=120)


def test_mlproject_entry_point_as_it_is(repo):
    repo.write("MLproject", MLPROJECT)
    repo.write("train.py", SCRIPT)
    proc = _gx(repo, "run", "main", "-P", "data=my data.csv", "-P", "alpha=0.7")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "--alpha 0.7 --epochs 3 my data.csv"
    assert "conda env: gx does not manage environments" in proc.stderr
    [run] = gx.list_runs()
    assert run.params == {"alpha": 0.7, "epochs": 3, "data": "my data.csv"} and run.metrics == {"alpha_seen": 0.7}


def test_gx_yaml_entry_points_and_errors(repo):
    repo.write("gx.yaml", "entry_points:\n  train:\n    parameters:\n      alpha: {type: float, default: 0.1}\n"
                          "    command: python train.py --alpha {alpha}\n")
    repo.write("train.py", SCRIPT)
    assert _gx(repo, "run", "train").returncode == 0
    assert gx.list_runs()[0].metrics == {"alpha_seen": 0.1}
    for args, message in ((["-P", "alpha=abc"], "parameter 'alpha' must be a float, got 'abc'"),
                          (["alpha=1"], "takes parameters as -P KEY=VALUE")):
        proc = _gx(repo, "run", "train", *args)
        assert proc.returncode == 1 and message in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    repo.write("MLproject", MLPROJECT)
    missing = _gx(repo, "run", "main")
    assert missing.returncode == 1 and "needs parameter 'data'" in missing.stderr
