"""gx.yaml parsing and the duplicate check: the key cache is an optimisation, the ref history the truth."""

from __future__ import annotations

import json
import subprocess

import pytest

import gx
import gx.query.runs
from gx.hooks.commit_keys import CACHE_FILE
from gx.hooks.commit_runs import AutologConfig, AutologError, parse_config, record_commit
from gx.store.repo import Store


def commit_files(repo, message: str, **files: str) -> str:
    for name, text in files.items():
        repo.write(name, text)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", message)
    return repo.git("rev-parse", "HEAD").strip()


def record(repo):
    with Store.open(repo.path) as store:
        return record_commit(store)


@pytest.fixture
def project(repo):
    commit_files(repo, "v1", **{"gx.yaml": "autolog:\n  metrics: metrics.json\n  artifacts: [./plots/]\n",
                                "metrics.json": '{"m": 1}', "plots/a.txt": "a", "plots/sub/b.txt": "b"})
    return repo


def test_parse_config_accepts_the_short_forms():
    assert parse_config(None) is None and parse_config(b"") is None and parse_config(b"autolog: false\n") is None
    assert parse_config(b"other: 1\n") is None
    cfg = parse_config(b"autolog:\n  params: ./p.yaml\n  metrics: [m.json, m.json]\n  artifacts: [plots/]\n")
    assert cfg == AutologConfig("commits", ["p.yaml"], ["m.json"], ["plots"])


@pytest.mark.parametrize(("text", "message"), [
    ("autolog: [a", "gx.yaml is not valid YAML: "),
    ("- a\n", "gx.yaml must hold a mapping"),
    ("autolog: metrics.json", "gx.yaml: 'autolog' must be a mapping"),
    ('autolog: {experiment: "a\\x01b"}', "gx.yaml: autolog.experiment: bad experiment name 'a\\x01b'"),
    ("autolog: {params: ../p.yaml}", "gx.yaml: autolog.params: bad path '../p.yaml'"),
    ("autolog: {metrics: [/etc/m.json]}", "gx.yaml: autolog.metrics: bad path '/etc/m.json'"),
    ("autolog: {artifacts: [.git/config]}", "gx.yaml: autolog.artifacts: bad artifact path"),
    ("autolog: {metric: m.json}", "gx.yaml: unknown key 'autolog.metric'"),
])
def test_parse_config_errors_name_the_key(text, message):
    with pytest.raises(AutologError) as err:
        parse_config(text.encode())
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_artifact_directories_are_recorded_file_by_file(project):
    result = record(project)
    assert result.recorded
    rec = gx.query.runs.get_record(result.run_id)
    assert rec.artifacts == {"plots/a.txt": b"a", "plots/sub/b.txt": b"b"}
    assert rec.metrics["m"][0].value == 1.0
    project.fsck()


def test_history_is_the_truth_when_the_cache_is_gone_or_wrong(project):
    first = record(project)
    cache = project.path / ".git" / "gx" / CACHE_FILE
    assert json.loads(cache.read_text())["commits"]["tip"] == first.run_commit
    cache.unlink()
    again = record(project)
    assert not again.recorded and again.run_id == first.run_id  # found by walking the ref's history
    cache.write_text("{not json")
    assert not record(project).recorded
    project.git("update-ref", "-d", "refs/experiments/commits")  # the cache still lists the key
    assert record(project).recorded  # ... but history no longer has it: recorded again


def test_cache_follows_runs_written_by_others(project):
    first = record(project)
    with gx.start_run(experiment="commits"):  # another writer moves the tip
        gx.log_metric("x", 1)
    assert not record(project).recorded  # the cached key survives the incremental walk
    commit_files(project, "v2", **{"metrics.json": '{"m": 2}'})
    second = record(project)
    assert second.recorded and second.run_id != first.run_id
    keys = json.loads((project.path / ".git" / "gx" / CACHE_FILE).read_text())["commits"]
    assert keys["tip"] == second.run_commit and len(keys["keys"]) == 2


def test_amend_with_the_same_tree_has_the_same_key(project):
    first = record(project)
    project.git("commit", "-q", "--amend", "--no-verify", "-m", "v1 again")
    again = record(project)
    assert not again.recorded and again.run_id == first.run_id
    assert again.commit != first.commit


def test_cache_keeps_the_newest_keys_only(project, monkeypatch):
    import gx.hooks.commit_keys

    monkeypatch.setattr(gx.hooks.commit_keys, "CACHE_KEYS", 1)
    record(project)
    commit_files(project, "v2", **{"metrics.json": '{"m": 2}'})
    newest = record(project)
    keys = json.loads((project.path / ".git" / "gx" / CACHE_FILE).read_text())["commits"]["keys"]
    assert list(keys.values()) == [[newest.run_commit, newest.run_id]]


@pytest.mark.parametrize("version", [2, 3, 4])
def test_staged_index_reader_matches_dulwich(repo, version):
    from gx.store.gitindex import StagedIndex, _dulwich_index

    for i in range(40):
        repo.write(f"dir{i % 3}/sub/file-{i}-{'x' * (i % 11)}.txt", str(i))
    repo.git("add", "-A")
    repo.write("intent.txt", "later")
    repo.git("add", "-N", "intent.txt")  # intent-to-add: an extended flag
    repo.git("update-index", "--skip-worktree", "dir0/sub/file-0-.txt")  # sets an extended flag
    repo.git("update-index", f"--index-version={version}")
    index = str(repo.path / ".git" / "index")
    fast = StagedIndex.read(index)
    assert fast is not None
    assert {p: fast.get(p) for p in fast} == _dulwich_index(index)
    assert fast.get("nope") is None


def test_a_split_index_is_not_read_and_never_blocks(repo):
    from gx.hooks.manage import install
    from gx.store.gitindex import StagedIndex

    repo.write("gx.yaml", "autolog: {metrics: m.json}\n")
    repo.write("m.json", '{"m": 1}')
    install(["pre-commit", "post-commit"])
    repo.git("update-index", "--split-index")
    repo.git("add", "-A")
    assert StagedIndex.read(str(repo.path / ".git" / "index")) is None
    proc = subprocess.run(["git", "commit", "-qm", "split"], cwd=repo.path, capture_output=True, text=True)
    assert proc.returncode == 0 and "gx: logged commit" in proc.stderr, proc.stderr
    assert "gx: warning: gx's pre-commit check was skipped" in proc.stderr  # dulwich cannot read it either
