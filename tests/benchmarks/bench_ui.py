"""gx ui benchmarks (issue 13): JSON p50 behind the runs table at 10k (and 100k) runs, first paint of
the runs table in headless Chromium, and a run page with 5 metrics x 10k steps.

Run by hand:  python tests/benchmarks/bench_ui.py [--runs 10000] [--repeat 20] [--dir /tmp/gx-ui-bench]
              python tests/benchmarks/bench_ui.py --after-move [--json out.json]   # issue 9's figure only
Needs Debian's chromium for the browser figures (skipped without it). Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.synthetic import build  # noqa: E402
from ui_helpers import running_server  # noqa: E402


def _get(base: str, path: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(base + path) as resp:
        json.loads(resp.read())
    return time.perf_counter() - t0


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_json(base: str, experiment: str, repeat: int) -> dict[str, float]:
    """p50 per endpoint: the same view again (a page turn) and a new view each time (a new filter)."""
    exp = quote(experiment)
    _get(base, f"/api/runs?experiment={exp}")  # warms the index
    views = {
        "runs page, same view (paging)": lambda i: f"/api/runs?experiment={exp}&offset={50 * (i % 10)}&limit=50",
        "runs page, new sort each time": lambda i: f"/api/runs?experiment={exp}&order_by="
        + quote(f"metrics.{['rmse', 'mae', 'r2', 'loss', 'acc'][i % 5]} {'ASC' if i % 2 else 'DESC'}") + f"&limit={50 + i}",
        "runs page, new filter each time": lambda i: f"/api/runs?experiment={exp}&filter="
        + quote(f"metrics.rmse < 0.{i + 1} and params.model = 'ridge'") + "&order_by=" + quote("metrics.rmse ASC"),
        "all experiments, new filter each time": lambda i: "/api/runs?filter=" + quote(f"params.alpha > 0.{i + 1}"),
        "experiments page": lambda i: f"/api/experiments?metric=rmse&i={i}",
        "version (polled)": lambda i: "/api/version",
    }
    return {name: p50_ms([_get(base, make(i)) for i in range(repeat)]) for name, make in views.items()}


def bench_cold(path: Path, experiment: str, repeat: int) -> float:
    """p50 of the first runs-table request a fresh server answers (as after a new run or a fetch:
    the version changed, so nothing is cached; the SQLite index is warm)."""
    samples = []
    for _ in range(max(3, repeat // 4)):
        with running_server(path) as base:
            samples.append(_get(base, f"/api/runs?experiment={quote(experiment)}&order_by=" + quote("metrics.rmse ASC")))
    return p50_ms(samples)


#: CPU milliseconds (server and client, this process) of the request ``bench_after_ref_move`` times, p50
AFTER_MOVE_CPU = [0.0]


def bench_after_ref_move(path: Path, base: str, experiment: str, repeat: int) -> float:
    """p50 of the first runs-table request after a ref moved under a running server (issue 9): a run is
    recorded through the store, as another process's run would land, then the page asks again."""
    from benchmarks.synthetic import make_record
    from gx.store.repo import Store
    from gx.store.write import write_runs_bulk

    url = f"/api/runs?experiment={quote(experiment)}&order_by=" + quote("metrics.rmse ASC")
    _get(base, url)
    rng = random.Random()
    samples, cpu = [], []
    for i in range(repeat):
        with Store.open(path) as store:
            write_runs_bulk(store, [make_record(i, experiment, rng, time.time())])
        used = time.process_time()  # the server is a thread of this process: its CPU time counts here
        samples.append(_get(base, url))
        cpu.append(time.process_time() - used)
    AFTER_MOVE_CPU[0] = p50_ms(cpu)
    return p50_ms(samples)


def long_run(path: Path) -> str:
    """A run with 5 metrics x 10k steps in the bench repository; returns its id."""
    os.chdir(path)
    import gx

    with gx.start_run(experiment="long-run") as run:
        for step in range(10_000):
            for i, key in enumerate(("loss", "val_loss", "acc", "val_acc", "lr")):
                gx.log_metric(key, 1.0 / (step + 1 + i), step=step)
    return run.info.run_id


def bench_browser(path: Path, base: str, experiment: str, run_id: str, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        for name, url in (("first paint, fresh server: all runs", "/runs"),
                          (f"first paint, fresh server: {experiment}", f"/runs?experiment={quote(experiment)}")):
            samples = []
            for _ in range(3):
                with running_server(path) as fresh:  # nothing cached: as after a run lands or a fetch
                    t0 = time.perf_counter()
                    page.goto(fresh + url)
                    page.wait_for_selector("#runs tbody tr")
                    samples.append(time.perf_counter() - t0)
            out[name] = p50_ms(samples)
        for name, url, ready in (
            (f"first paint: runs table of {experiment}", f"/runs?experiment={quote(experiment)}", "#runs tbody tr"),
            ("first paint: all runs", "/runs", "#runs tbody tr"),
            ("run page, 5 metrics x 10k steps, charts drawn", f"/run?id={run_id}", "[data-metric='val_acc'] polyline.series"),
        ):
            samples = []
            for _ in range(max(3, repeat // 4)):
                t0 = time.perf_counter()
                page.goto(base + url)
                page.wait_for_selector(ready)
                samples.append(time.perf_counter() - t0)
            out[name] = p50_ms(samples)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--after-move", action="store_true", help="only the first JSON after a ref moved (issue 9)")
    parser.add_argument("--json", type=Path, help="write issue 9's figure there (the benchmark contract)")
    args = parser.parse_args()
    path = args.dir or Path(f"/tmp/gx-ui-bench-{args.runs}")
    if not (path / ".git").exists():
        print(f"building {args.runs} runs in {path}: {build(path, args.runs):.1f}s")
    with running_server(path) as base:
        moved = bench_after_ref_move(path, base, "synthetic-00", args.repeat)
    print(f"{args.runs} runs  JSON p50  {'runs page, first request after a ref moved':45s} {moved:8.1f} ms "
          f"(CPU {AFTER_MOVE_CPU[0]:.1f} ms, load {os.getloadavg()[0]:.1f})")
    if args.json:
        args.json.write_text(json.dumps([{
            "figure": f"gx ui: first runs-page JSON after a ref moved, {args.runs:,} runs (p50, server running)",
            "gx_s": round(moved / 1000, 4), "peer": None, "peer_s": None, "target": "p50 < 50 ms",
            "met": moved < 50, "gx_cpu_s": round(AFTER_MOVE_CPU[0] / 1000, 4),
            "load": round(os.getloadavg()[0], 1)}], indent=1))
    if args.after_move:
        return
    run_id = long_run(path)
    print(f"{args.runs} runs  JSON p50  {'runs page, first request at a new version':45s} "
          f"{bench_cold(path, 'synthetic-00', args.repeat):8.1f} ms")
    with running_server(path) as base:
        experiment = "synthetic-00"
        for name, ms in bench_json(base, experiment, args.repeat).items():
            print(f"{args.runs} runs  JSON p50  {name:45s} {ms:8.1f} ms")
        if os.path.exists("/usr/bin/chromium"):
            for name, ms in bench_browser(path, base, experiment, run_id, args.repeat).items():
                print(f"{args.runs} runs  browser   {name:45s} {ms:8.1f} ms")
        else:
            print("no /usr/bin/chromium: browser figures skipped (apt-get install -y chromium)")


if __name__ == "__main__":
    main()
