"""gx ui in a real headless Chromium (Debian's ``chromium`` package driven by Playwright).

No browser: these tests skip, unless ``GX_REQUIRE_BROWSER=1`` (CI) makes that a failure. Each test
saves a 1280x800 screenshot of its page to ``GX_UI_SCREENSHOTS`` or a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ui_helpers import running_server, seed_runs

BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def _browser_path() -> str | None:
    return next((p for p in BROWSERS if os.path.exists(p)), None) or shutil.which("chromium")


def _missing(reason: str) -> None:
    if os.environ.get("GX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (GX_REQUIRE_BROWSER=1); install one with: apt-get install -y chromium")
    pytest.skip(f"{reason}; install one with: apt-get install -y chromium")


@pytest.fixture(scope="module")
def browser():
    path = _browser_path()
    if path is None:
        _missing("no Chromium found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("GX_UI_SCREENSHOTS") or tmp_path_factory.mktemp("ui-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def app(repo, browser):
    """A seeded repository, its server, and a 1280x800 page that fails the test on any script error."""
    ids = seed_runs(repo.path)
    with running_server(repo.path) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, base, ids, repo
        page.close()
        assert not errors, errors


def visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def names_in_table(page) -> list[str]:
    return page.locator("#runs tbody tr:visible td:nth-child(2) a").all_inner_texts()


def test_runs_table_lists_filters_and_sorts(app, shots):
    page, base, ids, _ = app
    visit(page, f"{base}/?metric=rmse&goal=min")
    assert page.locator("#experiments tbody tr").count() == 1
    assert "run-0" in page.locator("#experiments tbody").inner_text()  # the best rmse
    page.screenshot(path=shots / "experiments.png")
    visit(page, f"{base}/runs?experiment=demo")
    assert sorted(names_in_table(page)) == ["run-0", "run-1", "run-2"]  # the nested run is folded
    page.click("button.fold")
    assert "child-of-0" in names_in_table(page)
    page.click("th[data-key='metrics.rmse']")
    page.wait_for_url("**order_by=metrics.rmse**")
    page.wait_for_selector("th[data-key='metrics.rmse']:has-text('▲')")
    assert names_in_table(page) == ["run-0", "run-1", "run-2"]
    page.click("th[data-key='metrics.rmse']")
    page.wait_for_selector("th[data-key='metrics.rmse']:has-text('▼')")
    assert names_in_table(page) == ["run-2", "run-1", "run-0"]
    page.fill("#filter", "params.alpha > 0.2")
    page.press("#filter", "Enter")
    page.wait_for_selector("#page-info:has-text('of 2')")
    assert names_in_table(page) == ["run-2", "run-1"]
    assert page.locator("td.best").count() >= 1
    page.screenshot(path=shots / "runs.png")
    visit(page, page.url)  # the URL alone reproduces the view
    assert names_in_table(page) == ["run-2", "run-1"]
    assert page.input_value("#filter") == "params.alpha > 0.2"


def test_bad_filter_shows_its_error_inline_at_the_caret(app, shots):
    page, base, _, _ = app
    visit(page, f"{base}/runs")
    page.fill("#filter", "metrics.rmse < 1 and")
    page.press("#filter", "Enter")
    error = page.locator("#filter-error")
    error.wait_for()
    lines = error.locator("pre").inner_text().splitlines()
    assert lines[0] == "metrics.rmse < 1 and" and lines[1] == " " * len("metrics.rmse < 1 and") + "^"
    page.screenshot(path=shots / "filter-error.png")


def test_run_page_draws_charts_and_artifacts_without_running_hostile_ones(app, shots):
    page, base, ids, _ = app
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    visit(page, f"{base}/run?id={ids['run-0']}")
    page.wait_for_selector("#charts polyline.series")
    loss = page.locator("[data-metric='loss'] polyline.series")
    assert loss.count() == 1 and loss.get_attribute("data-points") == "30"
    assert len(loss.get_attribute("points").split()) == 30  # every step drawn
    assert page.locator("[data-metric='rmse'] circle.series").count() == 1  # a one-step metric is a dot
    assert page.locator("#charts .tick").count() > 8  # axes have labels
    image = page.locator("img.artifact-image")
    image.wait_for()
    deadline = time.time() + 10
    while not image.evaluate("img => img.complete && img.naturalWidth") and time.time() < deadline:
        time.sleep(0.1)
    assert image.evaluate("img => img.naturalWidth") == 8
    assert "epoch,loss" in page.locator("#artifacts pre.preview").first.inner_text()
    assert page.locator("pre.diff .add").count() >= 1  # the dirty diff, rendered
    assert page.locator("iframe").count() == 0 and page.locator("#artifacts img[src*=evil]").count() == 0
    page.screenshot(path=shots / "run.png")
    # hovering a chart shows the values under the pointer
    box = page.locator("[data-metric='loss'] svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "loss:" in page.locator("[data-metric='loss'] .tooltip").inner_text()
    # drag across the chart zooms into those steps; a double-click shows them all again
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    zoomed = page.locator("[data-metric='loss'] polyline.series").get_attribute("points").split()
    assert 3 < len(zoomed) < 20
    page.locator("[data-metric='loss'] svg").dblclick()
    assert len(page.locator("[data-metric='loss'] polyline.series").get_attribute("points").split()) == 30
    # Shift+wheel zooms in around the pointer; a plain wheel leaves the chart alone (it scrolls the page)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -120)
    assert len(page.locator("[data-metric='loss'] polyline.series").get_attribute("points").split()) == 30
    page.keyboard.down("Shift")
    for _ in range(3):
        page.mouse.wheel(0, -120)
    page.keyboard.up("Shift")
    assert len(page.locator("[data-metric='loss'] polyline.series").get_attribute("points").split()) < 25
    page.locator("[data-metric='loss'] svg").dblclick()
    # log scale redraws the chart
    page.locator("[data-metric='loss'] .log-toggle").check()
    assert page.locator("[data-metric='loss'] polyline.series").count() == 1
    # opening the hostile artifacts directly: downloads, never a page of the app's origin
    for name in ("evil.html", "evil.svg"):
        with page.expect_download() as download:
            page.evaluate("url => { const a = document.createElement('a'); a.href = url; document.body.appendChild(a); a.click(); }",
                          f"/api/run/{ids['run-0']}/artifact/{name}")
        assert download.value.suggested_filename == name
    time.sleep(0.3)
    assert page.title() != "PWNED" and page.evaluate("window.pwned") is None and not dialogs


def test_compare_shows_only_differing_keys_and_draws_them(app, shots):
    page, base, ids, _ = app
    visit(page, f"{base}/runs?experiment=demo")
    for name in ("run-0", "run-2"):
        page.locator(f"tr[data-run='{ids[name]}'] input.pick").check()
    page.click("#compare-btn")
    page.wait_for_url("**/compare?runs=**")
    page.wait_for_selector("#compare-charts polyline.series")
    keys = page.locator("#diff tbody th").all_inner_texts()
    assert keys == ["source", "params.alpha", "metrics.loss", "metrics.rmse"]
    assert page.locator("#compare-charts [data-metric='loss'] polyline.series").count() == 2
    page.locator("#compare-charts [data-metric='loss'] .legend-item", has_text="run-2").click()  # hide a series
    assert page.locator("#compare-charts [data-metric='loss'] polyline.series").count() == 1
    assert page.locator("#diff td.best").count() == 2  # the better loss and rmse stand out
    assert page.locator("#scatter circle.dot-point").count() == 2
    assert page.locator("#parallel polyline.pc-line").count() == 2
    page.screenshot(path=shots / "compare.png")


def test_csv_export_downloads_the_view(app):
    page, base, ids, _ = app
    visit(page, f"{base}/runs?experiment=demo&order_by=metrics.rmse%20ASC&columns=metrics.rmse,params.alpha")
    with page.expect_download() as download:
        page.click("#csv")
    assert download.value.suggested_filename == "runs.csv"
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "run_id,name,experiment,status,start_time,duration,metrics.rmse,params.alpha"
    assert [line.split(",")[1] for line in lines[1:]] == ["run-0", "run-1", "run-2", "child-of-0"]


def test_compare_three_runs_draws_a_contour_and_every_code_diff(app, shots):
    page, base, ids, _ = app
    import numpy as np

    import gx

    # a fourth run, on the clean tree (the seeded runs ran on a dirty README)
    with gx.start_run(experiment="demo", run_name="run-3"):
        gx.log_params({"alpha": 0.3, "model": "ridge", "seed": 9})
        gx.log_metric("rmse", 0.9)
        gx.log_input(gx.data.from_numpy(np.arange(6.0), source="data/x.npy", name="x"), context="training")
    run3 = gx.last_active_run().info.run_id
    visit(page, f"{base}/run?id={run3}")
    assert page.locator("#inputs tbody tr td").all_inner_texts()[:2] == ["x", "training"]
    assert "local data/x.npy" in page.locator("#inputs").inner_text()
    visit(page, f"{base}/compare?runs={ids['run-0']},{ids['run-1']},{run3}")
    assert page.inner_text("#data-line") == "data: changed (x [training])"
    assert page.locator("#data-line + p.hint + .table-wrap #diff").count() == 1  # the verdict comes first
    assert page.input_value("#contour-x") == "params.alpha" and page.input_value("#contour-y") == "params.seed"
    assert page.input_value("#contour-z") == "metrics.loss"
    page.select_option("#contour-z", "metrics.rmse")
    assert page.locator("#contour rect.contour-cell").count() == 48 * 30
    assert page.locator("#contour circle.contour-point").count() == 3
    bands = {page.locator("#contour rect.contour-cell").nth(i).get_attribute("data-band") for i in (0, 47, 48 * 30 - 1)}
    assert len(bands) > 1  # the colour follows rmse across the plane
    titles = page.locator("#code-diffs .code-diff").all_inner_texts()
    assert len(titles) == 2 and "run-0 → run-1: same code" in titles[0]
    # run-0 and run-1 ran on the same dirty README; run-3 on the clean one
    assert "run-0 → run-3" in titles[1] and "README.md" in titles[1]
    assert page.locator("#code-diffs pre.diff .del").count() == 1
    page.screenshot(path=shots / "compare-contour.png", full_page=True)


LIVE_SCRIPT = """
import gx, os, time
with gx.start_run(experiment="demo", run_name="live-one"):
    step = 0
    while not os.path.exists("stop") and step < 600:
        gx.log_metric("loss", 1.0 / (step + 1), step=step)
        step += 1
        time.sleep(0.1)
"""


def test_a_run_started_while_the_page_is_open_appears_and_its_curve_grows(app, shots):
    page, base, _, repo = app
    visit(page, f"{base}/runs?experiment=demo")
    assert "live-one" not in names_in_table(page)
    proc = subprocess.Popen([sys.executable, "-c", LIVE_SCRIPT], cwd=repo.path)
    try:
        page.wait_for_selector("#runs a:text('live-one')", timeout=20_000)  # no reload: the page polls
        assert page.locator("#runs tr:has(a:text('live-one')) .badge").inner_text() == "RUNNING"
        page.screenshot(path=shots / "runs-live.png")
        page.click("#runs a:text('live-one')")
        curve = page.locator("[data-metric='loss'] polyline.series")
        curve.wait_for(timeout=20_000)
        first = int(curve.get_attribute("data-points"))
        deadline, grown = time.time() + 20, first
        while grown <= first + 3 and time.time() < deadline:  # the page's CSP forbids eval: poll from here
            time.sleep(0.3)
            grown = int(curve.get_attribute("data-points"))
        assert grown > first + 3, (first, grown)
        page.screenshot(path=shots / "run-live.png")
    finally:
        (repo.path / "stop").write_text("")
        proc.wait(timeout=60)
    assert proc.returncode == 0
    page.wait_for_selector("h1 .badge:text('FINISHED')", timeout=20_000)


def test_registry_page_lists_versions_and_aliases(app, shots):
    page, base, _, _ = app
    import gx
    from models_helpers import logged_sklearn_run

    run_id, _, _ = logged_sklearn_run(gx, run_name="clf")
    gx.register_model(f"runs:/{run_id}/model", "churn")
    gx.MlflowClient().set_registered_model_alias("churn", "champion", 1)
    visit(page, f"{base}/models")
    section = page.locator("[data-model='churn']")
    assert "@champion → v1" in section.locator("h2").inner_text()
    assert section.locator("table.versions tbody tr").count() == 1
    page.screenshot(path=shots / "models.png")
    gx.MlflowClient().set_registered_model_alias("churn", "candidate", 1)  # the page shows it without a reload
    page.wait_for_selector("[data-model='churn'] h2:has-text('@candidate')", timeout=20_000)
