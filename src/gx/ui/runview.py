"""One run as JSON (the run page), its metric histories, and its artifacts as safe HTTP bodies.

Artifacts are git blobs read from the run commit's ``artifacts/`` tree by name: a path can never
leave that tree. Content that a browser would execute (HTML, SVG, JS...) is only ever a download.
"""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import Any

from gx.errors import GxError
from gx.lfs.content import artifact_size, pointer_of, read_content, tree_artifact
from gx.query.inputs import input_json
from gx.query.runs import load_record, resolve_run
from gx.records import ArtifactLink, RunRecord
from gx.store.browse import file_sizes
from gx.store.repo import Store
from gx.ui import live
from gx.ui.api import ApiError, RunCache, finite, version

#: Text shown inline (diff, output, previews) is cut at this many bytes.
MAX_INLINE_TEXT = 1024 * 1024
MAX_PREVIEW = 64 * 1024
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
          ".webp": "image/webp", ".bmp": "image/bmp"}
TEXTS = {".txt", ".csv", ".tsv", ".json", ".yaml", ".yml", ".md", ".log", ".py", ".toml", ".cfg", ".ini"}


def find_record(store: Store, spec: str, cache: RunCache | None = None) -> RunRecord:
    """A committed run by id, prefix or name; else a run in progress by its exact id.
    With ``cache``, a record read at this repository version is not read again."""
    if cache is not None:
        key = ("record", version(store), spec)
        return cache.get(key) or cache.put(key, find_record(store, spec))
    try:
        return load_record(store, resolve_run(store, spec))
    except GxError:
        if spec.isalnum():
            running = live.live_record(store.paths.runs_dir / spec)
            if running is not None:
                return running
        raise


def _text(data: bytes | None, limit: int = MAX_INLINE_TEXT) -> str | None:
    if data is None:
        return None
    cut = data[:limit].decode("utf-8", "replace")
    return cut + ("\n… (cut)" if len(data) > limit else "")


def kind(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return "image" if suffix in IMAGES else "text" if suffix in TEXTS else "file"


def artifact_sizes(store: Store, rec: RunRecord) -> dict[str, int]:
    if rec.commit:
        sizes = file_sizes(store, rec.commit, "artifacts", limit=5000)
        sizes.update({p: artifact_size(c) for p, c in rec.artifacts.items() if p in sizes and pointer_of(c)})
        return sizes
    return {path: artifact_size(data) for path, data in rec.artifacts.items()}


def run_json(store: Store, spec: str, cache: RunCache | None = None) -> dict[str, Any]:
    rec = find_record(store, spec, cache)
    sizes = artifact_sizes(store, rec)
    models = []
    for path in sizes:
        parts = path.split("/")
        if len(parts) == 2 and parts[1] == "model.yaml":
            models.append({"path": parts[0], "descriptor": _text(rec.artifacts.get(path), MAX_PREVIEW)})
    return {
        "run_id": rec.run_id, "name": rec.name, "experiment": rec.experiment, "status": rec.status,
        "start_time": rec.start_time, "end_time": rec.end_time, "duration": rec.duration,
        "exit_code": rec.exit_code, "error": rec.error, "command": rec.command, "author": rec.author,
        "host": rec.host, "python": rec.python, "platform": rec.platform, "commit": rec.commit,
        "source": {k: rec.source.get(k) for k in ("commit", "branch", "dirty", "snapshot")},
        "params": {k: finite(v) for k, v in rec.params.items()},
        "metrics": {k: finite(v) for k, v in rec.latest_metrics().items()},
        "steps": {k: len(points) for k, points in rec.metrics.items()},
        "tags": rec.tags, "packages": rec.packages[:2000],
        "patch": _text(rec.source_patch), "stdout": _text(rec.stdout_tail), "stderr": _text(rec.stderr_tail),
        "artifacts": [{"path": p, "size": s, "kind": kind(p)} for p, s in sizes.items()],
        "models": models, "inputs": [input_json(inp) for inp in rec.inputs],
    }


def histories(store: Store, spec: str, keys: list[str], cache: RunCache | None = None) -> dict[str, Any]:
    """Every step of the asked metrics (all of them when none is named) as parallel arrays."""
    rec = find_record(store, spec, cache)
    out = {}
    for key, points in rec.metrics.items():
        if keys and key not in keys:
            continue
        out[key] = {"step": [p.step for p in points], "time": [p.timestamp for p in points],
                    "value": [p.value if math.isfinite(p.value) else None for p in points]}
    return {"run_id": rec.run_id, "name": rec.name, "status": rec.status, "metrics": out}


def safe_artifact_path(path: str) -> str:
    parts = path.split("/")
    if not path or any(part in ("", ".", "..") or "\\" in part or "\0" in part for part in parts):
        raise ApiError(f"not an artifact path: {path!r}")
    return path


def artifact(store: Store, spec: str, path: str, download: bool) -> tuple[bytes, dict[str, str]]:
    """The artifact's bytes and the headers that keep a browser from running it in the app's origin."""
    path = safe_artifact_path(path)
    try:
        ref = resolve_run(store, spec)
        data = tree_artifact(store, store.commit(ref.commit).tree, path)
    except GxError:
        data = find_record(store, spec).artifacts.get(path)  # a run in progress, or the error
    if data is None:
        raise FileNotFoundError(path)
    data = read_content(store, data, f"artifact {path!r}")  # a large file: its verified LFS object
    suffix = PurePosixPath(path).suffix.lower()
    name = PurePosixPath(path).name.replace('"', "")
    inline = not download and not isinstance(data, ArtifactLink)
    if inline and suffix in IMAGES:
        content_type = IMAGES[suffix]
    elif inline and suffix in TEXTS:
        content_type = "text/plain; charset=utf-8"
    else:
        content_type, inline = "application/octet-stream", False
    headers = {"Content-Type": content_type,
               "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
               "Content-Disposition": "inline" if inline else f'attachment; filename="{_ascii(name)}"'}
    return bytes(data), headers


def _ascii(name: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "_" for c in name) or "artifact"


def code_diffs(store: Store, records: list[RunRecord]) -> list[dict[str, str]]:
    """The unified diff of each run's code against the first run's (nothing for one run)."""
    from gx.query.compare import code_diff

    out = []
    for other in records[1:]:
        try:
            text = _text(code_diff(records[0], other, store).encode("utf-8"))
        except GxError as exc:
            text = f"(no code diff: {exc})"
        out.append({"run_id": other.run_id, "against": records[0].run_id, "diff": text})
    return out
