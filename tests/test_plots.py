"""Tests for gx.plots: assertions on Figure objects and written files, not on pixels."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from gx import plots
from gx.errors import BadFile, GxError
from gx.plots import viewer
from gx.records import MetricPoint, RunSummary

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(
    run_id: str,
    name: str = "",
    params: dict | None = None,
    metrics: dict | None = None,
    experiment: str = "exp",
    start: float | None = 100.0,
    end: float | None = 160.0,
) -> RunSummary:
    return RunSummary(
        run_id=run_id,
        experiment=experiment,
        name=name,
        status="FINISHED",
        start_time=start,
        end_time=end,
        params=params or {},
        metrics=metrics or {},
        tags={},
    )


def history(values: list[float]) -> list[MetricPoint]:
    return [MetricPoint(step=i, timestamp=1000.0 + i, value=v) for i, v in enumerate(values)]


@pytest.fixture
def runs() -> list[RunSummary]:
    return [
        run("aaaaaaaa1111", "r1", {"alpha": 0.1, "l1": 0.5, "seed": 1, "opt": "adam"},
            {"rmse": 0.9, "r2": 0.1}),
        run("bbbbbbbb2222", "r2", {"alpha": 0.5, "l1": 0.5, "seed": 1, "opt": "sgd"},
            {"rmse": 0.7, "r2": 0.3}),
        run("cccccccc3333", "r3", {"alpha": 1.0, "l1": 0.1, "seed": 1, "opt": "adam"},
            {"rmse": 0.8, "r2": 0.2}),
    ]  # fmt: skip


# --------------------------------------------------------------------------- labels


def test_import_does_not_import_matplotlib():
    code = "import gx.plots, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_differing_params(runs):
    assert plots.differing_params(runs) == ["alpha", "l1", "opt"]
    assert plots.differing_params(runs[:1]) == []
    assert plots.differing_params([]) == []


def test_differing_params_missing_counts_and_types():
    a = run("a" * 12, params={"x": 1, "flag": True, "n": float("nan"), "k": 2})
    b = run("b" * 12, params={"x": 1.0, "flag": 1, "n": float("nan")})
    # 1 == 1.0 is the same value; True is not 1; NaN equals NaN; missing differs.
    assert plots.differing_params([a, b]) == ["flag", "k"]


def test_run_label(runs):
    assert plots.run_label(runs[0], ["alpha", "l1"]) == "r1 (alpha=0.1, l1=0.5)"
    assert plots.run_label(runs[0], []) == "r1"
    nameless = run("0123456789abcdef", params={"alpha": 0.25})
    assert plots.run_label(nameless, ["alpha", "missing"]) == "01234567 (alpha=0.25)"


# --------------------------------------------------------------------------- history


def legend_texts(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    assert legend is not None
    return [t.get_text() for t in legend.get_texts()]


def test_history_one_line_per_run(runs, tmp_path):
    series = [(r, history([1.0, 0.5 + i, 0.25])) for i, r in enumerate(runs)]
    fig = plots.plot_history(series, "loss", tmp_path / "h.png")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3
    texts = legend_texts(fig)
    for r, text in zip(runs, texts):
        assert r.name in text
        assert "alpha=" in text and "l1=" in text and "opt=" in text
        assert "seed=" not in text  # same for every run
    assert texts[0] == "r1 (alpha=0.1, l1=0.5, opt=adam)"
    assert "loss" in ax.get_title()
    assert ax.get_xlabel() == "step"
    assert ax.get_ylabel() == "loss"
    assert tuple(fig.get_size_inches()) == (9.0, 5.0)
    assert (tmp_path / "h.png").read_bytes().startswith(PNG_MAGIC)


def test_history_skips_nonfinite_points_and_empty_runs(runs):
    series = [
        (runs[0], history([1.0, float("nan"), 0.5, float("inf"), 0.25])),
        (runs[1], []),
        (runs[2], history([float("nan")])),
    ]
    fig = plots.plot_history(series, "loss")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 1
    assert list(lines[0].get_xdata()) == [0, 2, 4]
    assert list(lines[0].get_ydata()) == [1.0, 0.5, 0.25]
    assert all(math.isfinite(v) for v in lines[0].get_ydata())
    fig.canvas.draw()  # renders without complaint


def test_history_sorts_by_step(runs):
    pts = [MetricPoint(2, 0.0, 3.0), MetricPoint(0, 0.0, 1.0), MetricPoint(1, 0.0, 2.0)]
    fig = plots.plot_history([(runs[0], pts)], "loss")
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [0, 1, 2]


def test_history_no_data_errors(runs):
    with pytest.raises(GxError, match="no run has metric 'loss'"):
        plots.plot_history([(r, []) for r in runs], "loss")
    with pytest.raises(GxError, match="no run has metric"):
        plots.plot_history([], "loss")


def test_history_duplicate_labels_get_short_ids():
    a = run("aaaaaaaa1111", "same", {"x": 1})
    b = run("bbbbbbbb2222", "same", {"x": 1})
    fig = plots.plot_history([(a, history([1.0])), (b, history([2.0]))], "loss")
    assert legend_texts(fig) == ["same [aaaaaaaa]", "same [bbbbbbbb]"]


def test_history_20_runs_legend_outside_axes():
    many = [run(f"{i:08d}abcd", f"run-{i}", {"lr": 0.001 * (i + 1)}) for i in range(20)]
    series = [(r, history([float(i), float(i) / 2, float(i) / 3])) for i, r in enumerate(many)]
    fig = plots.plot_history(series, "loss")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 20
    assert len(legend_texts(fig)) == 20
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend_box = ax.get_legend().get_window_extent(renderer)
    axes_box = ax.get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1
    assert ax.get_legend().get_texts()[0].get_fontsize() < 10
    # and the saved image keeps the legend (bbox_inches="tight")
    assert len({line.get_color() for line in ax.get_lines()}) == 20


def test_history_many_runs_drop_legend():
    many = [run(f"{i:08d}abcd", f"run-{i}") for i in range(plots.MAX_LEGEND_ENTRIES + 1)]
    fig = plots.plot_history([(r, history([1.0, 2.0])) for r in many], "loss")
    assert fig.axes[0].get_legend() is None
    assert len(fig.axes[0].get_lines()) == len(many)


# --------------------------------------------------------------------------- scatter


def offsets(fig):
    collections = fig.axes[0].collections
    assert len(collections) == 1
    return collections[0].get_offsets()


def test_scatter_numeric(runs, tmp_path):
    runs = runs + [run("dddddddd4444", "r4", {"alpha": 2.0}, {})]  # no rmse: left out
    fig = plots.plot_scatter(runs, "params.alpha", "metrics.rmse", tmp_path / "s.svg")
    pts = offsets(fig)
    assert len(pts) == 3
    assert sorted(map(tuple, pts.tolist())) == [(0.1, 0.9), (0.5, 0.7), (1.0, 0.8)]
    ax = fig.axes[0]
    assert ax.get_xlabel() == "params.alpha"
    assert ax.get_ylabel() == "metrics.rmse"
    assert "metrics.rmse" in ax.get_title() and "params.alpha" in ax.get_title()


def test_scatter_aliases_and_bare_keys(runs):
    fig = plots.plot_scatter(runs, "param.alpha", "metric.rmse")
    assert fig.axes[0].get_xlabel() == "params.alpha"
    fig = plots.plot_scatter(runs, "alpha", "rmse")
    assert fig.axes[0].get_xlabel() == "params.alpha"
    assert fig.axes[0].get_ylabel() == "metrics.rmse"
    assert len(offsets(fig)) == 3


def test_scatter_attributes(runs):
    runs[1].end_time = 200.0
    fig = plots.plot_scatter(runs, "attr.duration", "metrics.r2")
    pts = sorted(map(tuple, offsets(fig).tolist()))
    assert pts == [(60.0, 0.1), (60.0, 0.2), (100.0, 0.3)]
    assert fig.axes[0].get_xlabel() == "attributes.duration"


def test_scatter_categorical_x(runs):
    runs = runs + [
        run("dddddddd4444", "r4", {"opt": True}, {"rmse": 0.5}),
        run("eeeeeeee5555", "r5", {"opt": "rmsprop"}, {"rmse": 0.6}),
    ]
    fig = plots.plot_scatter(runs, "params.opt", "metrics.rmse")
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["True", "adam", "rmsprop", "sgd"]
    pts = offsets(fig)
    assert len(pts) == 5
    assert set(pts[:, 0].tolist()) == {0.0, 1.0, 2.0, 3.0}


def test_scatter_skips_nan(runs):
    runs[0].metrics["rmse"] = float("nan")
    runs[1].params["alpha"] = float("inf")
    fig = plots.plot_scatter(runs, "params.alpha", "metrics.rmse")
    assert offsets(fig).tolist() == [[1.0, 0.8]]


def test_scatter_annotate(runs):
    fig = plots.plot_scatter(runs, "params.alpha", "metrics.rmse", annotate=True)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["r1", "r2", "r3"]


def test_scatter_unknown_key_errors(runs):
    with pytest.raises(GxError, match="no run has 'params.nope'.*known keys"):
        plots.plot_scatter(runs, "params.nope", "metrics.rmse")
    with pytest.raises(GxError, match="no run has 'nope'"):
        plots.plot_scatter(runs, "nope", "metrics.rmse")
    with pytest.raises(GxError, match="nothing to plot"):
        plots.plot_scatter([], "params.alpha", "metrics.rmse")


def test_scatter_disjoint_keys_error():
    a = run("a" * 12, params={"alpha": 1.0})
    b = run("b" * 12, metrics={"rmse": 1.0})
    with pytest.raises(GxError, match="no run has both"):
        plots.plot_scatter([a, b], "params.alpha", "metrics.rmse")


def test_bare_key_in_params_and_metrics_is_ambiguous():
    a = run("a" * 12, params={"x": 1.0}, metrics={"x": 2.0, "y": 1.0})
    with pytest.raises(GxError, match="params.x or metrics.x"):
        plots.plot_scatter([a], "x", "y")


# --------------------------------------------------------------------------- parallel


def test_parallel(runs, tmp_path):
    cols = ["params.alpha", "params.opt", "metrics.rmse"]
    fig = plots.plot_parallel(runs, cols, tmp_path / "p.png")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3
    for line in ax.get_lines():
        ys = line.get_ydata()
        assert all(0.0 <= y <= 1.0 for y in ys)
    # one colorbar axes, labelled by the last column
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "metrics.rmse"
    assert [t.get_text() for t in ax.get_xticklabels()] == cols
    texts = {t.get_text() for t in ax.texts}
    assert {"0.1", "1", "0.7", "0.9", "adam", "sgd"} <= texts  # min/max and categories shown
    # colours follow the last column: best (lowest) rmse differs from worst
    colors = {tuple(line.get_color()) for line in ax.get_lines()}
    assert len(colors) == 3
    assert (tmp_path / "p.png").read_bytes().startswith(PNG_MAGIC)


def test_parallel_normalisation(runs):
    fig = plots.plot_parallel(runs, ["params.alpha", "params.seed", "metrics.rmse"])
    by_alpha = {line.get_ydata()[0]: line.get_ydata() for line in fig.axes[0].get_lines()}
    assert sorted(by_alpha) == [0.0, pytest.approx(4 / 9), 1.0]
    assert all(ys[1] == 0.5 for ys in by_alpha.values())  # constant column sits in the middle
    assert list(by_alpha[0.0]) == [0.0, 0.5, 1.0]  # alpha 0.1 had rmse 0.9 (the max)


def test_parallel_categorical_last_column(runs):
    fig = plots.plot_parallel(runs, ["params.alpha", "params.opt"])
    cbar_ax = fig.axes[1]
    assert [t.get_text() for t in cbar_ax.get_yticklabels()] == ["adam", "sgd"]


def test_parallel_missing_and_nan(runs):
    runs = runs + [run("dddddddd4444", "r4", {"alpha": float("nan")}, {"rmse": 0.5})]
    runs.append(run("eeeeeeee5555", "r5"))  # nothing at all: left out
    fig = plots.plot_parallel(runs, ["params.alpha", "metrics.rmse"])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    assert math.isnan(lines[3].get_ydata()[0])
    fig.canvas.draw()


def test_parallel_errors(runs):
    with pytest.raises(GxError, match="at least two columns"):
        plots.plot_parallel(runs, ["params.alpha"])
    with pytest.raises(GxError, match="no run has"):
        plots.plot_parallel(runs, ["params.alpha", "metrics.nope"])


# --------------------------------------------------------------------------- saving


def simple_figure(runs):
    return plots.plot_history([(runs[0], history([1.0, 2.0]))], "loss")


def test_save_png_svg_pdf(runs, tmp_path):
    fig = simple_figure(runs)
    plots.save_figure(fig, tmp_path / "a.png")
    plots.save_figure(fig, str(tmp_path / "a.SVG"))
    plots.save_figure(fig, tmp_path / "a.pdf")
    assert (tmp_path / "a.png").read_bytes().startswith(PNG_MAGIC)
    root = ET.parse(tmp_path / "a.SVG").getroot()
    assert root.tag.endswith("svg")
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")


def test_svg_is_reproducible(runs, tmp_path):
    fig = simple_figure(runs)
    plots.save_figure(fig, tmp_path / "a.svg")
    plots.save_figure(fig, tmp_path / "b.svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


@pytest.mark.parametrize("name", ["plot.jpg", "plot", "plot.png.txt"])
def test_bad_suffix(runs, tmp_path, name):
    fig = simple_figure(runs)
    with pytest.raises(GxError, match=r"\.png, \.svg, \.pdf"):
        plots.save_figure(fig, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_bad_suffix_checked_before_plotting(runs, tmp_path):
    with pytest.raises(GxError, match="not a supported format"):
        plots.plot_scatter(runs, "params.alpha", "metrics.rmse", tmp_path / "s.gif")


def test_missing_directory(runs, tmp_path):
    fig = simple_figure(runs)
    out = tmp_path / "nope" / "a.png"
    with pytest.raises(GxError, match="does not exist"):
        plots.save_figure(fig, out)
    assert not out.parent.exists()


# --------------------------------------------------------------------------- viewer


def test_open_in_viewer_without_viewer(tmp_path, monkeypatch):
    f = tmp_path / "a.png"
    f.write_bytes(PNG_MAGIC)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(viewer.shutil, "which", lambda name: None)
    assert plots.open_in_viewer(f) is False


def test_open_in_viewer_headless(tmp_path, monkeypatch):
    f = tmp_path / "a.png"
    f.write_bytes(PNG_MAGIC)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(viewer.shutil, "which", lambda name: "/usr/bin/" + name)
    assert plots.open_in_viewer(f) is False


@pytest.mark.parametrize(("platform", "tool"), [("linux", "xdg-open"), ("darwin", "open")])
def test_open_in_viewer_launches(tmp_path, monkeypatch, platform, tool):
    f = tmp_path / "a.png"
    f.write_bytes(PNG_MAGIC)
    calls = []
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delattr(os, "startfile", raising=False)
    monkeypatch.setattr(viewer.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(viewer.subprocess, "Popen", lambda args, **kw: calls.append(args))
    assert plots.open_in_viewer(f) is True
    assert calls == [["/usr/bin/" + tool, str(f)]]


def test_open_in_viewer_windows(tmp_path, monkeypatch):
    f = tmp_path / "a.png"
    f.write_bytes(PNG_MAGIC)
    opened = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "startfile", opened.append, raising=False)
    assert plots.open_in_viewer(f) is True
    assert opened == [str(f)]


def test_open_in_viewer_missing_file(tmp_path):
    with pytest.raises(BadFile, match="does not exist"):
        plots.open_in_viewer(tmp_path / "gone.png")
