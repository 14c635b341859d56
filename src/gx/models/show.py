"""What ``gx models show`` prints: a version, its run's params and metrics, its files and signature —
read from the descriptor and the run's summary files, never by unpickling the model."""

from __future__ import annotations

from typing import Any

from gx.errors import BadRecord
from gx.lfs.content import with_lfs_sizes
from gx.models.descriptor import DESCRIPTOR_FILE, parse_descriptor
from gx.models.entities import model_version
from gx.models.signature import columns
from gx.models.state import STAGES
from gx.models.uri import resolve_version, split_models_uri
from gx.store.browse import file_sizes
from gx.store.encode import ARTIFACTS_DIR


def _signature_text(signature: dict[str, Any] | None) -> str:
    names = columns(signature)
    inputs = (signature or {}).get("inputs")
    if names is not None:
        return ", ".join(f"{c.get('name')}: {c.get('type')}" for c in inputs)  # type: ignore[union-attr]
    if isinstance(inputs, dict) and isinstance(inputs.get("tensor"), dict):
        tensor = inputs["tensor"]
        return f"tensor {tensor.get('dtype')} {tuple(tensor.get('shape') or ())}"
    return ""


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """``NAME`` (latest), ``NAME/N``, ``NAME/Production`` or ``NAME@ALIAS`` -> (name, ref, alias)."""
    if "@" in spec:
        return split_models_uri("models:/" + spec)
    head, _, last = spec.rpartition("/")
    if head and (last.lstrip("v").isdigit() or last.lower() == "latest" or last.lower() in STAGES):
        return head, last.lstrip("v") if last.lstrip("v").isdigit() else last, None
    return spec, "latest", None


def describe_version(spec: str) -> dict[str, Any]:
    """``NAME``, ``NAME/N`` or ``NAME@ALIAS`` -> everything ``show`` prints, JSON-ready."""
    from gx.query.runs import load_summary, open_store, resolve_run

    name, ref, alias = parse_spec(spec)
    with open_store() as store:
        version = resolve_version(store, name, ref, alias)
        mv = model_version(version)
        sizes = file_sizes(store, version.commit, f"{ARTIFACTS_DIR}/{mv.path}")
        out: dict[str, Any] = {"version": mv.to_dict(),
                               "files": with_lfs_sizes(store, version.commit, mv.path, sizes)}  # Git LFS files' own sizes
        tree = store.commit(version.commit.encode()).tree
        raw = store.read_blob(tree, f"{ARTIFACTS_DIR}/{mv.path}/{DESCRIPTOR_FILE}")
        if raw is not None:
            try:
                desc = parse_descriptor(raw)
                out["descriptor"] = {k: v for k, v in desc.__dict__.items() if k != "signature"}
                out["signature"] = desc.signature
                out["signature_text"] = _signature_text(desc.signature)
            except BadRecord as exc:
                out["descriptor_problem"] = str(exc)
        if mv.run_id:
            try:
                summary = load_summary(store, resolve_run(store, mv.run_id))
                out["params"], out["metrics"] = summary.params, summary.metrics
            except Exception as exc:  # a run gx cannot read still leaves the version worth showing
                out["run_problem"] = str(exc)
    return out
