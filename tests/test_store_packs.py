"""A run's objects go into one pack; many small packs are merged; git reads them, gx reads after git gc."""

from __future__ import annotations

from pathlib import Path

import gx
from gx.query.runs import list_runs
from gx.store import packs
from gx.store.repo import Store


def _log_runs(count: int, experiment: str = "packed") -> list[str]:
    ids = []
    for i in range(count):
        with gx.start_run(experiment=experiment) as run:
            gx.log_param("i", i)
            gx.log_metric("loss", 1.0 / (i + 1))
            ids.append(run.info.run_id)
    return ids


def _packs(repo) -> list[Path]:
    return sorted((repo.path / ".git" / "objects" / "pack").glob("*.pack"))


def _is_loose(repo, sha: str) -> bool:
    return (repo.path / ".git" / "objects" / sha[:2] / sha[2:]).exists()


def test_a_run_is_one_pack_that_git_reads(repo) -> None:
    _log_runs(1)
    tip = repo.git("rev-parse", "refs/experiments/packed").strip()
    tree = repo.git("rev-parse", f"{tip}^{{tree}}").strip()
    assert len(_packs(repo)) == 1
    assert not _is_loose(repo, tip) and not _is_loose(repo, tree)
    assert "params.yaml" in repo.git("ls-tree", "--name-only", tip)
    assert ": ok" in repo.git("verify-pack", "-v", str(_packs(repo)[0].with_suffix(".idx")))  # git checks pack and index
    assert not list((repo.path / ".git" / "objects" / "pack").glob("tmp_*"))
    repo.fsck()


def test_small_packs_are_merged_and_every_run_still_reads(repo) -> None:
    ids = _log_runs(6)
    assert len(_packs(repo)) == 6
    with Store.open() as store:
        merged = packs.merge_small_packs(store.repo.object_store, store.fsynced_parts(), limit=3)
    assert merged == 6
    assert len(_packs(repo)) == 1
    assert sorted(r.run_id for r in list_runs(["packed"])) == sorted(ids)
    repo.fsck()


def test_packs_over_the_limit_merge_as_runs_are_written(repo, monkeypatch) -> None:
    monkeypatch.setattr(packs, "PACK_LIMIT", 4)
    ids = _log_runs(7)
    assert len(_packs(repo)) <= 4
    assert sorted(r.run_id for r in list_runs(["packed"])) == sorted(ids)
    repo.fsck()


def test_runs_read_after_git_gc(repo) -> None:
    ids = _log_runs(3)
    repo.git("gc", "-q", "--prune=now")
    ids += _log_runs(2)
    assert sorted(r.run_id for r in list_runs(["packed"])) == sorted(ids)
    repo.fsck()


def test_core_fsync_is_read_as_git_reads_it() -> None:
    both = frozenset({"pack", "pack-metadata"})
    assert packs.fsynced_parts(None) == frozenset()  # not set: only the ref is flushed, as before
    assert packs.fsynced_parts("none") == frozenset()
    assert packs.fsynced_parts("none,pack") == frozenset({"pack"})
    assert packs.fsynced_parts("-pack-metadata") == frozenset({"pack"})
    assert packs.fsynced_parts("loose-object,reference") == both
    assert packs.fsynced_parts("bogus") == both


def test_core_fsync_from_the_repository_config(repo) -> None:
    both = frozenset({"pack", "pack-metadata"})
    with Store.open() as store:
        assert store.fsynced_parts() == frozenset()
    for setting, expected in ((("core.fsync", "committed"), both), (("core.fsync", "none"), frozenset()),
                              (("core.fsyncObjectFiles", "true"), both)):
        repo.git("config", *setting)
        with Store.open() as store:
            assert store.fsynced_parts() == expected
        repo.git("config", "--unset", setting[0])
    repo.git("config", "core.fsync", "pack")
    _log_runs(1)  # a flushed pack is the same pack
    assert ": ok" in repo.git("verify-pack", "-v", str(_packs(repo)[0].with_suffix(".idx")))


def _first_entry_zlib_flags(pack: Path) -> int:
    """The second byte of the first object's zlib header (its FLEVEL bits say the level used)."""
    data = pack.read_bytes()
    pos = 12
    while data[pos] & 0x80:  # the entry's type-and-size header
        pos += 1
    assert data[pos + 1] == 0x78  # zlib, 32 KiB window
    return data[pos + 2]


def test_a_runs_pack_is_compressed_at_gits_loose_object_level(repo) -> None:
    _log_runs(1)
    assert _first_entry_zlib_flags(_packs(repo)[0]) == 0x01  # unset: 1, git's loose default (fastest)
    for pack in _packs(repo):
        pack.with_suffix(".idx").unlink()
        pack.unlink()
    repo.git("config", "core.compression", "9")
    _log_runs(1, "other")
    assert _first_entry_zlib_flags(_packs(repo)[0]) == 0xDA  # the user's level, as git would use it
    assert ": ok" in repo.git("verify-pack", "-v", str(_packs(repo)[0].with_suffix(".idx")))
    assert packs.compression_level(object(), loose=False) == -1
