"""Auto-logging through real git commits: one run per commit, no duplicates, checks before commit."""

from __future__ import annotations

import subprocess

import pytest

import gx.query.runs
from gx.hooks.manage import install

GX_YAML = """autolog:
  experiment: commits
  params: [params.yaml]
  metrics: [metrics.json]
  artifacts: [plots/roc.png]
"""


def git_proc(repo, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True, timeout=60)


def commit(repo, message: str, *flags: str) -> subprocess.CompletedProcess:
    repo.git("add", "-A")
    return git_proc(repo, "commit", "-q", "-m", message, *flags)


def head(repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


def runs():
    return gx.query.runs.list_runs(["commits"]) if "commits" in gx.query.runs.open_store().experiments() else []


@pytest.fixture
def project(repo):
    """A repository declaring autolog files, with gx's pre-commit and post-commit hooks installed."""
    repo.write("gx.yaml", GX_YAML)
    repo.write("params.yaml", "alpha: 0.1\nmodel:\n  depth: 3\n")
    repo.write("metrics.json", '{"rmse": 0.5, "acc": 0.9}\n')
    repo.write("plots/roc.png", "PNG-1")
    install(["pre-commit", "post-commit"])
    return repo


def test_a_commit_becomes_exactly_one_run_tied_to_it(project):
    project.git("add", "-A")
    project.write("metrics.json", '{"rmse": "not staged, never read"}\n')  # the committed tree is the truth
    proc = git_proc(project, "commit", "-q", "-m", "train v1\n\nbody")
    assert proc.returncode == 0, proc.stderr
    sha = head(project)
    assert f"gx: logged commit {sha[:7]} as run " in proc.stderr
    (run,) = runs()
    assert run.name == f"{sha[:7]} train v1" and run.status == "FINISHED"
    assert run.source_commit == sha
    assert run.params == {"alpha": 0.1, "model.depth": 3}
    assert run.metrics == {"rmse": 0.5, "acc": 0.9}
    assert run.tags["gx.source"] == "post-commit" and run.tags["gx.commit"] == sha
    assert len(run.tags["gx.autolog_key"]) == 40
    assert project.git("rev-parse", "refs/experiments/commits^2").strip() == sha  # the source parent
    run_yaml = project.git("show", "refs/experiments/commits:run.yaml")
    assert f"commit: {sha}" in run_yaml and "dirty: false" in run_yaml and "branch: main" in run_yaml
    assert project.git("show", "refs/experiments/commits:artifacts/plots/roc.png") == "PNG-1"
    assert project.git("status", "--porcelain") == " M metrics.json\n"  # worktree and index untouched
    project.fsck()


def test_amend_and_rebase_that_keep_tree_and_files_do_not_duplicate(project):
    assert commit(project, "v1").returncode == 0
    project.write("metrics.json", '{"rmse": 0.4, "acc": 0.95}\n')
    assert commit(project, "v2").returncode == 0
    assert len(runs()) == 2
    amend = git_proc(project, "commit", "-q", "--amend", "-m", "v2 reworded")
    assert amend.returncode == 0 and "not logged again" in amend.stderr
    rebase = git_proc(project, "rebase", "--force-rebase", "HEAD~2")  # new commits, same trees
    assert rebase.returncode == 0, rebase.stderr
    assert rebase.stderr.count("not logged again") == 2
    assert len(runs()) == 2
    project.write("plots/roc.png", "PNG-2")  # a changed declared file is a new run
    amend = git_proc(project, "commit", "-q", "-a", "--amend", "--no-edit")
    assert amend.returncode == 0 and "gx: logged commit" in amend.stderr
    assert [r.source_commit for r in runs()][0] == head(project)
    assert len(runs()) == 3


@pytest.mark.parametrize(("path", "content", "message"), [
    ("metrics.json", '{"rmse": 0.4, "acc": "high"}', "metrics file 'metrics.json': metric 'acc' is not a number ('high')"),
    ("metrics.json", '{"rmse": 0.4,', "metrics file 'metrics.json' is not valid JSON: "),
    ("params.yaml", "alpha: [unclosed", "params file 'params.yaml' is not valid YAML: "),
    ("gx.yaml", "autolog: {metrics: [metrics.json], plots: [x]}", "gx.yaml: unknown key 'autolog.plots'"),
])
def test_a_bad_declared_file_stops_the_commit_with_one_clear_line(project, path, content, message):
    assert commit(project, "v1").returncode == 0
    project.write(path, content + "\n")
    proc = commit(project, "v2")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"gx: error: {message}") and proc.stderr.count("\n") == 1, proc.stderr
    assert "--no-verify" in proc.stderr
    assert project.git("log", "--format=%s", "-1") == "v1\n"
    bypass = commit(project, "v2 anyway", "--no-verify")
    assert bypass.returncode == 0 and "gx: warning: the commit was not logged as a run" in bypass.stderr
    assert [r.name.split(" ", 1)[1] for r in runs()] == ["v1"]


def test_a_missing_declared_file_stops_the_commit(project):
    project.git("add", "-A")
    project.git("rm", "-q", "--cached", "params.yaml")
    proc = git_proc(project, "commit", "-q", "-m", "v1")
    assert proc.returncode == 1
    assert "gx: error: params file 'params.yaml' declared in gx.yaml (autolog.params) is not in the commit" in proc.stderr


def test_commit_all_checks_what_is_committed_not_the_index_on_disk(project):
    assert commit(project, "v1").returncode == 0
    project.write("metrics.json", '{"rmse": null}\n')
    proc = git_proc(project, "commit", "-q", "-a", "-m", "v2")  # git checks a temporary index
    assert proc.returncode == 1 and "metric 'rmse' is not a number (None)" in proc.stderr
    project.write("notes.txt", "n\n")
    project.git("add", "notes.txt")
    proc = git_proc(project, "commit", "-q", "-m", "notes only", "notes.txt")  # metrics.json stays as committed
    assert proc.returncode == 0, proc.stderr
    assert runs()[0].metrics == {"rmse": 0.5, "acc": 0.9}


def test_a_broken_gx_never_blocks_a_commit_in_post_commit(repo):
    install(["post-commit"])
    repo.write("gx.yaml", "autolog: [unclosed\n")
    proc = commit(repo, "broken config")
    assert proc.returncode == 0 and "gx: warning: the commit was not logged as a run: gx.yaml is not valid YAML" in proc.stderr
    assert repo.git("log", "--format=%s", "-1") == "broken config\n"
    repo.write("gx.yaml", "autolog: {experiment: a}\n")  # a store error: 'a' clashes with experiment 'a/b'
    with gx.start_run(experiment="a/b"):
        gx.log_metric("m", 1)
    proc = commit(repo, "clash")
    assert proc.returncode == 0 and "gx: warning: the commit was not logged as a run (experiment 'a' clashes" in proc.stderr
    assert repo.git("status", "--porcelain") == ""
    repo.fsck()


def test_no_autolog_section_means_no_run_and_no_output(repo):
    install(["pre-commit", "post-commit"])
    repo.write("gx.yaml", "# gx settings\n")
    proc = commit(repo, "plain")
    assert proc.returncode == 0 and proc.stderr == ""
    assert gx.query.runs.open_store().experiments() == {}


def test_commits_in_a_linked_worktree_are_logged(project, tmp_path):
    assert commit(project, "v1").returncode == 0
    other = tmp_path / "wt"
    project.git("worktree", "add", "-q", str(other))
    (other / "metrics.json").write_text('{"rmse": 0.1, "acc": 0.99}\n')
    proc = subprocess.run(["git", "commit", "-q", "-a", "-m", "from worktree"], cwd=other, capture_output=True, text=True)
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    newest = runs()[0]
    assert newest.metrics["rmse"] == 0.1
    assert newest.source_commit == subprocess.run(["git", "rev-parse", "HEAD"], cwd=other, capture_output=True,
                                                  text=True).stdout.strip()


def test_an_artifact_folder_is_checked_and_recorded(repo):
    install(["pre-commit", "post-commit"])
    repo.write("gx.yaml", "autolog:\n  artifacts: [plots]\n")
    repo.write("plots/roc.png", "ROC")
    repo.write("plots/pr/curve.png", "PR")
    proc = commit(repo, "plots")
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert gx.query.runs.get_record(runs()[0].run_id).artifacts == {"plots/pr/curve.png": b"PR", "plots/roc.png": b"ROC"}
    repo.git("rm", "-q", "-r", "plots")
    proc = commit(repo, "no plots")
    assert proc.returncode == 1 and "artifact 'plots' declared in gx.yaml (autolog.artifacts) is not" in proc.stderr


def test_secret_named_params_from_files_are_masked(project):
    project.write("params.yaml", "alpha: 0.1\ndb_password: hunter2hunter2\n")
    assert commit(project, "v1").returncode == 0
    (run,) = runs()
    assert run.params == {"alpha": 0.1, "db_password": "***"}
    assert "hunter2" not in project.git("show", "refs/experiments/commits:params.yaml")
