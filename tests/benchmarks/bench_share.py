"""Sharing benchmark (issue #4): gx push / gx pull vs git push / git fetch of the same experiment refs.

Run by hand:  python tests/benchmarks/bench_share.py [--runs 10000] [--more 10] [--transport path|ssh|both]
Figures go to docs/performance.md. Not collected by pytest (no test_ functions).

One source repository gets ``--runs`` runs (10 params, 5 metrics x 10 steps, the same source commit),
written straight into a pack. Each tool pushes them to its own bare remote, a fresh clone fetches
them, then ``--more`` runs are added and pushed and fetched again (the incremental case). Bytes are
what the receiving repository stored: receiving sides keep packs as sent (``unpackLimit=1``).
``ssh`` goes through a stand-in ``ssh`` that runs the command locally, so both tools speak the wire
protocol to the real ``git-receive-pack`` / ``git-upload-pack``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1")
GX = [sys.executable, "-m", "gx"]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def add_runs(repo: Path, count: int, seed: int) -> None:
    """Append ``count`` runs to refs/experiments/bench through the store code, as one pack."""
    from gx.records import FINISHED, MetricPoint, RunRecord
    from gx.store import objects as gobj
    from gx.store.encode import encode_files
    from gx.store.repo import Store
    from gx.store.write import run_subject

    rng = random.Random(seed)
    with Store.open(repo) as store:
        source = store.repo.refs[b"HEAD"]
        parent = store.tip("bench") or store.init_commit("bench").id
        objects: list = []
        now = time.time() - count
        for i in range(count):
            rec = RunRecord(uuid.UUID(int=rng.getrandbits(128)).hex, "bench", f"run-{seed}-{i}", FINISHED,
                            start_time=now + i - 1, end_time=now + i)
            rec.params = {f"p{k}": round(rng.random(), 4) for k in range(10)}
            rec.metrics = {f"m{k}": [MetricPoint(s, now + i, rng.random()) for s in range(10)] for k in range(5)}
            rec.source = {"commit": source.decode()}
            tree = gobj.build_tree(encode_files(rec), objects)
            trailers = {"Gx-Kind": "run", "Gx-Run": rec.run_id, "Gx-Experiment": "bench",
                        "Gx-Source": source.decode(), "Gx-Format": "1"}
            commit = gobj.make_commit(tree, [parent, source], run_subject(rec), trailers, b"b <b@x>", now + i, tz=0)
            objects.append(commit)
            parent = commit.id
        unique = {o.id: o for o in objects}
        store.repo.object_store.add_objects([(o, None) for o in unique.values()])
        store.repo.refs[b"refs/experiments/bench"] = parent


def stored_bytes(repo: Path) -> dict[str, int]:
    objects = repo / "objects" if (repo / "objects").is_dir() else repo / ".git" / "objects"
    return {str(p): p.stat().st_size for p in objects.rglob("*") if p.is_file()}


def measure(cmd: list[str], cwd: Path, receiver: Path) -> tuple[float, int]:
    before = stored_bytes(receiver)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
    after = stored_bytes(receiver)
    return took, sum(size for path, size in after.items() if before.get(path) != size)


def run(runs: int, more: int, transport: str, root: Path) -> list[tuple[str, float, int, float, int]]:
    base = root / transport
    source = base / "source"
    source.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=source)
    (source / "train.py").write_text("print('train')\n")
    git("add", ".", cwd=source)
    git("commit", "-qm", "code", cwd=source)
    t0 = time.perf_counter()
    add_runs(source, runs, seed=1)
    print(f"[{transport}] wrote {runs} runs in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    ssh = base / "fake-ssh"
    ssh.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    ssh.chmod(0o755)
    ENV["GIT_SSH_COMMAND"] = str(ssh)

    def url(path: Path) -> str:
        return f"ssh://localhost{path}" if transport == "ssh" else str(path)

    sides = {}
    for tool in ("gx", "git"):
        remote, clone = base / f"{tool}-remote.git", base / f"{tool}-clone"
        git("init", "-q", "--bare", str(remote), cwd=base)
        git("config", "receive.unpackLimit", "1", cwd=remote)
        git("push", "-q", str(remote), "main", cwd=source)
        git("clone", "-q", str(remote), str(clone), cwd=base)
        git("config", "fetch.unpackLimit", "1", cwd=clone)
        sides[tool] = (remote, clone)
    spec = "refs/experiments/*:refs/experiments/*"
    commands = {
        "gx": (lambda r: [*GX, "push", url(r)], lambda r: [*GX, "pull", url(r)]),
        "git": (lambda r: ["git", "push", "-q", url(r), spec], lambda r: ["git", "fetch", "-q", url(r), spec]),
    }
    rows = []
    for label, count in ((f"{runs} runs", runs), (f"+{more} runs", more)):
        if count == more:
            add_runs(source, more, seed=2)
        cells: dict[str, list[float | int]] = {}
        for tool, (remote, clone) in sides.items():
            push, fetch = commands[tool]
            cells[tool] = [*measure(push(remote), source, remote), *measure(fetch(remote), clone, clone)]
        for i, what in ((0, "push"), (2, "fetch")):
            rows.append((f"{transport}: {what} {label}", cells["gx"][i], cells["gx"][i + 1],
                         cells["git"][i], cells["git"][i + 1]))
    for tool, (_, clone) in sides.items():
        assert git("rev-parse", "refs/experiments/bench", cwd=clone) == git("rev-parse", "refs/experiments/bench",
                                                                              cwd=source), tool
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--more", type=int, default=10)
    parser.add_argument("--transport", choices=["path", "ssh", "both"], default="both")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gx-bench-share-"))
    rows = []
    for transport in (["path", "ssh"] if args.transport == "both" else [args.transport]):
        rows += run(args.runs, args.more, transport, root)
    print(f"{'measure':28} {'gx s':>8} {'gx MiB':>8} {'git s':>8} {'git MiB':>8} {'time ratio':>10}")
    for name, gx_s, gx_b, git_s, git_b in rows:
        print(f"{name:28} {gx_s:8.2f} {gx_b / 2**20:8.2f} {git_s:8.2f} {git_b / 2**20:8.2f} "
              f"{gx_s / max(git_s, 1e-9):9.1f}x")


if __name__ == "__main__":
    main()
