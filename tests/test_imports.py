"""Start-up stays light: heavy libraries load only on the paths that need them."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(m for m in ('pandas', 'matplotlib', 'dulwich') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_gx_loads_nothing_heavy():
    assert loaded_after("import gx") == set()


def test_help_loads_neither_pandas_nor_matplotlib():
    code = "import sys\nfrom gx.cli.main import cli\ntry:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    assert loaded_after(code) & {"pandas", "matplotlib"} == set()


def test_ls_does_not_load_pandas_or_matplotlib(repo):
    import gx

    with gx.start_run():
        gx.log_metric("m", 1)
    code = "from gx.cli.main import cli\ncli.main(['ls'], standalone_mode=False)"
    proc = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint([m for m in ('pandas','matplotlib') if m in sys.modules])"],
                          capture_output=True, text=True, cwd=repo.path)
    assert proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr
