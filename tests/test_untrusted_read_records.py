"""Issue 8, untrusted input on the read side: one malformed run fetched from a teammate.

A teammate's clone holds good runs plus one malformed run in experiment 'shared' (built with git
plumbing, see hostile.py). The victim, who has runs of their own in 'mine', gets it either with
``gx remote setup`` + a plain ``git fetch`` or with ``gx pull``. Every read command must keep
working: exit 0, every good run listed, and one warning line naming the bad run's id prefix and
what is wrong with it. ``gx show <bad run>`` exits 1 with one line saying what is wrong.

Each command runs on a fresh copy of the victim's world, as the first gx command after the
fetch, so no test depends on what an earlier command left in the index cache.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

import gx
import hostile

KINDS = sorted(hostile.MALFORMED)
ROUTES = ["git-fetch", "gx-pull"]


def build(tmp_path: Path, kind: str, route: str) -> SimpleNamespace:
    t = hostile.make_team(tmp_path / "world")
    good1 = hostile.add_run(t.mate, "shared", name="good1", params={"alpha": 0.1}, metrics={"rmse": 0.9})
    good2 = hostile.add_run(t.mate, "shared", name="good2", params={"alpha": 0.2}, metrics={"rmse": 0.7})
    bad = hostile.add_malformed_run(t.mate, "shared", kind)
    hostile.push_experiments(t.mate)
    own = hostile.add_run(t.victim, "mine", name="own1", params={"alpha": 0.3}, metrics={"rmse": 0.8})
    if route == "git-fetch":
        setup = hostile.gx("remote", "setup", cwd=t.victim)
        assert setup.returncode == 0, setup.stderr.decode()
        hostile.git(t.victim, "fetch", "-q")
        assert hostile.rev(t.victim, "refs/remotes/origin/experiments/shared")
    else:
        pulled = hostile.gx("pull", cwd=t.victim)
        assert pulled.returncode != 3, f"gx pull exited 3 (internal error): {pulled.stderr.decode()}"
        assert hostile.rev(t.victim, "refs/experiments/shared")
    return SimpleNamespace(team=t, good1=good1, good2=good2, bad=bad, own=own, reasons=hostile.MALFORMED[kind][1],
                           copies=0, tmp=tmp_path)


def fresh_victim(w: SimpleNamespace) -> Path:
    """A copy of the whole world (remote, teammate, victim): its victim has never run a read command."""
    w.copies += 1
    root = w.tmp / f"copy{w.copies}"
    shutil.copytree(w.team.root, root, symlinks=True)
    return root / "victim"


def warning_problem(stderr: str, w: SimpleNamespace) -> str | None:
    """None when stderr has a line naming the bad run's 8-char id prefix and what is wrong."""
    lines = [line for line in stderr.splitlines() if w.bad[:8] in line]
    if not lines:
        return f"no warning line naming the bad run {w.bad[:8]}"
    if not any(reason in line for line in lines for reason in w.reasons):
        return f"the warning about {w.bad[:8]} names none of {w.reasons}: {lines}"
    return None


def check(w: SimpleNamespace, args: list[str], expect_out: list[str], want_warning: bool = True) -> list[str]:
    """Run ``gx ARGS`` on a fresh victim; return what is wrong (empty when all is well)."""
    proc = hostile.gx(*args, cwd=fresh_victim(w))
    out, err = proc.stdout.decode(), proc.stderr.decode()
    label = "gx " + " ".join(args)
    problems = []
    if proc.returncode != 0:
        problems.append(f"{label}: exit {proc.returncode}: {err.strip()[:300]}")
    if "Traceback" in err:
        problems.append(f"{label}: a traceback on stderr")
    missing = [text for text in expect_out if text not in out]
    if missing:
        problems.append(f"{label}: {missing} missing from its output")
    if want_warning and (problem := warning_problem(err, w)):
        problems.append(f"{label}: {problem}")
    return problems


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", KINDS)
def test_read_commands_skip_a_malformed_fetched_run_with_a_warning(tmp_path, kind, route):
    """Finding: one bad record takes down every command (gx ls, ls EXP, experiments, log, best exit 3).

    Every good run, the victim's own included, must still be listed, with a warning naming the bad run."""
    w = build(tmp_path, kind, route)
    ids = [w.good1[:8], w.good2[:8], w.own[:8]]
    problems = []
    problems += check(w, ["ls"], ids)
    problems += check(w, ["ls", "shared"], ids[:2])
    problems += check(w, ["experiments"], ["shared", "mine"])
    problems += check(w, ["log", "shared"], ["good1", "good2"])
    problems += check(w, ["best", "rmse", "shared"], [w.good2])  # the bad run is skipped, not crowned
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", KINDS)
def test_python_api_skips_a_malformed_fetched_run_with_a_warning(tmp_path, kind, route, monkeypatch, capfd):
    """Finding: one bad record makes gx.list_runs() / gx.search_runs() raise in the user's notebook.

    Both must return every good run and warn (on stderr or as a Python warning) naming the bad run."""
    w = build(tmp_path, kind, route)
    expected = {w.good1, w.good2, w.own}
    for call in ("list_runs", "search_runs"):
        monkeypatch.chdir(fresh_victim(w))
        capfd.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = getattr(gx, call)()
        ids = {r.run_id for r in result} if call == "list_runs" else set(result["run_id"])
        assert expected <= ids, f"gx.{call}() lost good runs: {sorted(expected - ids)}"
        said = capfd.readouterr().err + "\n".join(str(c.message) for c in caught)
        problem = warning_problem(said, w)
        assert problem is None, f"gx.{call}(): {problem}"


@pytest.mark.parametrize("kind", KINDS)
def test_show_of_the_malformed_run_says_what_is_wrong(tmp_path, kind):
    """Finding: gx show of a malformed fetched run exits 3 (internal error) or prints it as if it were fine.

    It must exit 1 with one line on stderr naming the run and what is wrong with it."""
    w = build(tmp_path, kind, "git-fetch")
    proc = hostile.gx("show", w.bad, cwd=fresh_victim(w))
    err = proc.stderr.decode()
    assert proc.returncode == 1, f"exit {proc.returncode}; stdout: {proc.stdout.decode()[:300]} stderr: {err[:300]}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gx: "), err
    assert any(reason in lines[0] for reason in w.reasons), f"{lines[0]!r} names none of {w.reasons}"


# show/compare/diff of *good* runs already work today for the kinds whose fields still parse
# (metrics-scalar, status-list); these are the kinds that break them.
@pytest.mark.parametrize("kind", ["metric-entry-scalar", "params-not-yaml", "start-time-not-date"])
def test_show_compare_diff_of_good_runs_ignore_the_malformed_one(tmp_path, kind):
    """Finding: a malformed fetched run makes gx show/compare/diff of *other*, good runs exit 3."""
    w = build(tmp_path, kind, "git-fetch")
    problems = []
    problems += check(w, ["show", w.good1[:8]], [w.good1], want_warning=False)
    problems += check(w, ["compare", w.good1[:8], w.good2[:8]], ["good1", "good2"], want_warning=False)
    problems += check(w, ["diff", w.good1[:8], w.good2[:8]], ["params.alpha"], want_warning=False)
    problems += check(w, ["show", w.own[:8]], [w.own], want_warning=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("kind", KINDS)
def test_gx_pull_after_a_fetch_then_ls_still_works(tmp_path, kind):
    """Finding: after a plain git fetch brought a malformed run, gx pull merges it and gx ls exits 3."""
    w = build(tmp_path, kind, "git-fetch")
    victim = fresh_victim(w)
    pulled = hostile.gx("pull", cwd=victim)
    assert pulled.returncode == 0, pulled.stderr.decode()
    assert hostile.rev(victim, "refs/experiments/shared"), "gx pull did not bring 'shared'"
    listed = hostile.gx("ls", cwd=victim)
    assert listed.returncode == 0, f"exit {listed.returncode}: {listed.stderr.decode()[:300]}"
    out = listed.stdout.decode()
    assert all(i[:8] in out for i in (w.good1, w.good2, w.own)), out
    assert warning_problem(listed.stderr.decode(), w) is None, listed.stderr.decode()
