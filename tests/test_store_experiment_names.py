"""Experiment names MLflow accepts (spaces, accents, punctuation) map reversibly to valid refs;
plain names keep the refs they always had."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gx
from gx.errors import BadName
from gx.store.refs import PREFIX, experiment_from_ref, experiment_ref, ref_path, validate_experiment

names = st.one_of(
    st.text(st.sampled_from("ab9_-./~^:@{}\\ %*?[é✓"), min_size=1, max_size=30),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20),
)


@given(names)
def test_every_name_round_trips_through_a_valid_ref(name):
    ref = experiment_ref(name).decode()
    check = subprocess.run(["git", "check-ref-format", ref], capture_output=True)
    assert check.returncode == 0, ref
    assert experiment_from_ref(ref) == name


@pytest.mark.parametrize("name", ["default", "lasso", "team/a/b-1", "x.y_z", "A9"])
def test_plain_names_keep_their_refs(name):
    assert experiment_ref(name) == f"{PREFIX}{name}".encode()


@pytest.mark.parametrize(("name", "path"), [
    ("My Experiment", "My%20Experiment"),
    ("../escape", "%2E%2E%2Fescape"),
    ("-dash", "%2Ddash"),
    ("50%", "50%25"),
    ("ünï", "%C3%BCn%C3%AF"),
])
def test_encoding_is_documented(name, path):
    assert ref_path(name) == path


def test_only_the_canonical_encoding_names_an_experiment():
    assert experiment_from_ref(PREFIX + "%61") is None  # 'a' is spelled 'a'
    assert experiment_from_ref(PREFIX + "a%2fb") is None  # lower-case hex is not canonical
    assert experiment_from_ref(PREFIX + "%ZZ") is None
    assert experiment_from_ref(PREFIX + "%FF") is None  # not UTF-8


@pytest.mark.parametrize("name", ["", "tab\there", "nl\n", "x" * 101, "é" * 41])
def test_refused_names(name):
    with pytest.raises(BadName):
        validate_experiment(name)


def test_a_name_with_spaces_end_to_end(repo, cli):
    exp = gx.set_experiment("NYC taxi: duration ✓")
    with gx.start_run():
        gx.log_metric("rmse", 1.0)
    assert gx.get_experiment_by_name("NYC taxi: duration ✓").experiment_id == exp.experiment_id
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/experiments/")
    assert refs.strip() == "refs/experiments/NYC%20taxi%3A%20duration%20%E2%9C%93"
    res = cli("ls", "NYC taxi: duration ✓")
    assert res.exit_code == 0 and res.output.count("FINISHED") == 1
    assert "NYC taxi: duration ✓" in cli("experiments").output
    repo.fsck()
