"""Hooks benchmark (issue #4): what gx's hooks add to ``git commit`` on a repository with 10k runs.

Run by hand:  python tests/benchmarks/bench_hooks.py [--runs 10000] [--commits 5] [--rounds 4] [--json PATH]
              [--against OTHER/src]   (also that tree's hooks, commits alternating with this one's)
Not collected by pytest (no test_ functions). ``--json`` writes the figures in the issue-9 benchmark
contract's shape (``tests/benchmarks/bench_speed.py`` collects them). The 10k runs are on the autolog experiment itself
(the worst case for the duplicate check), written in one pack with the store's own encoding.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Hooks run as users run them: with bytecode caches (an installed gx has its .pyc files).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
GX_YAML = "autolog:\n  experiment: commits\n  params: [params.yaml]\n  metrics: [metrics.json]\n"


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, env=env or ENV, capture_output=True)


def make_repo(runs: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="gx-bench-hooks-"))
    git(root, "init", "-q", "-b", "main")
    (root / "gx.yaml").write_text(GX_YAML)
    (root / "params.yaml").write_text("alpha: 0.1\nepochs: 30\n")
    (root / "metrics.json").write_text('{"rmse": 1.0}\n')
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    started = time.perf_counter()
    write_runs(root, runs)
    print(f"wrote {runs} runs in {time.perf_counter() - started:.1f}s to {root}")
    return root


def write_runs(root: Path, runs: int) -> None:
    """Runs shaped like autolog's (one key tag each), one pack and one ref update for all of them."""
    from gx.hooks.commit_runs import KEY_TAG
    from gx.records import FINISHED, MetricPoint, RunRecord
    from gx.store import objects as gobj
    from gx.store.encode import FORMAT_VERSION, encode_files
    from gx.store.repo import Store
    from gx.store.write import run_subject

    with Store.open(root) as store:
        parent = store.init_commit("commits").id
        identity, t0 = store.identity(), time.time() - runs * 60
        objects: dict[bytes, object] = {}
        for i in range(runs):
            when = t0 + i * 60
            rec = RunRecord(run_id=uuid.uuid4().hex, experiment="commits", name=f"{i:07x} commit {i}",
                            status=FINISHED, start_time=when, end_time=when)
            rec.params = {"alpha": 0.1 + i % 7, "epochs": 30}
            rec.metrics = {"rmse": [MetricPoint(0, when, 1.0 / (i + 1))]}
            rec.tags = {"gx.source": "post-commit", KEY_TAG: hashlib.sha1(str(i).encode()).hexdigest()}
            new: list = []
            tree = gobj.build_tree(encode_files(rec), new)
            trailers = {"Gx-Kind": gobj.KIND_RUN, "Gx-Run": rec.run_id, "Gx-Experiment": "commits",
                        "Gx-Format": str(FORMAT_VERSION)}
            commit = gobj.make_commit(tree, [parent], run_subject(rec), trailers, identity, when, tz=0)
            new.append(commit)
            objects.update((o.id, o) for o in new)
            parent = commit.id
        store.repo.object_store.add_objects([(o, None) for o in objects.values()])
        store.repo.refs[b"refs/experiments/commits"] = parent


_STEP = itertools.count()


def adopt_orphans() -> bool:
    """Become the subreaper of this benchmark's descendants (Linux), so the CPU time of a hook's
    detached helper is counted with the commit's (it would otherwise go to init)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _children_cpu_ms() -> float:
    while True:  # reap adopted helpers (each exits as soon as it has recorded the commit)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


CPU: dict[str, list[float]] = {}


def commit_ms(root: Path, commits: int, git_flags: tuple[str, ...] = (), cold: bool = False,
              env: dict[str, str] | None = None, label: str = "") -> list[float]:
    """Times of ``commits`` commits that each write a new metrics.json (after one untimed warm-up);
    the CPU time of each (git, hooks and helper together) goes to ``CPU[label]``."""
    times = []
    for _ in range(commits + 1):
        (root / "metrics.json").write_text(f'{{"rmse": {1.0 / (next(_STEP) + 2)!r}}}\n')
        git(root, "add", "metrics.json")
        if cold:
            (root / ".git" / "gx" / "autolog-keys").unlink(missing_ok=True)
        cpu0 = _children_cpu_ms()
        t0 = time.perf_counter()
        git(root, *git_flags, "commit", "-qm", "step", env=env)
        times.append((time.perf_counter() - t0) * 1000)
        CPU.setdefault(label, []).append(_children_cpu_ms() - cpu0)
    CPU[label].pop(-commits - 1)  # the warm-up
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=5, help="commits per configuration and round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds (configurations interleaved against drift)")
    parser.add_argument("--json", type=Path, help="also write the figures there as JSON (issue-9 contract)")
    parser.add_argument("--against", type=Path, help="another tree's src/: its hooks too, alternating (before/after)")
    args = parser.parse_args()
    root = make_repo(args.runs)
    adopted = adopt_orphans()
    from gx.hooks.manage import install

    install(["pre-commit", "post-commit"], start=str(root))
    no_hooks = ("-c", f"core.hooksPath={root / 'no-hooks'}")
    other_hooks, other_env = ("-c", f"core.hooksPath={root / '.git' / 'hooks-against'}"), {**ENV, "PYTHONPATH": str(args.against)}
    if args.against:
        (root / ".git" / "hooks-against").mkdir()
        write = ("import pathlib, sys; from gx.hooks.manage import shim_text\nfor hook in ('pre-commit', 'post-commit'):\n"
                 "    path = pathlib.Path(sys.argv[1], hook); path.write_text(shim_text(hook)); path.chmod(0o755)")
        subprocess.run([sys.executable, "-c", write, str(root / ".git" / "hooks-against")], check=True, env=other_env)
    times: dict[str, list[float]] = {"plain": [], "warm": [], "cold": [], "off": [], "against": []}
    for _ in range(args.rounds):  # configurations interleaved, so machine load hits them alike
        times["plain"] += commit_ms(root, args.commits, no_hooks, label="plain")
        times["warm"] += commit_ms(root, args.commits, label="warm")
        if args.against:
            times["against"] += commit_ms(root, args.commits, other_hooks, env=other_env, label="against")
        times["cold"] += commit_ms(root, args.commits, cold=True, label="cold")
        (root / "gx.yaml").write_text("# no autolog\n")
        git(root, "add", "gx.yaml")
        git(root, *no_hooks, "commit", "-qm", "autolog off")
        times["off"] += commit_ms(root, args.commits, label="off")
        (root / "gx.yaml").write_text(GX_YAML)
        git(root, "add", "gx.yaml")
        git(root, *no_hooks, "commit", "-qm", "autolog on")
    med = {k: statistics.median(v) for k, v in times.items() if v}
    base = med["plain"]
    count = subprocess.run(["git", "rev-list", "--first-parent", "--count", "refs/experiments/commits"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"git commit, median of {len(times['warm'])}; {args.runs} runs on the autolog experiment ({count} commits now):")
    print(f"  no hooks                                     {base:7.1f} ms")
    print(f"  hooks, key cache warm (the usual case)       {med['warm']:7.1f} ms  (+{med['warm'] - base:.0f} ms)")
    print(f"  hooks, key cache deleted before each commit  {med['cold']:7.1f} ms  (+{med['cold'] - base:.0f} ms)")
    print(f"  hooks installed, gx.yaml without autolog     {med['off']:7.1f} ms  (+{med['off'] - base:.0f} ms)")
    if args.against:
        print(f"  {args.against}'s hooks, key cache warm  {med['against']:7.1f} ms  (+{med['against'] - base:.0f} ms)")
    if adopted:
        cpu = {k: statistics.median(v) for k, v in CPU.items() if v}
        print("  CPU time of the commit (git, hooks, helper), median:", ", ".join(f"{k} {v:.0f} ms" for k, v in cpu.items()))
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        peer = {"peer": "git commit, no hooks", "peer_s": round(base / 1000, 6)}
        figures = [
            {"figure": f"git commit + gx hooks, autolog on, {args.runs} runs", "gx_s": round(med["warm"] / 1000, 6),
             **peer, "target": "< 150 ms", "met": med["warm"] < 150},
            {"figure": f"git commit + gx hooks, autolog on, {args.runs} runs, key cache deleted",
             "gx_s": round(med["cold"] / 1000, 6), **peer, "target": "(rare: after a clone)", "met": None},
            {"figure": "git commit + gx hooks, gx.yaml without autolog", "gx_s": round(med["off"] / 1000, 6), **peer,
             "target": "< git + 30 ms", "met": med["off"] - base < 30},
        ]
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
