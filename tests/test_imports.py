"""Start-up stays light: heavy libraries load only on the paths that need them."""

from __future__ import annotations

import subprocess
import sys

from conftest import run_git


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


#: What a push with nothing to reconcile first never needs: the registry's rounds, a fetch's checks,
#: run records, LFS hashing, dulwich's network client.
NOT_FOR_A_PLAIN_PUSH = ("gx.share.registry", "gx.store.tag_remote", "gx.store.incoming", "gx.store.fsckpolicy",
                        "gx.records", "gx.lfs.objects", "dulwich.client", "gx.store.tags")


def test_a_plain_push_loads_only_what_it_uses(clones):
    """``gx push`` of a clone with no registry tags and no LFS store sends its tips in one ``git push``:
    the rest of the sharing code stays unloaded (each module is start-up time every push pays)."""
    import gx

    a, _b, remote, at = clones
    at(a)
    with gx.start_run(experiment="e"):
        gx.log_metric("m", 1)
    code = ("import sys\nfrom gx.cli.main import cli\ncli.main(['push', 'origin'], standalone_mode=False)\n"
            f"print([m for m in {NOT_FOR_A_PLAIN_PUSH!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=a.path)
    assert proc.returncode == 0, proc.stderr
    assert "1 run to origin" in proc.stdout  # it did push
    assert proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr
    assert a.git("rev-parse", "refs/experiments/e") == run_git("rev-parse", "refs/experiments/e", cwd=remote)


def test_every_command_exits_with_its_heap_frozen(repo):
    """The interpreter's last collections skip what a command loaded (``gc.freeze``), whether the
    command returns (``gx ls``), exits itself with its child's status (``gx run``), or fails."""
    repo.write("train.py", "raise SystemExit(3)\n")
    probe = ("import gc, sys\nfrom gx.cli.main import main\nsys.argv = ['gx', *sys.argv[1:]]\n"
             "try:\n    main()\nexcept SystemExit as exc:\n    print('exit', exc.code, 'frozen', gc.get_freeze_count() > 0)")
    for args, code in ((["ls"], 0), (["run", "-q", "train.py"], 3), (["show", "nosuchrun"], 1)):
        proc = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=repo.path)
        assert f"exit {code} frozen True" in proc.stdout, (args, proc.stdout, proc.stderr)
