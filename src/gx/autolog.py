"""Auto-logging on commit: gx.yaml's ``autolog`` section, checked before a commit, recorded after.

The run is read from git objects (the index before the commit, HEAD's tree after it), never from
the working tree, so it matches the commit exactly. Amends and rebases that keep the tree and the
declared files find their key (``gx.autolog_key``) in the experiment's history and record nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from gx.errors import BadFile, BadName
from gx.paths import RepoPaths
from gx.record import RunRecord
from gx.values import check_artifact_path, flatten, numeric_or_none, param_value

if TYPE_CHECKING:
    from gx.store.repo import Store

CONFIG_FILE = "gx.yaml"
DEFAULT_EXPERIMENT = "commits"
SOURCE_TAG, COMMIT_TAG, KEY_TAG = "gx.source", "gx.commit", "gx.autolog_key"
#: How many runs of the experiment are read when the key cache cannot answer.
SCAN_LIMIT = 200
CACHE_FILE = "autolog-keys"
#: How many keys per experiment the cache keeps (the newest).
CACHE_KEYS = 2000
_KINDS = ("params", "metrics", "artifacts")
_KEY_LINE = re.compile(rb"^gx\.autolog_key: ['\"]?([0-9a-f]{40})['\"]?$", re.MULTILINE)


class AutologError(BadFile):
    """gx.yaml or a file it declares is missing or malformed; the pre-commit check stops on it."""


@dataclass
class AutologConfig:
    experiment: str = DEFAULT_EXPERIMENT
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)


@dataclass
class AutologResult:
    commit: str  # the source commit
    experiment: str
    run_id: str
    run_commit: str
    recorded: bool  # False: a run with the same key was already there


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def _load_yaml(text: str | bytes) -> Any:
    from gx import yamlio  # loaded only when a YAML file is parsed: most commits need none

    try:
        return yamlio.load(text)
    except yamlio.YAMLError as exc:
        raise ValueError(str(exc)) from None


def _clean_path(kind: str, raw: Any) -> str:
    path = str(raw).strip() if isinstance(raw, (str, int, float)) else ""
    while path.startswith("./"):
        path = path[2:]
    path = path.rstrip("/")
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise AutologError(f"{CONFIG_FILE}: autolog.{kind}: bad path {raw!r}; use a path relative to the repository root")
    if kind == "artifacts":
        try:
            check_artifact_path(path)
        except BadName as exc:
            raise AutologError(f"{CONFIG_FILE}: autolog.artifacts: {exc}") from None
    return path


def parse_config(data: bytes | None) -> AutologConfig | None:
    """The ``autolog`` section of gx.yaml's content, or None when there is none."""
    if data is None:
        return None
    try:
        doc = _load_yaml(data)
    except ValueError as exc:
        raise AutologError(f"{CONFIG_FILE} is not valid YAML: {_first_line(exc)}") from None
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise AutologError(f"{CONFIG_FILE} must hold a mapping such as 'autolog: {{metrics: [metrics.json]}}'")
    section = doc.get("autolog")
    if section is None or section is False:
        return None
    if not isinstance(section, dict):
        raise AutologError(f"{CONFIG_FILE}: 'autolog' must be a mapping with experiment, params, metrics, artifacts")
    unknown = [str(k) for k in section if k not in ("experiment", *_KINDS)]
    if unknown:
        raise AutologError(f"{CONFIG_FILE}: unknown key 'autolog.{unknown[0]}' (known: experiment, params, metrics, artifacts)")
    from gx.store.refs import validate_experiment

    cfg = AutologConfig()
    try:
        cfg.experiment = validate_experiment(section.get("experiment") or DEFAULT_EXPERIMENT)
    except BadName as exc:
        raise AutologError(f"{CONFIG_FILE}: autolog.experiment: {exc}") from None
    for kind in _KINDS:
        value = section.get(kind) or []
        items = value if isinstance(value, list) else [value]
        setattr(cfg, kind, list(dict.fromkeys(_clean_path(kind, item) for item in items)))
    return cfg


class StagedIndex:
    """A git index read without dulwich, whose Index takes ~12 µs an entry (a quarter second for 20k
    files) where this takes ~1: stage-0 (or 'ours') entries of index versions 2, 3 and 4."""

    def __init__(self, data: bytes, offsets: dict[str, int]) -> None:
        self.data, self.offsets = data, offsets

    @classmethod
    def read(cls, path: str) -> StagedIndex | None:
        """None for what needs a full reader: a split or sparse index, or anything unexpected."""
        with open(path, "rb") as fh:
            data = fh.read()
        version = int.from_bytes(data[4:8], "big")
        if data[:4] != b"DIRC" or version not in (2, 3, 4):
            return None
        offsets: dict[str, int] = {}
        pos, previous = 12, b""
        for _ in range(int.from_bytes(data[8:12], "big")):
            flags = data[pos + 60] << 8 | data[pos + 61]
            start = pos + (64 if flags & 0x4000 else 62)  # extended flags in version 3+
            if version == 4:  # the name drops N bytes of the previous one, then adds a suffix
                byte = data[start]
                strip, start = byte & 127, start + 1
                while byte & 128:
                    byte, start = data[start], start + 1
                    strip = ((strip + 1) << 7) | (byte & 127)
                end = data.index(b"\0", start)
                name = previous = previous[: len(previous) - strip] + data[start:end]
                following = end + 1
            else:  # NUL-padded to a multiple of 8
                end = data.index(b"\0", start)
                name, following = data[start:end], pos + ((end - pos + 8) & ~7)
            if (flags >> 12) & 3 in (0, 2):
                offsets[name.decode("utf-8", "surrogateescape")] = pos
            pos = following
        while pos + 8 <= len(data) - 20:
            if data[pos : pos + 4] in (b"link", b"sdir"):
                return None
            pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
        return cls(data, offsets)

    def get(self, path: str) -> tuple[int, bytes] | None:
        pos = self.offsets.get(path)
        if pos is None:
            return None
        return int.from_bytes(self.data[pos + 24 : pos + 28], "big"), self.data[pos + 40 : pos + 60].hex().encode()

    def __iter__(self) -> Iterator[str]:
        return iter(self.offsets)


def _dulwich_index(path: str) -> dict[str, tuple[int, bytes]]:
    from dulwich.index import Index

    out = {}
    for name, entry in Index(path).items():
        entry = getattr(entry, "this", None) or entry  # a conflicted entry: our side
        if getattr(entry, "sha", None) is not None:
            out[name.decode("utf-8", "surrogateescape")] = (entry.mode, entry.sha)
    return out


class Snapshot:
    """The files of a commit-to-be (an index) or of a commit (a tree), as ``(mode, sha)`` by path.

    ``objects`` opens the object store when first needed: a staged file that is also the worktree's
    (same blob id) is read from the worktree, so most checks never load dulwich.
    """

    def __init__(self, objects: Callable[[], Any], tree: bytes | None = None, index: Any = None,
                 worktree: Path | None = None) -> None:
        self._open, self._objects, self.tree, self._index, self.worktree = objects, None, tree, index, worktree

    @property
    def objects(self) -> Any:
        if self._objects is None:
            self._objects = self._open()
        return self._objects

    def entry(self, path: str) -> tuple[int, bytes] | None:
        if self._index is not None:  # an index lists files only: a directory is a prefix
            found = self._index.get(path)
            if found is None and any(p.startswith(path + "/") for p in self._index):
                return 0o040000, b"0" * 40
            return found
        found: tuple[int, bytes] = (0o040000, self.tree)  # type: ignore[assignment]
        for part in path.encode("utf-8").split(b"/"):
            node = self.objects[found[1]] if found[0] & 0o170000 == 0o040000 else None
            try:
                found = node[part]  # type: ignore[index]
            except (KeyError, TypeError):  # absent, or a file where a directory should be
                return None
        return found

    def read(self, path: str) -> bytes | None:
        found = self.entry(path)
        if found is None or found[0] & 0o170000 not in (0o100000, 0o120000):
            return None
        if self._index is not None and self.worktree is not None and found[0] & 0o170000 == 0o100000:
            try:
                data = (self.worktree / path).read_bytes()
                if hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest().encode() == found[1]:
                    return data
            except OSError:
                pass
        return self.objects[found[1]].as_raw_string()

    def files_under(self, prefix: str) -> dict[str, bytes]:
        """Every file below a directory, keyed by its path from the repository root."""
        if self._index is not None:
            names = sorted(p for p in self._index if p.startswith(prefix + "/"))
            return {p: self.read(p) for p in names if self._index.get(p)[0] & 0o170000 == 0o100000}  # type: ignore[misc]
        out, stack = {}, [(prefix, self.entry(prefix))]
        while stack:
            name, found = stack.pop()
            if found is not None and found[0] & 0o170000 == 0o040000:
                stack.extend((f"{name}/{e.path.decode('utf-8', 'surrogateescape')}", (e.mode, e.sha))
                             for e in self.objects[found[1]].items())
            elif found is not None and found[0] & 0o170000 == 0o100000:
                out[name] = self.objects[found[1]].as_raw_string()
        return dict(sorted(out.items()))


@dataclass
class Collected:
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    ids: list[tuple[str, str]] = field(default_factory=list)  # (path, blob or tree id) for the key


def parse_structured(data: bytes, path: str, kind: str) -> dict[str, Any]:
    """A params/metrics file's mapping (JSON for ``.json``, YAML otherwise), flattened to dotted keys."""
    is_json = path.endswith(".json")
    try:
        text = data.decode("utf-8")
        doc = json.loads(text) if is_json else _load_yaml(text)
    except ValueError as exc:
        raise AutologError(f"{kind} file {path!r} is not valid {'JSON' if is_json else 'YAML'}: {_first_line(exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise AutologError(f"{kind} file {path!r} must hold a mapping of names to values, not a {type(doc).__name__}")
    return flatten(doc)


def _declared(snap: Snapshot, path: str, kind: str) -> tuple[int, bytes]:
    found = snap.entry(path)
    if found is None:
        what = "artifact" if kind == "artifacts" else f"{kind} file"
        raise AutologError(
            f"{what} {path!r} declared in {CONFIG_FILE} (autolog.{kind}) is not in the commit; "
            f"git add it, or remove it from autolog.{kind}"
        )
    return found


def collect(cfg: AutologConfig, snap: Snapshot, parsed: ParsedFiles | None = None) -> Collected:
    """Read and check every declared file; the first problem raises AutologError naming file and key."""
    from gx.fluent import MAX_ARTIFACT_BYTES

    parsed = parsed or ParsedFiles(None)
    out = Collected()
    for kind in ("params", "metrics"):
        for path in getattr(cfg, kind):
            mode, sha = _declared(snap, path, kind)
            out.ids.append((path, sha.decode()))
            values = parsed.get(f"{kind} {path.endswith('.json')} {sha.decode()}", partial(_checked, snap, path, kind))
            (out.params if kind == "params" else out.metrics).update(values)
    for path in cfg.artifacts:
        mode, sha = _declared(snap, path, "artifacts")
        out.ids.append((path, sha.decode()))
        files = snap.files_under(path) if mode & 0o170000 == 0o040000 else {path: snap.read(path) or b""}
        for name, content in files.items():
            if len(content) > MAX_ARTIFACT_BYTES:
                raise AutologError(
                    f"artifact {name!r} is {len(content) / 1048576:.1f} MiB, over the "
                    f"{MAX_ARTIFACT_BYTES / 1048576:.0f} MiB limit; remove it from autolog.artifacts"
                )
            out.artifacts[name] = content
    return out


def _checked(snap: Snapshot, path: str, kind: str) -> dict[str, Any]:
    data = snap.read(path)
    if data is None:
        raise AutologError(f"{kind} file {path!r} declared in {CONFIG_FILE} is a directory, not a file")
    values = parse_structured(data, path, kind)
    if kind == "params":
        return {key: param_value(key, value) for key, value in values.items()}
    for key, value in values.items():
        number = numeric_or_none(value)
        if number is None:
            raise AutologError(f"metrics file {path!r}: metric {key!r} is not a number ({value!r})")
        values[key] = number
    return values


def load_config(snap: Snapshot, parsed: ParsedFiles) -> AutologConfig | None:
    """gx.yaml's autolog section in a snapshot (parsed once per blob)."""
    found = snap.entry(CONFIG_FILE)
    if found is None:
        return None
    fields = parsed.get(f"config {found[1].decode()}", lambda: _config_fields(parse_config(snap.read(CONFIG_FILE))))
    return AutologConfig(*fields) if fields else None


def _config_fields(cfg: AutologConfig | None) -> list[Any] | None:
    return [cfg.experiment, cfg.params, cfg.metrics, cfg.artifacts] if cfg else None


class ParsedFiles:
    """Checked contents of gx.yaml and declared files by blob id (``.git/gx/cache/autolog-files.json``):
    the pre-commit check of a commit that leaves the YAML files alone never loads a YAML parser."""

    LIMIT = 64

    def __init__(self, gx_dir: Path | None) -> None:
        self.path = gx_dir / "cache" / "autolog-files.json" if gx_dir is not None else None
        self.data: dict[str, Any] = (_read_json(self.path) if self.path else None) or {}
        self.dirty = False

    def get(self, key: str, compute: Any) -> Any:
        if key not in self.data:
            self.data[key] = compute()
            self.dirty = True
        return self.data[key]

    def save(self) -> None:
        if self.dirty and self.path is not None:
            _write_json(self.path, dict(list(self.data.items())[-self.LIMIT :]))


def autolog_key(tree: bytes, ids: list[tuple[str, str]]) -> str:
    """The identity of what a commit would record: its tree and the declared files' blob ids."""
    digest = hashlib.sha1(b"gx-autolog 1\n" + tree + b"\n")
    for path, sha in ids:
        digest.update(f"{path} {sha}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def check_staged(paths: RepoPaths, index: str | None = None) -> AutologConfig | None:
    """Validate gx.yaml and its declared files as staged; AutologError stops the commit."""
    index = index or os.environ.get("GIT_INDEX_FILE") or str(paths.git_dir / "index")
    opened: list[Any] = []

    def objects() -> Any:
        from dulwich.object_store import DiskObjectStore  # a bare object store: no whole Repo here

        opened.append(DiskObjectStore(str(paths.common_dir / "objects")))
        return opened[0]

    try:
        snap = Snapshot(objects, index=StagedIndex.read(index) or _dulwich_index(index), worktree=paths.worktree)
        parsed = ParsedFiles(paths.gx_dir)
        cfg = load_config(snap, parsed)
        if cfg is not None:
            collect(cfg, snap, parsed)
        parsed.save()
        return cfg
    finally:
        for store in opened:
            getattr(store, "close", lambda: None)()  # older dulwich has no close()


def record_commit(store: Store, commit_id: bytes | None = None) -> AutologResult | None:
    """Record a commit (HEAD by default) as a run, once per key; None when gx.yaml has no autolog."""
    repo = store.repo
    sha = commit_id or repo.refs[b"HEAD"]
    commit = repo[sha]
    snap = Snapshot(lambda: repo.object_store, tree=commit.tree)
    parsed = ParsedFiles(store.paths.gx_dir)
    cfg = load_config(snap, parsed)
    if cfg is None:
        return None
    found = collect(cfg, snap, parsed)
    parsed.save()
    key = autolog_key(commit.tree, found.ids)
    existing = find_recorded(store, cfg.experiment, key)
    if existing is not None:
        return AutologResult(sha.decode(), cfg.experiment, existing[1], existing[0], recorded=False)
    tip = store.tip(cfg.experiment)
    rec = commit_record(store, commit, cfg.experiment, found, key)
    from gx.store.write import write_run

    run_commit = write_run(store, rec)
    remember(store, cfg.experiment, key, run_commit, rec.run_id, tip)
    return AutologResult(sha.decode(), cfg.experiment, rec.run_id, run_commit.decode(), recorded=True)


def commit_record(store: Store, commit: Any, experiment: str, found: Collected, key: str) -> RunRecord:
    """A commit as a run: its files' params, metrics and artifacts, its time, author and branch.

    It describes a commit, not an execution: no command, packages or platform are recorded.
    """
    import platform
    import socket

    from gx._version import __version__
    from gx.record import FINISHED, MetricPoint

    sha = commit.id.decode()
    subject = commit.message.decode("utf-8", "replace").strip().split("\n")[0].strip()
    when = float(commit.commit_time)
    rec = RunRecord(run_id=uuid.uuid4().hex, experiment=experiment, status=FINISHED, start_time=when, end_time=when,
                    author=commit.author.decode("utf-8", "replace"), host=socket.gethostname(),
                    python=platform.python_version(), gx_version=__version__)
    rec.name = f"{sha[:7]} {subject[:72]}".strip()
    head = store.repo.refs.read_ref(b"HEAD") or b""
    branch = head[len(b"ref: refs/heads/"):].decode("utf-8", "replace") if head.startswith(b"ref: refs/heads/") else None
    rec.source = {"commit": sha, **({"branch": branch} if branch else {}), "dirty": False}
    rec.params = dict(found.params)
    rec.metrics = {k: [MetricPoint(0, when, v)] for k, v in found.metrics.items()}
    rec.artifacts = dict(found.artifacts)
    rec.tags = {SOURCE_TAG: "post-commit", COMMIT_TAG: sha, KEY_TAG: key}
    return rec


def keys_in_tags(tags_yaml: bytes | None) -> str | None:
    """The autolog key in a run's tags.yaml, without parsing YAML (it is read for many runs)."""
    if not tags_yaml:
        return None
    match = _KEY_LINE.search(tags_yaml)
    return match.group(1).decode() if match else None


# -- the key cache: ``.git/gx/autolog-keys`` maps each experiment's tip to the keys in its history.
# It only saves walking history: on any doubt (another tip) the ref history is read again.
def _cache_path(store: Store) -> Path:
    return store.paths.gx_dir / CACHE_FILE


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # caches are an optimisation only


def _load_cache(store: Store) -> dict[str, Any]:
    return _read_json(_cache_path(store))


def _save_cache(store: Store, data: dict[str, Any]) -> None:
    for entry in data.values():  # amends and rebases touch recent commits: the newest keys suffice
        if isinstance(entry, dict) and isinstance(entry.get("keys"), dict) and len(entry["keys"]) > CACHE_KEYS:
            entry["keys"] = dict(list(entry["keys"].items())[-CACHE_KEYS:])
    _write_json(_cache_path(store), data)


def _scan(store: Store, tip: bytes, old_tip: bytes | None) -> tuple[dict[str, list[str]], bool]:
    """Keys of the newest SCAN_LIMIT runs above ``old_tip``, and whether the old cached keys still hold:
    the walk reached ``old_tip``, or stopped at the limit before it could tell (gx only appends)."""
    from gx.store.history import walk
    from gx.store.objects import KIND_RUN

    keys: dict[str, list[str]] = {}
    reached, seen = False, 0
    for entry in walk(store, tip, stop={old_tip} if old_tip else frozenset()):
        reached = reached or old_tip in entry.commit.parents
        if entry.kind != KIND_RUN:
            continue
        key = keys_in_tags(store.read_blob(entry.commit.tree, "tags.yaml"))
        if key and key not in keys:
            keys[key] = [entry.sha.decode(), entry.run_id or ""]
        seen += 1
        if seen >= SCAN_LIMIT:
            break
    oldest_first = dict(reversed(list(keys.items())))
    return oldest_first, reached or seen >= SCAN_LIMIT


def find_recorded(store: Store, experiment: str, key: str) -> tuple[str, str] | None:
    """``(run commit, run id)`` of a run already recorded with ``key``, else None."""
    tip = store.tip(experiment)
    cache = _load_cache(store)
    if tip is None:
        if cache.pop(experiment, None) is not None:
            _save_cache(store, cache)
        return None
    entry = cache.get(experiment)
    if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
        entry = None
    if entry is None or entry.get("tip") != tip.decode():
        old_tip = entry["tip"].encode() if entry and isinstance(entry.get("tip"), str) else None
        keys, keep_old = _scan(store, tip, old_tip)
        if entry is not None and keep_old:
            keys = {**entry["keys"], **keys}
        entry = cache[experiment] = {"tip": tip.decode(), "keys": keys}
        _save_cache(store, cache)
    hit = entry["keys"].get(key)
    return (hit[0], hit[1]) if isinstance(hit, list) and len(hit) == 2 else None


def remember(store: Store, experiment: str, key: str, run_commit: bytes, run_id: str, tip: bytes | None) -> None:
    """Add a new run's key; the cached tip moves only when the run went right on top of it."""
    cache = _load_cache(store)
    entry = cache.get(experiment)
    if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict):
        entry = {"tip": None, "keys": {}}
    entry["keys"][key] = [run_commit.decode(), run_id]
    parent = store.commit(run_commit).parents[0]
    if (tip is not None and parent == tip and entry.get("tip") == tip.decode()) or (
        tip is None and not store.commit(parent).parents
    ):
        entry["tip"] = run_commit.decode()
    cache[experiment] = entry
    _save_cache(store, cache)
