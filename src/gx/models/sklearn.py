"""The scikit-learn flavor: ``gx.sklearn.log_model`` / ``gx.sklearn.load_model`` (pickle)."""

from __future__ import annotations

import pickle
from typing import Any, Callable

from gx.models.descriptor import Descriptor
from gx.models.flavor import ModelInfo, load_native, model_bytes
from gx.models.flavor import log_model as _log_model

FLAVOR = "sklearn"


def log_model(sk_model: Any, artifact_path: str | None = None, *, name: str | None = None,
              input_example: Any = None, signature: dict[str, Any] | None = None,
              registered_model_name: str | None = None, pip_requirements: list[str] | None = None,
              serialization_format: str = "pickle", **_: Any) -> ModelInfo:
    """Save a scikit-learn estimator into the active run under ``artifacts/<name>/`` (MLflow's names;
    ``artifact_path`` is the older spelling of ``name``)."""
    kind = type(sk_model)
    return _log_model(FLAVOR, "scikit-learn", {"model.pkl": pickle.dumps(sk_model, protocol=4)}, "model.pkl",
                      "pickle", f"{kind.__module__}.{kind.__qualname__}", name, artifact_path, input_example,
                      signature, getattr(sk_model, "predict", None), ("numpy",), pip_requirements,
                      registered_model_name)


def load(read: Callable[[str], bytes | None], desc: Descriptor) -> Any:
    """Unpickle the estimator (this runs code from the model file: load only models you trust)."""
    return pickle.loads(model_bytes(read, desc))


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The scikit-learn object itself, from ``runs:/...`` or ``models:/...``."""
    return load_native(model_uri, FLAVOR)[0]
