"""Nested runs shown as a tree: gx ls indents children (--flat, --parent), gx best --parent, gx show
on a parent summarises its children; parent tags that point in circles hide no run."""

from __future__ import annotations

import gx
from conftest import make_summary


def sweep_like(losses=(0.5, 0.2, 0.9), failed: int = 1) -> tuple[str, list[str]]:
    children = []
    with gx.start_run(run_name="search") as parent:
        for i, loss in enumerate(losses):
            with gx.start_run(nested=True, run_name=f"trial-{i}") as child:
                gx.log_metric("loss", loss)
            children.append(child.info.run_id)
        for i in range(failed):
            with gx.start_run(nested=True, run_name=f"broken-{i}"):
                gx.end_run("FAILED")
    with gx.start_run(run_name="lonely"):
        gx.log_metric("loss", 0.1)
    return parent.info.run_id, children


def test_ls_indents_children_under_their_parent(repo, cli):
    parent, children = sweep_like()
    lines = cli("ls", "--columns", "name").output.splitlines()
    names = [line.split()[-1] for line in lines[1:]]
    assert names[0] == "lonely" and names[1] == "search"
    assert {n for n in names[2:]} == {"trial-0", "trial-1", "trial-2", "broken-0"}
    assert all(line.startswith("└ ") for line in lines[3:])
    flat = cli("ls", "--columns", "name", "--flat").output
    assert "└" not in flat and len(flat.splitlines()) == 7


def test_ls_parent_lists_one_sweeps_children_only(repo, cli):
    parent, children = sweep_like()
    out = cli("ls", "--parent", "search", "--format", "csv", "--columns", "run_id,name").output
    rows = out.splitlines()[1:]
    assert {r.split(",")[1] for r in rows} >= set(children) and len(rows) == 4
    result = cli("ls", "--parent", parent[:8], "-f", "metrics.loss < 0.6", "--columns", "name")
    assert sorted(line.split()[-1] for line in result.output.splitlines()[1:]) == ["trial-0", "trial-1"]


def test_best_parent_picks_among_children(repo, cli):
    parent, children = sweep_like()
    out = cli("best", "loss", "--parent", parent[:8]).output
    assert "trial-1" in out and "0.2" in out, out  # 'lonely' has 0.1 but is not a child


def test_show_summarises_a_parents_children(repo, cli):
    parent, _ = sweep_like()
    out = cli("show", "search").output
    assert "children: 4 (1 FAILED, 3 FINISHED)" in out
    assert "best loss (min)  0.2" in out and "trial-1" in out
    assert "children:" not in cli("show", "lonely").output


def test_parent_tag_is_mlflows_and_the_old_one_still_reads(repo):
    from gx.query.nesting import as_tree

    parent, children = sweep_like(failed=0)
    assert gx.get_run(children[0]).data.tags["mlflow.parentRunId"] == parent
    old = make_summary("c", tags={"gx.parent_run_id": "p"})
    assert old.parent_run_id == "p"
    tree = as_tree([make_summary("p"), old])
    assert [(r.run_id, d) for r, d in tree] == [("p", 0), ("c", 1)]


def test_parent_tags_in_a_circle_hide_no_run():
    from gx.query.nesting import as_tree

    a = make_summary("a", tags={"mlflow.parentRunId": "b"})
    b = make_summary("b", tags={"mlflow.parentRunId": "a"})
    me = make_summary("c", tags={"mlflow.parentRunId": "c"})
    tree = as_tree([a, b, me])
    assert sorted(r.run_id for r, _ in tree) == ["a", "b", "c"]


def test_show_ranks_a_sweeps_metric_by_the_goal_the_sweep_recorded(repo, cli):
    with gx.start_run(run_name="maximise-loss", tags={"gx.sweep": "1", "gx.sweep.metric": "loss",
                                                      "gx.sweep.goal": "max"}):
        for i, loss in enumerate((0.5, 0.2, 0.9)):
            with gx.start_run(nested=True, run_name=f"trial-{i}"):
                gx.log_metric("loss", loss)
    out = cli("show", "maximise-loss").output
    assert "best loss (max)  0.9" in out and "trial-2" in out, out  # the name alone says min
