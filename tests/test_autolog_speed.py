"""What autolog does to stay cheap keeps what it records: the LightGBM text model lightgbm.train has
already made is the one stored, byte for byte what the returned Booster serialises to."""

from __future__ import annotations

import numpy as np
import pytest

import gx

lgb = pytest.importorskip("lightgbm")


def data(rows: int = 300):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, 6))
    return X, X[:, 0] + rng.normal(size=rows), rng


def stored_model(repo) -> str:
    return repo.git("show", "refs/experiments/default:artifacts/model/model.txt")


@pytest.mark.parametrize("early_stopping", [False, True])
def test_the_text_train_reloaded_the_booster_from_is_what_is_stored(repo, early_stopping):
    from gx.autolog.lightgbm import ReloadedText

    X, y, rng = data()
    reloaded = ReloadedText()
    extra = {"valid_sets": [lgb.Dataset(X[:40], label=rng.normal(size=40))],
             "callbacks": [lgb.early_stopping(2, verbose=False), reloaded]} if early_stopping else {"callbacks": [reloaded]}
    booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 30, **extra)
    reloaded.release()
    assert reloaded.text_of(booster) == booster.model_to_string().encode()
    assert "model_from_string" not in vars(booster)  # the instance is as train() left it
    assert booster.current_iteration() == (booster.best_iteration if early_stopping else 30)
    other = lgb.train({"verbose": -1, "num_leaves": 3}, lgb.Dataset(X, y), 31)
    booster.model_from_string(other.model_to_string())  # another model loaded since
    assert reloaded.text_of(booster) is None


def test_a_kept_training_booster_is_serialised_by_gx(repo):
    from gx.autolog.lightgbm import ReloadedText

    X, y, _ = data()
    reloaded = ReloadedText()
    booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 5, callbacks=[reloaded],
                        keep_training_booster=True)
    reloaded.release()
    assert reloaded.text is None  # train() reloaded nothing
    gx.lightgbm.autolog()
    try:
        booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 5, keep_training_booster=True)
    finally:
        gx.lightgbm.autolog(disable=True)
    assert stored_model(repo) == booster.model_to_string()


def test_autologged_train_stores_the_returned_boosters_text_and_leaves_it_untouched(repo):
    X, y, rng = data()
    gx.lightgbm.autolog()
    try:
        booster = lgb.train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 12,
                            valid_sets=[lgb.Dataset(X[:40], label=rng.normal(size=40))],
                            callbacks=[lgb.early_stopping(2, verbose=False)])
    finally:
        gx.lightgbm.autolog(disable=True)
    assert stored_model(repo) == booster.model_to_string()
    assert "model_from_string" not in vars(booster)
    loaded = gx.lightgbm.load_model(f"runs:/{gx.last_active_run().info.run_id}/model")
    assert np.array_equal(loaded.predict(X), booster.predict(X))
    repo.fsck()
