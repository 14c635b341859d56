"""Sharing benchmark (issue 9): gx push / pull / sync against plain git on the same experiment refs.

Run by hand:  python tests/benchmarks/bench_share.py [--runs 1000,10000 (default 1000)] [--more 10] [--transport path,ssh]
              [--storage packed,loose] [--repeat 3] [--json PATH] [--against OTHER_TREE/src]
Figures go to docs/performance.md (Sharing). Not collected by pytest (no test_ functions).

A source repository gets ``--runs`` runs (10 params, 5 metrics x 10 steps, one source commit), its
objects in one pack ("packed") or loose ("loose", as runs recorded one by one leave them). Each tool
has its own bare remote and two clones of it. Full: push the runs to the empty remote, pull them into
one clone, sync the other (it receives everything, sends nothing). Incremental: ``--more`` runs more
in the source, pushed, pulled, and synced likewise. The peers: ``git push`` / ``git fetch`` of
``refs/experiments/*`` and, for sync, ``git fetch`` then ``git push``. ``ssh`` goes through a stand-in
``ssh`` that runs the command locally, so both tools speak the wire protocol to the real
``git-upload-pack`` / ``git-receive-pack``; ``--ssh-latency S`` makes each of its connections wait S
seconds first, as a real server's round trips and handshake do. A third side, ``py+git``, is the
floor for any tool written in Python that drives git: one Python process (the same interpreter,
``site`` and all) that only runs the peer's git commands. ``--against`` adds a fourth: gx from
another tree (its ``src`` put first on ``PYTHONPATH``), every command alternating with this tree's in
each round, for a before/after. Each figure is the median of ``--repeat`` rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1")
#: An installed gx has its bytecode compiled (pip does it); without this every gx command would
#: compile its modules again (0.3 s and more) where PYTHONDONTWRITEBYTECODE is set.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
GX = [sys.executable, "-m", "gx"]
#: The floor: a Python process that does nothing but run the peer's git commands one after the other.
FLOOR = [sys.executable, "-c", "import json, subprocess, sys\n"
         "for cmd in json.loads(sys.argv[1]): subprocess.run(cmd, check=True)"]
SPEC = "refs/experiments/*:refs/experiments/*"
TARGET = 1.5
#: ``--against``: the other tree's ``src``, run as the tool "gx@against".
AGAINST: list[str] = []


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def add_runs(repo: Path, count: int, seed: int, loose: bool = False) -> None:
    """Append ``count`` runs to refs/experiments/bench through the store code, as one pack or loose."""
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
        if loose:
            for obj in unique.values():
                store.repo.object_store.add_object(obj)
        else:
            store.repo.object_store.add_objects([(o, None) for o in unique.values()])
        store.repo.refs[b"refs/experiments/bench"] = parent


def timed(*commands: list[str], cwd: Path, env: dict[str, str] = ENV) -> tuple[float, float]:
    """Wall time and CPU time (user + system, every child process included) of ``commands`` run one
    after the other (each must succeed). CPU time is what to compare on a loaded machine."""
    took = cpu = 0.0
    for cmd in commands:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
        took += time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
    return took, cpu


def make_source(root: Path, runs: int, storage: str) -> Path:
    source = root / f"source-{runs}-{storage}"
    if source.exists():
        return source
    source.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=source)
    (source / "train.py").write_text("print('train')\n")
    git("add", ".", cwd=source)
    git("commit", "-qm", "code", cwd=source)
    t0 = time.perf_counter()
    add_runs(source, runs, seed=1, loose=storage == "loose")
    print(f"wrote {runs} runs ({storage}) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return source


def one_round(template: Path, runs: int, more: int, transport: str, storage: str, base: Path) -> dict[str, float]:
    """Every figure of one scenario once: ``{"<tool> <verb> <full|incremental>": seconds}``."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    source = base / "source"
    shutil.copytree(template, source, symlinks=True)

    def url(path: Path) -> str:
        return f"ssh://localhost{path}" if transport == "ssh" else str(path)

    sides = {}
    for tool in ("gx", "git", "py+git", *(["gx@against"] if AGAINST else [])):
        remote, clone, mate = base / f"{tool}-remote.git", base / f"{tool}-clone", base / f"{tool}-mate"
        git("init", "-q", "--bare", "-b", "main", str(remote), cwd=base)
        git("push", "-q", str(remote), "main", cwd=source)
        for other in (clone, mate):
            git("clone", "-q", "--no-local", str(remote), str(other), cwd=base)
        sides[tool] = (url(remote), clone, mate)
    commands = {
        "gx": {"push": lambda r: [[*GX, "push", r]], "pull": lambda r: [[*GX, "pull", r]],
               "sync": lambda r: [[*GX, "sync", r]]},
        "git": {"push": lambda r: [["git", "push", "-q", r, SPEC]], "pull": lambda r: [["git", "fetch", "-q", r, SPEC]],
                "sync": lambda r: [["git", "fetch", "-q", r, SPEC], ["git", "push", "-q", r, SPEC]]},
    }
    commands["py+git"] = {verb: (lambda r, peer=peer: [[*FLOOR, json.dumps(peer(r))]])
                          for verb, peer in commands["git"].items()}
    commands["gx@against"] = commands["gx"]
    envs = {"gx@against": dict(ENV, PYTHONPATH=AGAINST[0])} if AGAINST else {}
    out: dict[str, float] = {}
    for phase in ("full", "incremental"):
        if phase == "incremental":
            add_runs(source, more, seed=2, loose=storage == "loose")
        for tool, (remote, clone, mate) in sides.items():
            verbs = commands[tool]
            for verb, where in (("push", source), ("pull", clone), ("sync", mate)):
                out[f"{tool} {verb} {phase}"], out[f"{tool} {verb} {phase} cpu"] = timed(
                    *verbs[verb](remote), cwd=where, env=envs.get(tool, ENV))
    want = git("rev-parse", "refs/experiments/bench", cwd=source)
    for tool, (_, clone, mate) in sides.items():
        for repo in (clone, mate):
            assert git("rev-parse", "refs/experiments/bench", cwd=repo) == want, (tool, repo)
    return out


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def figures(runs: int, more: int, transport: str, storage: str, rounds: list[dict[str, float]]) -> list[dict]:
    peers = {"push": "git push", "pull": "git fetch", "sync": "git fetch + git push"}
    out = []
    for phase in ("full", "incremental"):
        for verb in ("push", "pull", "sync"):
            gx_s = statistics.median(r[f"gx {verb} {phase}"] for r in rounds)
            git_s = statistics.median(r[f"git {verb} {phase}"] for r in rounds)
            gx_cpu = statistics.median(r[f"gx {verb} {phase} cpu"] for r in rounds)
            git_cpu = statistics.median(r[f"git {verb} {phase} cpu"] for r in rounds)
            floor_s = statistics.median(r[f"py+git {verb} {phase}"] for r in rounds)
            amount = f"{_size(runs)} runs" if phase == "full" else f"+{more} runs onto {_size(runs)}"
            out.append({"figure": f"gx {verb} {amount}, {storage}, {transport} remote", "gx_s": round(gx_s, 3),
                        "peer": peers[verb], "peer_s": round(git_s, 3), "target": f"<= {TARGET}x git",
                        "met": gx_s <= TARGET * git_s, "gx_cpu_s": round(gx_cpu, 3), "peer_cpu_s": round(git_cpu, 3),
                        "floor_s": round(floor_s, 3)})
            if AGAINST:
                out[-1]["against_s"] = round(statistics.median(r[f"gx@against {verb} {phase}"] for r in rounds), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default="1000", help="comma-separated run counts (the issue: 1000,10000)")
    parser.add_argument("--more", type=int, default=10)
    parser.add_argument("--transport", default="path,ssh", help="path, ssh or both comma-separated")
    parser.add_argument("--storage", default="packed,loose", help="packed, loose or both comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--ssh-latency", type=float, default=0.0, help="seconds each ssh connection waits first")
    parser.add_argument("--json", help="also write the figures there (the issue-9 benchmark contract)")
    parser.add_argument("--against", help="another tree's src directory: its gx timed alongside, for a before/after")
    args = parser.parse_args()
    if args.against:
        AGAINST.append(str(Path(args.against).resolve()))
    root = Path(tempfile.mkdtemp(prefix="gx-bench-share-"))
    ssh = root / "fake-ssh"
    wait = f"sleep {args.ssh_latency}\n" if args.ssh_latency > 0 else ""
    ssh.write_text(f'#!/bin/sh\n{wait}for last; do :; done\nexec sh -c "$last"\n')
    ssh.chmod(0o755)
    ENV["GIT_SSH_COMMAND"] = str(ssh)
    ENV["GIT_SSH_VARIANT"] = "ssh"  # speak protocol v2 over it, as to a real OpenSSH
    results = []
    subprocess.run([*GX, "--help"], env=ENV, capture_output=True, check=True)  # bytecode written once
    for src in (str(Path(__file__).resolve().parents[2] / "src"), *AGAINST):
        subprocess.run([sys.executable, "-m", "compileall", "-q", src], env=ENV, capture_output=True)
    try:
        for runs in (int(n) for n in args.runs.split(",")):
            for storage in args.storage.split(","):
                template = make_source(root, runs, storage)
                for transport in args.transport.split(","):
                    rounds = [one_round(template, runs, args.more, transport, storage, root / "round")
                              for _ in range(args.repeat)]
                    results += figures(runs, args.more, transport, storage, rounds)
                shutil.rmtree(template)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'figure':52} {'gx s':>7} {'peer':>20} {'peer s':>7} {'ratio':>6}  {'py+git s':>8} {'floor/peer':>10}  "
          f"{'cpu gx/peer s':>14} {'ratio':>6}  target" + ("      against s" if AGAINST else ""))
    for f in results:
        print(f"{f['figure']:52} {f['gx_s']:7.3f} {f['peer']:>20} {f['peer_s']:7.3f} "
              f"{f['gx_s'] / max(f['peer_s'], 1e-9):5.1f}x  {f['floor_s']:8.3f} "
              f"{f['floor_s'] / max(f['peer_s'], 1e-9):9.1f}x  {f['gx_cpu_s']:6.2f}/{f['peer_cpu_s']:<6.2f} "
              f"{f['gx_cpu_s'] / max(f['peer_cpu_s'], 1e-9):5.1f}x  {f['target']} {'met' if f['met'] else 'NOT met':7}"
              + (f"  {f['against_s']:7.3f}" if AGAINST else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
