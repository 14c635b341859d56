"""The model descriptor ``model.yaml`` (format 1, docs/format.md): what is saved and how to load it.

Written beside the serialized model under ``artifacts/<name>/`` in the run commit; read back with
limits like every file that may come from another clone.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass, field
from typing import Any

from gx import limits, yamlio
from gx._version import __version__
from gx.errors import BadRecord

DESCRIPTOR_FILE = "model.yaml"
DESCRIPTOR_FORMAT = 1
FLAVORS = ("sklearn", "xgboost", "lightgbm", "pyfunc")
SERIALIZATIONS = ("pickle", "cloudpickle", "xgboost-ubj", "xgboost-json", "lightgbm-text")
_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")


@dataclass
class Descriptor:
    """What ``model.yaml`` holds."""

    flavor: str
    model_file: str
    serialization: str
    library: str  # the distribution to install (scikit-learn, xgboost, ...)
    library_version: str | None
    model_class: str = ""
    python_version: str = field(default_factory=platform.python_version)
    gx_version: str = __version__
    created: str = ""
    run_id: str | None = None
    signature: dict[str, Any] | None = None
    input_example: str | None = None  # a file beside the descriptor
    requirements: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        data: dict[str, Any] = {"format": DESCRIPTOR_FORMAT}
        data.update({k: v for k, v in self.__dict__.items() if v not in (None, [], "")})
        return yamlio.dump(data)


def _text(data: dict[str, Any], key: str, required: bool = False, limit: int = 500) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRecord(f"{DESCRIPTOR_FILE}: {key} is missing or not a short text")
    return value


def parse_descriptor(raw: bytes) -> Descriptor:
    """A descriptor read back from git, checked field by field."""
    try:
        # bounded like every document gx reads, but never tighter than what log_model may write
        data = yamlio.load(raw, max_bytes=limits.MAX_ARTIFACT_BYTES, max_depth=12)
    except yamlio.YAMLError as exc:
        raise BadRecord(f"{DESCRIPTOR_FILE} is not valid YAML ({str(exc).splitlines()[0][:80]})") from None
    if not isinstance(data, dict):
        raise BadRecord(f"{DESCRIPTOR_FILE} is not a mapping")
    if data.get("format") != DESCRIPTOR_FORMAT:
        raise BadRecord(f"{DESCRIPTOR_FILE} has format {str(data.get('format'))[:20]!r}; this gx reads format "
                        f"{DESCRIPTOR_FORMAT} (a newer gx wrote it?)")
    flavor = _text(data, "flavor", required=True)
    if flavor not in FLAVORS:
        raise BadRecord(f"{DESCRIPTOR_FILE}: unknown flavor {flavor!r}; this gx loads {', '.join(FLAVORS)}")
    serialization = _text(data, "serialization", required=True)
    if serialization not in SERIALIZATIONS:
        raise BadRecord(f"{DESCRIPTOR_FILE}: unknown serialization {serialization!r}")
    files = {k: _text(data, k) for k in ("model_file", "input_example")}
    for key, name in files.items():
        if name is not None and (not _FILE.match(name) or name == DESCRIPTOR_FILE):
            raise BadRecord(f"{DESCRIPTOR_FILE}: {key} {name!r} is not a file name beside it")
    signature = data.get("signature")
    if signature is not None and not isinstance(signature, dict):
        raise BadRecord(f"{DESCRIPTOR_FILE}: signature is not a mapping")
    requirements = data.get("requirements") or []
    if not isinstance(requirements, list) or not all(isinstance(r, str) and len(r) < 200 for r in requirements):
        raise BadRecord(f"{DESCRIPTOR_FILE}: requirements is not a list of short texts")
    return Descriptor(
        flavor=flavor, model_file=files["model_file"] or "", serialization=serialization,
        library=_text(data, "library", required=True) or "", library_version=_text(data, "library_version"),
        model_class=_text(data, "model_class") or "", python_version=_text(data, "python_version") or "",
        gx_version=_text(data, "gx_version") or "", created=str(data.get("created") or ""),
        run_id=_text(data, "run_id"), signature=signature, input_example=files["input_example"],
        requirements=list(requirements),
    )
