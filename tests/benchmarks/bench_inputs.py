"""Inputs benchmark (issue 15): peak memory and time of ``gx run --input`` on a large file.

Run by hand:  python tests/benchmarks/bench_inputs.py [--gib 1] [--rounds 3]
Not collected by pytest (no test_ functions). Each ``gx run --input BIG -- true`` is a fresh process
whose peak RSS (``wait4``'s ru_maxrss) is compared with the same command given no input, so the
figure is what hashing adds. The file is real data on disk (a random 1 MiB block repeated), read
cold only on the first round: later rounds read from the page cache, as a second run would.
The hash cache is removed before each hashing round; a second case reruns on the unchanged file (the
cached hash is used), a third puts a ``.dvc`` record beside it (DVC's md5 is used). Neither reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, env=ENV, capture_output=True)


def make_repo(gib: float) -> tuple[Path, str]:
    root = Path(tempfile.mkdtemp(prefix="gx-bench-inputs-"))
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("bench\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    block = os.urandom(1024 * 1024)
    digest = hashlib.md5()
    with open(root / "big.bin", "wb") as fh:
        for _ in range(int(gib * 1024)):
            fh.write(block)
            digest.update(block)
    return root, digest.hexdigest()


def measure(root: Path, *args: str) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of one ``gx run`` process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gx", "run", "-q", *args, "--", "true"], cwd=root, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"gx run failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    root, md5 = make_repo(opts.gib)
    size = (root / "big.bin").stat().st_size
    try:
        hashed = f"--input big.bin ({size / 2**30:g} GiB), hashed"
        cases = {"no input": [], hashed: ["--input", "big.bin"]}
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
        cache = root / ".git" / "gx" / "cache" / "input-hashes.json"
        for _ in range(opts.rounds):
            for name, args in cases.items():
                cache.unlink(missing_ok=True)  # read it every time: this case measures the hashing
                results[name].append(measure(root, *args))
        measure(root, "--input", "big.bin")  # hashed once more, and remembered
        results["--input big.bin, unchanged since hashed"] = [
            measure(root, "--input", "big.bin") for _ in range(opts.rounds)]
        cache.unlink(missing_ok=True)
        (root / "big.bin.dvc").write_text(f"outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: big.bin\n")
        results["--input big.bin, DVC-tracked"] = [measure(root, "--input", "big.bin") for _ in range(opts.rounds)]
        base_rss = statistics.median(r for _, r in results["no input"])
        print(f"{'case':40} {'median s':>9} {'max s':>7} {'peak RSS MiB':>13} {'+ vs no input':>14}")
        for name, rows in results.items():
            seconds = [s for s, _ in rows]
            rss = statistics.median(r for _, r in rows)
            print(f"{name:40} {statistics.median(seconds):9.2f} {max(seconds):7.2f} {rss / 1024:13.1f} "
                  f"{(rss - base_rss) / 1024:+13.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
