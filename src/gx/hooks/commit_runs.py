"""Auto-logging on commit: gx.yaml's ``autolog`` section, checked before a commit, recorded after.

The run is read from git objects (the index before the commit, HEAD's tree after it), never from
the working tree, so it matches the commit exactly. Amends and rebases that keep the tree and the
declared files find their key (``gx.autolog_key``) in the experiment's history and record nothing.
The files are read in ``gx.hooks.commit_files``, the keys looked up in ``gx.hooks.commit_keys``.
"""

from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gx import limits
from gx.datafiles import first_line
from gx.errors import BadFile, BadName
from gx.hooks.commit_files import (
    CONFIG_FILE,
    AutologError,
    Collected,
    ParsedFiles,
    Snapshot,
    TooLarge,
    checked_values,
    declared_entry,
    load_yaml,
    read_declared,
)
from gx.paths import RepoPaths
from gx.values import FIXED_RUN_FILES, MAX_ARTIFACT_BYTES, check_artifact_path

if TYPE_CHECKING:  # the pre-commit check loads neither the records nor the store
    from gx.records import RunRecord
    from gx.store.repo import Store

DEFAULT_EXPERIMENT = "commits"
SOURCE_TAG, COMMIT_TAG, KEY_TAG = "gx.source", "gx.commit", "gx.autolog_key"
_KINDS = ("params", "metrics", "artifacts")


@dataclass
class AutologConfig:
    experiment: str = DEFAULT_EXPERIMENT
    params: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # data files (globs allowed), hashed from the working tree


@dataclass
class AutologResult:
    commit: str  # the source commit
    experiment: str
    run_id: str
    run_commit: str
    recorded: bool  # False: a run with the same key was already there


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
        doc = load_yaml(data)
    except ValueError as exc:
        raise AutologError(f"{CONFIG_FILE} is not valid YAML: {first_line(exc)}") from None
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise AutologError(f"{CONFIG_FILE} must hold a mapping such as 'autolog: {{metrics: [metrics.json]}}'")
    section = doc.get("autolog")
    if section is None or section is False:
        return None
    if not isinstance(section, dict):
        raise AutologError(f"{CONFIG_FILE}: 'autolog' must be a mapping with experiment, params, metrics, artifacts, inputs")
    unknown = [str(k) for k in section if k not in ("experiment", *_KINDS, "inputs")]
    if unknown:
        raise AutologError(f"{CONFIG_FILE}: unknown key 'autolog.{unknown[0]}' (known: experiment, params, metrics, artifacts, inputs)")
    from gx.store.refs import validate_experiment

    cfg = AutologConfig()
    try:
        cfg.experiment = validate_experiment(section.get("experiment") or DEFAULT_EXPERIMENT)
    except BadName as exc:
        raise AutologError(f"{CONFIG_FILE}: autolog.experiment: {exc}") from None
    for kind in (*_KINDS, "inputs"):
        value = section.get(kind) or []
        items = value if isinstance(value, list) else [value]
        setattr(cfg, kind, list(dict.fromkeys(_clean_path(kind, item) for item in items)))
    return cfg


def load_config(snap: Snapshot, parsed: ParsedFiles) -> AutologConfig | None:
    """gx.yaml's autolog section in a snapshot (parsed once per blob)."""
    found = snap.entry(CONFIG_FILE)
    if found is None:
        return None
    fields = parsed.get(f"config {found[1].decode()}",
                        lambda: _config_fields(parse_config(read_declared(snap, CONFIG_FILE, "file"))))
    return AutologConfig(*fields) if fields else None


def _config_fields(cfg: AutologConfig | None) -> list[Any] | None:
    return [cfg.experiment, cfg.params, cfg.metrics, cfg.artifacts, cfg.inputs] if cfg else None


def collect(cfg: AutologConfig, snap: Snapshot, parsed: ParsedFiles | None = None,
            lfs_dir: Path | None = None, worktree: Path | None = None) -> Collected:
    """Read and check every declared file; the first problem raises AutologError naming file and key.
    Artifacts over the LFS threshold (as ``worktree``'s gx.yaml and the environment set it, as for
    ``log_artifact``) go into ``lfs_dir``'s LFS store; with no ``lfs_dir`` they are only sized and checked."""
    parsed = parsed or ParsedFiles(None)
    out = Collected()
    for kind in ("params", "metrics"):
        for path in getattr(cfg, kind):
            mode, sha = declared_entry(snap, path, kind)
            out.ids.append((path, sha.decode()))
            # v2: values checked by the write boundary's rules (older entries were checked less)
            values = parsed.get(f"{kind} v2 {path.endswith('.json')} {sha.decode()}", partial(checked_values, snap, path, kind))
            (out.params if kind == "params" else out.metrics).update(values)
    reader = None
    if cfg.artifacts:  # the LFS settings read YAML: loaded only when there are artifacts
        from gx.hooks.commit_artifacts import ArtifactReader, lfs_settings

        reader = ArtifactReader(snap, lfs_settings(worktree or snap.worktree), lfs_dir)
    for path in cfg.artifacts:
        mode, sha = declared_entry(snap, path, "artifacts")
        out.ids.append((path, sha.decode()))
        try:
            files = reader.files(path, mode)  # type: ignore[union-attr]
        except TooLarge as big:
            raise AutologError(
                f"artifact {big.path!r} is {big.size / 1048576:.1f} MiB, over the "
                f"{MAX_ARTIFACT_BYTES / 1048576:g} MiB limit; remove it from autolog.artifacts"
            ) from None
        for name, content in files.items():
            try:
                name = check_artifact_path(name)
            except BadName as exc:
                raise AutologError(f"{CONFIG_FILE}: autolog.artifacts: {exc}") from None
            if content is None:
                out.checked_only.append(name)
            else:
                out.artifacts[name] = content
    _check_sizes(out)
    return out


def _check_sizes(found: Collected) -> None:
    """What one run may hold (``gx.limits``): a reader would refuse more, so the commit check does."""
    for kind, count in (("params", len(found.params)), ("metrics", len(found.metrics))):
        if count > limits.MAX_KEYS_PER_RUN:
            raise AutologError(f"the declared {kind} files hold {count:,} {kind}; a run holds at most {limits.MAX_KEYS_PER_RUN:,}")
    files = len(found.artifacts) + len(found.checked_only) + len(found.metrics) + FIXED_RUN_FILES
    if files > limits.MAX_FILES_PER_RUN:
        raise AutologError(f"the declared artifacts and metrics would make a run of {files:,} files; the limit is {limits.MAX_FILES_PER_RUN:,}")


def check_staged(paths: RepoPaths, index: str | None = None) -> AutologConfig | None:
    """Validate gx.yaml and its declared files as staged; AutologError stops the commit."""
    from gx.store.gitindex import close_object_store, open_object_store, read_index

    index = index or os.environ.get("GIT_INDEX_FILE") or str(paths.git_dir / "index")
    opened: list[Any] = []

    def objects() -> Any:
        opened.append(open_object_store(paths.common_dir / "objects"))
        return opened[0]

    snap: Snapshot | None = None
    try:
        snap = Snapshot(objects, index=read_index(index), worktree=paths.worktree, git_dir=paths.common_dir)
        parsed = ParsedFiles(paths.gx_dir)
        cfg = load_config(snap, parsed)
        if cfg is not None:
            collect(cfg, snap, parsed)
            if cfg.inputs and paths.worktree is not None:  # each must name a file now: it is hashed after the commit
                _expand_inputs(cfg, paths.worktree)
        parsed.save()
        return cfg
    finally:
        if snap is not None:
            snap.close()
        for store in opened:
            close_object_store(store)


def record_commit(store: Store, commit_id: bytes | None = None) -> AutologResult | None:
    """Record a commit (HEAD by default) as a run, once per key; None when gx.yaml has no autolog."""
    from gx.hooks.commit_keys import autolog_key, find_recorded, remember

    repo = store.repo
    sha = commit_id or repo.refs[b"HEAD"]
    commit = repo[sha]
    parsed = ParsedFiles(store.paths.gx_dir)
    with closing(Snapshot(lambda: repo.object_store, tree=commit.tree, git_dir=store.paths.common_dir)) as snap:
        cfg = load_config(snap, parsed)
        if cfg is None:
            return None
        found = collect(cfg, snap, parsed, lfs_dir=store.paths.common_dir, worktree=store.paths.worktree)
    parsed.save()
    inputs = _input_files(cfg, store.paths)
    key = autolog_key(commit.tree, found.ids + [(i.source, i.digest) for i in inputs])
    existing = find_recorded(store, cfg.experiment, key)
    if existing is not None:
        return AutologResult(sha.decode(), cfg.experiment, existing[1], existing[0], recorded=False)
    tip = store.tip(cfg.experiment)
    rec = commit_record(store, commit, cfg.experiment, found, key, inputs)
    from gx.store.write import write_run

    run_commit = write_run(store, rec)
    remember(store, cfg.experiment, key, run_commit, rec.run_id, tip)
    return AutologResult(sha.decode(), cfg.experiment, rec.run_id, run_commit.decode(), recorded=True)


def _expand_inputs(cfg: AutologConfig, worktree: Any) -> list[Any]:
    from gx.data.files import expand

    try:
        return expand(cfg.inputs, base=worktree)
    except BadFile as exc:
        raise AutologError(f"{CONFIG_FILE}: autolog.inputs: {exc}") from None


def _input_files(cfg: AutologConfig, paths: RepoPaths) -> list[Any]:
    """The declared inputs as the working tree holds them when the commit is made (data is often
    not in git: DVC or LFS files, or files git ignores)."""
    if not cfg.inputs or paths.worktree is None:
        return []
    from gx.data.files import file_input

    try:
        return [file_input(path, paths) for path in _expand_inputs(cfg, paths.worktree)]
    except BadFile as exc:
        raise AutologError(f"{CONFIG_FILE}: autolog.inputs: {exc}") from None


def commit_record(store: Store, commit: Any, experiment: str, found: Collected, key: str,
                  inputs: list[Any] | None = None) -> RunRecord:
    """A commit as a run: its files' params, metrics and artifacts, its time, author and branch.

    It describes a commit, not an execution: no command, packages or platform are recorded.
    """
    import platform
    import uuid

    from gx._version import __version__
    from gx.records import FINISHED, MetricPoint, RunRecord
    from gx.tracking.redact import scrub_record

    sha = commit.id.decode()
    subject = commit.message.decode("utf-8", "replace").strip().split("\n")[0].strip()
    when = float(commit.commit_time)
    # not capture.system_info(): platform.platform() costs ~6 ms a commit for a field not recorded here;
    # the host is socket.gethostname()'s answer (the kernel's node name) without importing socket (~7 ms)
    rec = RunRecord(run_id=uuid.uuid4().hex, experiment=experiment, status=FINISHED, start_time=when, end_time=when,
                    author=commit.author.decode("utf-8", "replace"), host=os.uname().nodename,
                    python=platform.python_version(), gx_version=__version__)
    rec.name = f"{sha[:7]} {subject[:72]}".strip()
    branch = store.head_branch()
    rec.source = {"commit": sha, **({"branch": branch} if branch else {}), "dirty": False}
    rec.params = dict(found.params)
    rec.metrics = {k: [MetricPoint(0, when, v)] for k, v in found.metrics.items()}
    rec.artifacts = dict(found.artifacts)
    rec.tags = {SOURCE_TAG: "post-commit", COMMIT_TAG: sha, KEY_TAG: key}
    rec.inputs = list(inputs or [])
    scrub_record(rec)  # a params file may hold a password: it stays out of the run, as everywhere
    return rec
