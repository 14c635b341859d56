"""A hostile remote, built with git plumbing only: malformed runs and refs as another clone could push.

Nothing here calls gx: the point is that the data comes from someone else's clone (another
version of gx, a buggy script, or a hostile teammate). Every function takes the path of a bare
or normal repository and writes objects with ``git hash-object``/``commit-tree``/``update-ref``.

Test modules import it as ``import hostile`` (the tests directory is on ``sys.path``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Union

Pathish = Union[str, "os.PathLike[str]"]

TEAMMATE = ("Tess Teammate", "tess@example.com")
GX_IDENTITY = ("gx", "gx@localhost")
INIT_DATE = 946684800  # gx's fixed experiment root date, 2000-01-01T00:00:00Z
FILE, DIR = "100644", "40000"


# -- plumbing ------------------------------------------------------------------------------------
def git(repo: Pathish, *args: str, input: bytes | None = None, env: dict | None = None,
        check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=str(repo), input=input, capture_output=True, timeout=120,
                          env=dict(os.environ, **(env or {})))
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8", "replace")


def blob(repo: Pathish, data: bytes) -> str:
    return git(repo, "hash-object", "-w", "--stdin", input=data).strip()


def raw_tree(repo: Pathish, entries: list[tuple[str, bytes, str]]) -> str:
    """A tree object written byte for byte (no name checks): ``[(mode, name, sha)]``, sorted as git sorts."""
    def key(entry: tuple[str, bytes, str]) -> bytes:
        return entry[1] + (b"/" if entry[0] == DIR else b"")

    data = b"".join(mode.encode() + b" " + name + b"\0" + bytes.fromhex(sha) for mode, name, sha in
                    sorted(entries, key=key))
    return git(repo, "hash-object", "-t", "tree", "--literally", "-w", "--stdin", input=data).strip()


def tree(repo: Pathish, files: dict[str, bytes], extra: dict[str, list[tuple[str, bytes, str]]] | None = None) -> str:
    """Nested trees for ``{posix path: content}``; ``extra`` adds raw entries to a directory ('' = root)."""
    dirs: dict[str, list[tuple[str, bytes, str]]] = {"": []}
    for path in files:
        parts = path.split("/")
        for i in range(1, len(parts)):
            dirs.setdefault("/".join(parts[:i]), [])
    for d in extra or {}:
        parts = d.split("/") if d else []
        for i in range(1, len(parts) + 1):
            dirs.setdefault("/".join(parts[:i]), [])
    for path, content in files.items():
        parent, _, name = path.rpartition("/")
        dirs[parent].append((FILE, name.encode(), blob(repo, content)))
    for d, entries in (extra or {}).items():
        dirs[d].extend(entries)
    for d in sorted((d for d in dirs if d), key=lambda d: d.count("/"), reverse=True):
        parent, _, name = d.rpartition("/")
        dirs[parent].append((DIR, name.encode(), raw_tree(repo, dirs[d])))
    return raw_tree(repo, dirs[""])


def commit(repo: Pathish, tree_sha: str, parents: list[str], message: str, when: float,
           identity: tuple[str, str] = TEAMMATE) -> str:
    name, email = identity
    date = f"{int(when)} +0000"
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": date}
    args = [arg for p in parents for arg in ("-p", p)]
    return git(repo, "commit-tree", tree_sha, *args, "-F", "-", input=message.encode(), env=env).strip()


def rev(repo: Pathish, ref: str) -> str | None:
    out = git(repo, "rev-parse", "-q", "--verify", ref, check=False).strip()
    return out or None


def is_ancestor(repo: Pathish, commit_sha: str, ref: str) -> bool:
    """Whether ``commit_sha`` is ``ref``'s tip or one of its ancestors (False when ``ref`` is absent)."""
    if rev(repo, ref) is None:
        return False
    return subprocess.run(["git", "merge-base", "--is-ancestor", commit_sha, ref], cwd=str(repo),
                          capture_output=True, timeout=60).returncode == 0


def init_commit(repo: Pathish, experiment: str) -> str:
    """The experiment's root exactly as gx writes it (same object id on every machine)."""
    t = tree(repo, {"experiment.yaml": f"experiment: {experiment}\nformat: 1\n".encode()})
    msg = f"experiment {experiment}\n\nGx-Kind: init\nGx-Experiment: {experiment}\n"
    return commit(repo, t, [], msg, INIT_DATE, GX_IDENTITY)


def append(repo: Pathish, experiment: str, tree_sha: str, message: str, when: float | None = None,
           ref: str | None = None) -> str:
    """Put a commit on top of ``ref`` (default ``refs/experiments/<experiment>``), creating the root if needed."""
    ref = ref or f"refs/experiments/{experiment}"
    old = rev(repo, ref)
    parent = old or init_commit(repo, experiment)
    sha = commit(repo, tree_sha, [parent], message, time.time() if when is None else when)
    git(repo, "update-ref", ref, sha, old or "0" * 40)
    return sha


# -- runs ----------------------------------------------------------------------------------------
def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}Z"


def run_files(run_id: str, experiment: str, name: str, params: dict | None = None,
              metrics: dict[str, float] | None = None, status: str = "FINISHED",
              start: float | None = None, end: float | None = None) -> dict[str, bytes]:
    """The files of a well-formed run (format 1), as gx writes them."""
    end = time.time() if end is None else end
    start = end - 1.0 if start is None else start
    params = {"alpha": 0.1} if params is None else params
    metrics = {"rmse": 0.5} if metrics is None else metrics
    run_yaml = (f"format: 1\nid: {run_id}\nname: {name}\nexperiment: {experiment}\nstatus: {status}\n"
                f"start_time: '{iso(start)}'\nend_time: '{iso(end)}'\nduration: {end - start!r}\n"
                f"author: {TEAMMATE[0]} <{TEAMMATE[1]}>\n")
    files = {
        "run.yaml": run_yaml.encode(),
        "params.yaml": "".join(f"{k}: {v!r}\n" for k, v in params.items()).encode() or b"{}\n",
        "metrics.yaml": "".join(f"{k}:\n  value: {float(v)!r}\n  step: 0\n" for k, v in metrics.items()).encode()
        or b"{}\n",
        "tags.yaml": b"{}\n",
    }
    for k, v in metrics.items():
        files[f"metrics/{k}.tsv"] = f"step\ttimestamp_ms\tvalue\n0\t{int(end * 1000)}\t{float(v)!r}\n".encode()
    return files


def run_message(run_id: str, experiment: str, subject: str) -> str:
    return (f"{subject}\n\nGx-Kind: run\nGx-Run: {run_id}\nGx-Experiment: {experiment}\nGx-Format: 1\n")


def add_run(repo: Pathish, experiment: str, files: dict[str, bytes] | None = None, *, run_id: str | None = None,
            name: str = "tess-run", params: dict | None = None, metrics: dict[str, float] | None = None,
            tree_sha: str | None = None, ref: str | None = None, when: float | None = None) -> str:
    """Append a run commit (its tree from ``files``, ``tree_sha``, or a good run with ``params``/``metrics``);
    returns the run id."""
    run_id = run_id or uuid.uuid4().hex
    if tree_sha is None:
        if files is None:
            files = run_files(run_id, experiment, name, params=params, metrics=metrics)
        tree_sha = tree(repo, files)
    append(repo, experiment, tree_sha, run_message(run_id, experiment, f"{name} [FINISHED]"), when, ref)
    return run_id


#: kind -> (what to replace in a good run's files, words one of which a message about it should name)
MALFORMED: dict[str, tuple[dict[str, bytes], tuple[str, ...]]] = {
    "params-not-yaml": ({"params.yaml": b"alpha: [0.1, 0.2\nbeta: {x: 1\n"}, ("params.yaml", "params")),
    "metrics-scalar": ({"metrics.yaml": b"42\n"}, ("metrics.yaml", "metrics")),
    "metric-entry-scalar": ({"metrics.yaml": b"rmse: 0.25\n"}, ("metrics.yaml", "metrics", "rmse")),
    "start-time-not-date": ({"run.yaml": b"format: 1\nid: {id}\nname: bad\nexperiment: {exp}\nstatus: FINISHED\n"
                                         b"start_time: last tuesday\nend_time: '2026-01-01T00:00:00.000000Z'\n"},
                            ("start_time", "run.yaml")),
    "status-list": ({"run.yaml": b"format: 1\nid: {id}\nname: bad\nexperiment: {exp}\nstatus:\n- FINISHED\n"
                                 b"- FAILED\nstart_time: '2026-01-01T00:00:00.000000Z'\n"
                                 b"end_time: '2026-01-01T00:00:01.000000Z'\n"},
                    ("status", "run.yaml")),
}


def add_malformed_run(repo: Pathish, experiment: str, kind: str, ref: str | None = None) -> str:
    """A run commit whose record is malformed in the way ``kind`` (a key of MALFORMED) says.

    Where its metrics still parse, its rmse (0.01) would beat every good run's."""
    run_id = uuid.uuid4().hex
    files = run_files(run_id, experiment, "bad", metrics={"rmse": 0.01})
    for path, content in MALFORMED[kind][0].items():
        files[path] = content.replace(b"{id}", run_id.encode()).replace(b"{exp}", experiment.encode())
    return add_run(repo, experiment, files, run_id=run_id, name="bad", ref=ref)


#: tree entry names that git fsck rejects (hasDotgit, hasDotdot, emptyName)
BAD_ENTRY_NAMES = {"dotgit": b".git", "dotdot": b"..", "empty": b""}


def add_run_with_entry(repo: Pathish, experiment: str, entry_name: bytes, ref: str | None = None) -> str:
    """A well-formed run whose ``artifacts/`` tree also holds an entry named ``entry_name``."""
    run_id = uuid.uuid4().hex
    files = run_files(run_id, experiment, "sneaky")
    files["artifacts/model.txt"] = b"weights\n"
    payload = blob(repo, b"[core]\n\tfsmonitor = touch /tmp/pwned\n")
    return add_run(repo, experiment, run_id=run_id, name="sneaky", ref=ref,
                   tree_sha=tree(repo, files, {"artifacts": [(FILE, entry_name, payload)]}))


def add_run_with_many_metrics(repo: Pathish, experiment: str, n: int = 200_000) -> str:
    """A run holding ``n`` metric keys (metrics.yaml lists them all; every history is one shared blob)."""
    run_id = uuid.uuid4().hex
    files = run_files(run_id, experiment, "wide", metrics={})
    files["metrics.yaml"] = "".join(f"m{i:06d}:\n  value: {i}.5\n  step: 0\n" for i in range(n)).encode()
    history = blob(repo, b"step\ttimestamp_ms\tvalue\n0\t1000\t1.5\n")
    entries = [(FILE, f"m{i:06d}.tsv".encode(), history) for i in range(n)]
    root = tree(repo, files, {"metrics": entries})
    return add_run(repo, experiment, run_id=run_id, name="wide", tree_sha=root)


def add_tombstone(repo: Pathish, experiment: str, run_id: str, kind: str = "delete", when: float | None = None,
                  name: str = "", ref: str | None = None) -> str:
    """A delete/restore event as ``gx rm``/``gx restore`` write it, claiming the time ``when``."""
    when = time.time() if when is None else when
    content = f"run: {run_id}\naction: {kind}\ntime: {when!r}\n".encode()
    t = tree(repo, {"tombstone.yaml": content})
    msg = (f"{kind} {name or run_id[:8]} ({run_id[:8]})\n\nGx-Kind: {kind}\nGx-Run: {run_id}\n"
           f"Gx-Experiment: {experiment}\nGx-Time: {when!r}\n")
    return append(repo, experiment, t, msg, when=when, ref=ref)


def point_ref_at_blob(repo: Pathish, experiment: str) -> str:
    sha = blob(repo, b"not a commit\n")
    git(repo, "update-ref", f"refs/experiments/{experiment}", sha)
    return sha


def point_ref_at_tree(repo: Pathish, experiment: str) -> str:
    sha = tree(repo, {"experiment.yaml": b"experiment: x\n"})
    git(repo, "update-ref", f"refs/experiments/{experiment}", sha)
    return sha


# -- counting runs from the refs themselves --------------------------------------------------------
def run_trailers(repo: Pathish, ref: str) -> list[str]:
    """Every ``Gx-Run`` of a run commit reachable from ``ref`` (all parents), one per commit."""
    out = git(repo, "log", "--format=%x00%B", ref)
    ids = []
    for body in out.split("\0")[1:]:
        if "\nGx-Kind: run\n" in "\n" + body:
            ids += [line.split(": ", 1)[1].strip() for line in body.splitlines() if line.startswith("Gx-Run: ")]
    return ids


# -- a team: a bare remote, the teammate's clone and the victim's clone ----------------------------
def make_team(root: Path) -> SimpleNamespace:
    """``remote.git`` (bare), ``mate`` and ``victim`` clones of it with one commit on ``main``.

    ``victim``'s origin URL is relative, so the whole ``root`` can be copied.
    """
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    remote, mate, victim = root / "remote.git", root / "mate", root / "victim"
    git(root, "init", "-q", "--bare", "-b", "main", "remote.git")
    git(root, "init", "-q", "-b", "main", "mate")
    (mate / "README.md").write_text("project\n")
    git(mate, "add", "README.md")
    git(mate, "commit", "-q", "-m", "initial")
    git(mate, "remote", "add", "origin", "../remote.git")
    git(mate, "push", "-q", "origin", "main")
    git(root, "clone", "-q", "remote.git", "victim")
    git(victim, "remote", "set-url", "origin", "../remote.git")
    return SimpleNamespace(root=root, remote=remote, mate=mate, victim=victim)


def push_experiments(repo: Pathish) -> None:
    """The teammate publishes with plain git (no gx, no checks)."""
    git(repo, "push", "-q", "origin", "refs/experiments/*:refs/experiments/*")


def gx(*args: str, cwd: Pathish, timeout: float = 20, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m gx ARGS`` in a child process, bounded (a hang is a failure, not a stuck suite)."""
    return subprocess.run([sys.executable, "-m", "gx", *args], cwd=str(cwd), capture_output=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
