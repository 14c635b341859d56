"""gx plot: files written (magic bytes, SVG XML) and the Figures behind them (lines, points)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import pytest

import gx
from conftest import gx_subprocess
from gx.cli.plot import default_output, draw

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def runs(repo) -> list[str]:
    """Four runs: three lasso (rmse logged for 5 steps), one ridge without rmse history."""
    ids = []
    for exp, name, alpha, l1 in [("lasso", "a", 0.1, 0.5), ("lasso", "b", 0.2, 0.5), ("lasso", "c", 0.4, 0.1)]:
        with gx.start_run(experiment=exp, run_name=name) as run:
            gx.log_params({"alpha": alpha, "l1_ratio": l1})
            for step in range(5):
                gx.log_metric("rmse", 1.0 / (alpha * (step + 1)))
        ids.append(run.info.run_id)
    with gx.start_run(experiment="ridge", run_name="r") as run:
        gx.log_param("alpha", 1.0)
        gx.log_metric("r2", 0.9)
    ids.append(run.info.run_id)
    return ids


def test_history_png_from_an_experiment(cli, runs, repo):
    res = cli("plot", "rmse", "-e", "lasso", "-o", "hist.png")
    assert res.exit_code == 0, res.output
    assert res.output == "hist.png\n"
    assert (repo.path / "hist.png").read_bytes()[:8] == PNG_MAGIC


def test_history_figure_has_one_line_per_run_with_the_metric(runs):
    fig = draw("h.svg", metric="rmse")  # the ridge run has no rmse: left out
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert all(list(line.get_xdata()) == [0, 1, 2, 3, 4] for line in lines)
    assert sorted(line.get_ydata()[0] for line in lines) == pytest.approx([2.5, 5.0, 10.0])
    assert fig.axes[0].get_ylabel() == "rmse"


def test_history_of_named_runs_and_specs(cli, runs, repo):
    fig = draw("h.png", metric="rmse", specs=["lasso~2", "lasso", runs[0][:10]])  # duplicates once
    assert len(fig.axes[0].get_lines()) == 2
    res = cli("plot", "metrics.rmse", "lasso~1", "lasso", "-o", "two.svg")
    assert res.exit_code == 0 and res.output == "two.svg\n"
    root = ET.parse(repo.path / "two.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_filter_selects_runs(runs):
    fig = draw("f.png", metric="rmse", filter_string="params.alpha >= 0.2")
    assert len(fig.axes[0].get_lines()) == 2


def test_scatter(cli, runs, repo):
    res = cli("plot", "--x", "params.alpha", "--y", "metrics.r2", "--annotate")
    assert res.exit_code == 0 and res.output == "r2-vs-alpha.png\n"
    assert (repo.path / "r2-vs-alpha.png").read_bytes()[:8] == PNG_MAGIC
    fig = draw("s.png", x="params.alpha", y="metrics.rmse", experiments=["lasso"])
    points = fig.axes[0].collections[0].get_offsets().tolist()
    flat = [v for point in sorted(points) for v in point]
    assert flat == pytest.approx([0.1, 2.0, 0.2, 1.0, 0.4, 0.5])
    assert fig.axes[0].get_xlabel() == "params.alpha"


def test_parallel(cli, runs, repo):
    res = cli("plot", "--parallel", "params.alpha, params.l1_ratio,metrics.rmse", "-e", "lasso", "-o", "p.pdf")
    assert res.exit_code == 0 and res.output == "p.pdf\n"
    assert (repo.path / "p.pdf").read_bytes()[:5] == b"%PDF-"
    fig = draw("p.svg", columns=["params.alpha", "params.l1_ratio", "metrics.rmse"], experiments=["lasso"])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 and all(len(line.get_xdata()) == 3 for line in lines)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        "params.alpha", "params.l1_ratio", "metrics.rmse"]


def test_default_output_names(cli, runs, repo):
    assert cli("plot", "rmse").output == "rmse.png\n"
    assert (repo.path / "rmse.png").is_file()
    assert cli("plot", "--parallel", "alpha,rmse").output == "parallel.png\n"
    assert default_output("val/loss", None, None, False) == "val_loss.png"
    assert default_output(None, "params.alpha", "metrics.rmse", False) == "rmse-vs-alpha.png"


def test_usage_errors_exit_2(cli, runs):
    assert cli("plot").exit_code == 2
    assert cli("plot", "--x", "params.alpha").exit_code == 2
    assert cli("plot", "--x", "a", "--y", "b", "--parallel", "a,b").exit_code == 2
    assert cli("plot", "--parallel", "alpha").exit_code == 2
    res = cli("plot", "rmse", "-o", "out.jpg")
    assert res.exit_code == 2 and ".png, .svg or .pdf" in res.output
    res = cli("plot", "rmse", "lasso", "-e", "lasso")
    assert res.exit_code == 2 and "not both" in res.output


def test_user_errors_are_one_line(cli, runs, repo):
    res = cli("plot", "accuracy", "-o", "x.png")
    assert res.exit_code == 1 and res.output.startswith("gx: error: no run has metric 'accuracy'")
    assert len(res.output.splitlines()) == 1
    res = cli("plot", "rmse", "-f", "params.alpha > 9")
    assert res.exit_code == 1 and "no runs match 'params.alpha > 9'" in res.output
    res = cli("plot", "rmse", "-f", "params.alpha >>")
    assert res.exit_code == 1 and res.output.splitlines()[-1].strip() == "^"
    res = cli("plot", "rmse", "nope")
    assert res.exit_code == 1 and "no run or experiment matches 'nope'" in res.output
    res = cli("plot", "--x", "params.alpha", "--y", "metrics.nope")
    assert res.exit_code == 1 and "no run has 'metrics.nope'" in res.output
    assert not list(repo.path.glob("*.png"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the viewer check is per platform")
def test_open_without_a_display_says_so_and_succeeds(runs, repo, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    # a real process, so stdout and stderr are told apart on every click version
    res = gx_subprocess("plot", "rmse", "-o", "v.png", "--open", cwd=repo.path)
    assert res.returncode == 0
    assert res.stdout == b"v.png\n"
    assert res.stderr == b"gx: no image viewer available (no display?); the plot is at v.png\n"
