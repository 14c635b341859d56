"""The platform a run records is computed once per kernel and interpreter, then read from .git/gx/cache;
the host is the machine's name."""

from __future__ import annotations

import platform

from gx.tracking.capture import platform_name


def test_platform_is_cached_and_recomputed_when_the_key_differs(tmp_path) -> None:
    expected = platform.platform()
    assert platform_name(tmp_path) == expected
    cache = tmp_path / "platform.txt"
    key, _, name = cache.read_text(encoding="utf-8").partition("\n")
    assert name == expected
    cache.write_text(f"{key}\nfrom the cache", encoding="utf-8")
    assert platform_name(tmp_path) == "from the cache"  # read, not computed again
    cache.write_text("another kernel\nstale", encoding="utf-8")
    assert platform_name(tmp_path) == expected
    assert platform_name(None) == expected


def test_a_run_records_the_platform(repo) -> None:
    import gx

    for value in (1, 2):  # the first run computes it, the second reads the cache
        with gx.start_run(experiment="p"):
            gx.log_param("a", value)
        assert f"platform: {platform.platform()}" in repo.git("show", "refs/experiments/p:run.yaml")
    assert (repo.path / ".git" / "gx" / "cache" / "platform.txt").is_file()


def test_a_run_records_the_machine_s_host_name(repo) -> None:
    """The host is what ``socket.gethostname()`` says (read from ``os.uname`` where it says the same)."""
    import socket

    import gx

    with gx.start_run(experiment="h"):
        gx.log_param("a", 1)
    assert f"host: {socket.gethostname()}" in repo.git("show", "refs/experiments/h:run.yaml").splitlines()
