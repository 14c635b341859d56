"""Issue 8, the small ones from a newcomer's first hour: `gx best` and FAILED runs, `gx ls` columns,
`git push origin main` after `gx remote setup`, and the README as printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import gx
from conftest import gx_subprocess, make_repo, run_git
from gx.errors import BadName

README = Path(__file__).resolve().parent.parent / "README.md"


def record(experiment: str, name: str, status: str = "FINISHED", params: dict | None = None,
           metrics: dict | None = None) -> None:
    gx.start_run(experiment=experiment, run_name=name)
    if params:
        gx.log_params(params)
    for key, value in (metrics or {}).items():
        gx.log_metric(key, value)
    gx.end_run(status)


def test_best_does_not_silently_pick_a_failed_run(repo):
    """Finding '`gx best` picks a FAILED run over a FINISHED one without saying so': with a FAILED
    run holding the lowest rmse, `gx best rmse exp` names the best FINISHED run, or says clearly
    that the winner FAILED."""
    record("exp", "good", metrics={"rmse": 0.7})
    record("exp", "worse", metrics={"rmse": 0.9})
    record("exp", "crashed", status="FAILED", metrics={"rmse": 0.1})
    proc = gx_subprocess("best", "rmse", "exp", cwd=repo.path, timeout=30)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err
    [winner] = re.findall(r"^name\s+(\S+)", out, re.M)
    if winner == "crashed":
        assert "FAILED" in out + err, f"the winner is a FAILED run and nothing says so:\n{out}{err}"
    else:
        assert winner == "good", out


def test_best_status_rule_through_the_index_and_a_scan(repo, monkeypatch):
    """FINISHED runs compete by default, in the index's SQL and in the scan alike; the runs left out
    are counted per status (deleted runs and runs without the metric are not counted)."""
    from gx.query import search
    from gx.query.deletion import delete_run

    record("exp", "good", metrics={"rmse": 0.7})
    record("exp", "crashed", status="FAILED", metrics={"rmse": 0.1})
    record("exp", "stopped", status="KILLED", metrics={"rmse": 0.2})
    record("exp", "no-metric", status="FAILED", metrics={"loss": 1.0})
    record("exp", "gone", status="KILLED", metrics={"rmse": 0.05})
    delete_run(search.search(["exp"], "attributes.run_name = 'gone'")[0].run_id)
    answers = []
    for no_index, flt in (("0", ""), ("1", ""), ("0", "metrics.rmse < 1")):
        monkeypatch.setenv("GX_NO_INDEX", no_index)
        default = search.best("rmse", "min", ["exp"], flt)
        anyone = search.best("rmse", "min", ["exp"], flt, statuses=None)
        answers.append([(b.winner.name, b.considered, b.left_out) for b in (default, anyone)])
    expected = [("good", 1, {"FAILED": 1, "KILLED": 1}), ("crashed", 3, {})]
    assert answers == [expected] * 3


def test_best_when_only_unfinished_runs_have_the_metric(repo):
    """No FINISHED run has the metric: one line saying which runs have it and how to include them."""
    record("exp", "fine", metrics={"loss": 1.0})
    record("exp", "crashed", status="FAILED", metrics={"rmse": 0.1})
    proc = gx_subprocess("best", "rmse", "exp", cwd=repo.path, timeout=30)
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode() == ("gx: error: no FINISHED run has a value for metric 'rmse'; 1 FAILED run has "
                                    "one: include it with --all-statuses\n")
    proc = gx_subprocess("best", "rmse", "exp", "--all-statuses", "--json", cwd=repo.path, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert (data["run"]["name"], data["run"]["status"], data["statuses"], data["left_out"]) == (
        "crashed", "FAILED", None, {})


def test_ls_sort_keeps_the_sort_column_in_a_fitted_table(repo):
    """Finding '`gx ls --sort metrics.rmse` can drop the rmse column from the table': in an 80-column
    terminal, with more params than fit, the column sorted on stays in the table."""
    params = {f"param_{i:02d}": f"value-{i:02d}" for i in range(10)}
    for i, rmse in enumerate([0.5, 0.25, 0.75]):
        record("wide", f"run-{i}", params=params, metrics={"rmse": rmse, "zz_other": 1.0})
    proc = gx_subprocess("ls", "wide", "--sort", "metrics.rmse", cwd=repo.path, env={"COLUMNS": "80"}, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert max(len(line) for line in lines) <= 80, "the table was not fitted to COLUMNS=80"
    header = lines[0].split()
    assert "rmse" in header, f"sorted by metrics.rmse but the column was dropped: {header}"
    assert [line.split()[1] for line in lines[1:]] == ["run-1", "run-0", "run-2"]


def test_ls_keeps_filtered_columns_and_drops_others_in_a_fitted_table(repo):
    """A column the filter reads stays too; the columns dropped to fit are the unasked-for ones."""
    params = {f"param_{i:02d}": f"value-{i:02d}" for i in range(10)}
    for i in range(2):
        record("wide", f"run-{i}", params=params, metrics={"rmse": 0.5, "zz_other": float(i)})
    proc = gx_subprocess("ls", "wide", "-f", "metrics.zz_other >= 0 or params.param_00 = 'x'",
                         cwd=repo.path, env={"COLUMNS": "80"}, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert max(len(line) for line in lines) <= 80
    header = lines[0].split()
    assert header[-1] == "zz_other" and "rmse" not in header and "param_01" not in header, header
    assert "more columns" in proc.stderr.decode()


def test_ls_columns_with_a_metric_some_runs_lack(repo):
    """Finding '`gx ls --columns ...metrics.rmse` on a run without it says "no column
    'metrics.rmse'; columns look like … metrics.rmse"': the column shows, with an empty cell."""
    record("exp", "has-rmse", metrics={"rmse": 0.5})
    record("exp", "no-rmse", metrics={"loss": 1.0})
    proc = gx_subprocess("ls", "exp", "-n", "1", "--columns", "name,metrics.rmse", cwd=repo.path, timeout=30)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert "no column" not in err, err
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "name", "metrics.rmse"], out
    assert "no-rmse" in lines[1] and "0.5" not in lines[1], out


def test_an_empty_experiment_name_is_an_error_not_the_default(repo, monkeypatch):
    """Finding '`gx run -e \'\'` silently logs to `default`': an empty name from -e or GX_EXPERIMENT
    is one line on stderr and exit 1 (nothing recorded); set_experiment/start_run raise BadName."""
    for args, env in ((["-e", ""], {}), ([], {"GX_EXPERIMENT": ""})):
        proc = gx_subprocess("run", *args, "--", "true", cwd=repo.path, env=env, timeout=30)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and len(err.splitlines()) == 1 and err.startswith("gx: error: "), err
        assert "empty" in err, err
    assert repo.git("for-each-ref", "refs/experiments") == ""
    with pytest.raises(BadName):
        gx.set_experiment("")
    with pytest.raises(BadName):
        gx.start_run(experiment="")
    monkeypatch.setenv("GX_EXPERIMENT", "")
    with pytest.raises(BadName, match="GX_EXPERIMENT"):
        gx.start_run()
    with gx.start_run(experiment="named"):  # an explicit name still wins over an empty variable
        gx.log_metric("m", 1.0)
    assert repo.git("for-each-ref", "--format=%(refname)", "refs/experiments") == "refs/experiments/named\n"


def test_git_push_with_explicit_refspec_after_remote_setup(repo, tmp_path):
    """Finding '`git push origin main` (an explicit refspec) does not carry experiments after
    `gx remote setup` unless the hooks are installed, and nothing says so': after setup, either
    that push brings refs/experiments/* to the bare remote, or setup's output says which forms of
    `git push` do not carry experiments."""
    bare = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))
    record("shared", "r1", metrics={"rmse": 0.5})
    setup = gx_subprocess("remote", "setup", cwd=repo.path, timeout=30)
    assert setup.returncode == 0, setup.stderr.decode()
    said = setup.stdout.decode() + setup.stderr.decode()
    push = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.path, capture_output=True, timeout=30)
    assert push.returncode == 0, push.stderr.decode()
    on_remote = run_git("for-each-ref", "--format=%(refname)", "refs/experiments/", cwd=bare).split()
    explained = re.search(r"explicit|refspec|git push origin (main|<|BRANCH)", said, re.I)
    assert on_remote == ["refs/experiments/shared"] or explained, (
        f"`git push origin main` sent no experiment (remote has {on_remote}) and setup did not say so:\n{said}"
    )


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every ``` fenced block."""
    return [(m.group(1).strip(), m.group(2)) for m in re.finditer(r"^```([^\n]*)\n(.*?)^```", text, re.M | re.S)]


def test_readme_python_blocks_run_as_printed(tmp_path):
    """Finding 'the README's Python snippet fails as printed': every ```python block of README.md
    runs unchanged, in a fresh repository, with exit status 0."""
    blocks = [body for lang, body in fenced_blocks(README.read_text()) if lang == "python"]
    assert blocks, "README.md has no python block"
    failures = []
    for i, body in enumerate(blocks):
        fresh = make_repo(tmp_path / f"fresh-{i}")
        (fresh.path / "snippet.py").write_text(body)
        proc = subprocess.run([sys.executable, "snippet.py"], cwd=fresh.path, capture_output=True, timeout=60)
        if proc.returncode != 0:
            failures.append(f"block {i + 1} exited {proc.returncode}:\n{body}\n{proc.stderr.decode()[-800:]}")
    assert not failures, "\n\n".join(failures)


HEX_ID = re.compile(r"^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{4,40}$")


def block_commands(lang: str, body: str) -> list[str]:
    """Command lines of one fenced block: every line of bash/sh blocks, `$ ` lines elsewhere."""
    commands = []
    for line in body.splitlines():
        if lang in ("bash", "sh", "shell", "console"):
            command = line[2:] if line.startswith("$ ") else line
        elif line.startswith("$ "):
            command = line[2:]
        else:
            continue
        command = re.split(r"(^|\s)#", command)[0].strip()
        if command:
            commands.append(command)
    return commands


def readme_commands() -> list[str]:
    """Command lines a reader would copy: every line of bash/sh blocks, and `$ ` lines elsewhere."""
    return [c for lang, body in fenced_blocks(README.read_text()) for c in block_commands(lang, body)]


def test_readme_commands_use_no_example_run_ids():
    """Finding 'the README's example ids cannot work on anyone else's machine': no command in
    README.md passes a hex run id (like `d6403d4a` or `d640`) as an argument; commands refer to runs
    by names or specs such as `demo~1`."""
    commands = readme_commands()
    assert any(c.startswith("gx ") for c in commands), commands
    offending = []
    for command in commands:
        for part in command.split("&&"):
            try:
                words = shlex.split(part)
            except ValueError:
                words = part.split()
            offending += [f"{word!r} in `{command}`" for word in words if HEX_ID.match(word)]
    assert not offending, "README commands use example run ids: " + "; ".join(offending)


def test_readme_commands_run_in_order_after_gx_demo(tmp_path):
    """Every command of README.md, run in order in the repository `gx demo` makes (files shown as
    a ```yaml block headed `# NAME` written first, Python blocks run), exits 0: none is an example
    that only worked on its author's machine."""
    where, bin_dir = tmp_path / "demo", tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gx").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gx "$@"\n')
    (bin_dir / "gx").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    demo = gx_subprocess("demo", "--dir", str(where), env=env, timeout=120)
    assert demo.returncode == 0, demo.stderr.decode()
    failures, ran = [], 0
    for lang, body in fenced_blocks(README.read_text()):
        if body.startswith("$ gx demo"):
            continue  # the transcript of the command run above
        if lang == "yaml" and body.startswith("# "):
            (where / body.splitlines()[0][2:].strip()).write_text(body)
            continue
        if lang == "python":
            steps = [[sys.executable, "-c", body]]
        else:
            # gx ui serves until Ctrl-C: tests/test_ui_http.py starts it as printed and reads a page
            steps = [["bash", "-c", c] for c in block_commands(lang, body)
                     if not c.startswith(("pip ", "gx demo", "gx ui")) and "pytest" not in c]
        for argv in steps:
            proc = subprocess.run(argv, cwd=where, env=dict(os.environ, **env), capture_output=True, timeout=120)
            ran += 1
            if proc.returncode != 0:
                failures.append(f"`{argv[-1]}` exited {proc.returncode}: {proc.stderr.decode()[-600:]}")
    assert ran >= 20 and not failures, "\n".join(failures)
