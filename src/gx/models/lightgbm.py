"""The LightGBM flavor: a Booster is saved as LightGBM's text model (no pickle); the scikit-learn
classes (LGBMClassifier, ...) are pickled, since LightGBM has no other way to restore them."""

from __future__ import annotations

import os
import pickle
import tempfile
from typing import Any, Callable

from gx.models.descriptor import Descriptor
from gx.models.flavor import ModelInfo, load_native, model_bytes
from gx.models.flavor import log_model as _log_model

FLAVOR = "lightgbm"


def log_model(lgb_model: Any, artifact_path: str | None = None, *, name: str | None = None,
              input_example: Any = None, signature: dict[str, Any] | None = None,
              registered_model_name: str | None = None, pip_requirements: list[str] | None = None,
              model_text: bytes | None = None, **_: Any) -> ModelInfo:
    """Save a LightGBM Booster or scikit-learn model into the active run under ``artifacts/<name>/``
    (``model_text``: a Booster's text model when the caller has it already, as autolog does)."""
    kind = type(lgb_model)
    if kind.__name__ == "Booster":
        text = model_text if model_text is not None else booster_text(lgb_model)
        files, model_file, serialization = {"model.txt": text}, "model.txt", "lightgbm-text"
    else:
        files, model_file, serialization = {"model.pkl": pickle.dumps(lgb_model, protocol=4)}, "model.pkl", "pickle"
    return _log_model(FLAVOR, "lightgbm", files, model_file, serialization, f"{kind.__module__}.{kind.__qualname__}",
                      name, artifact_path, input_example, signature, getattr(lgb_model, "predict", None),
                      ("numpy", "scikit-learn") if serialization == "pickle" else ("numpy",), pip_requirements,
                      registered_model_name)


def booster_text(booster: Any) -> bytes:
    """The Booster's text model, exactly ``model_to_string()``'s, serialised once: ``model_to_string``
    serialises a model over 1 MiB twice (once to learn its size), ``save_model`` writes it in one pass."""
    fd, path = tempfile.mkstemp(prefix="gx-lgb-", suffix=".txt")
    os.close(fd)
    try:
        booster.save_model(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.remove(path)


def load(read: Callable[[str], bytes | None], desc: Descriptor) -> Any:
    """A Booster from its text model, or the unpickled scikit-learn model (runs code from the file)."""
    data = model_bytes(read, desc)
    if desc.serialization == "lightgbm-text":
        import lightgbm

        return lightgbm.Booster(model_str=data.decode("utf-8"))
    return pickle.loads(data)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The LightGBM object itself."""
    return load_native(model_uri, FLAVOR)[0]
