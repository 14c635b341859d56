"""The XGBoost flavor: saved in XGBoost's own JSON format (no pickle, so loading runs no model code)."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

from gx.errors import BadRecord
from gx.models.descriptor import Descriptor
from gx.models.flavor import ModelInfo, load_native, model_bytes
from gx.models.flavor import log_model as _log_model

FLAVOR = "xgboost"
MODEL_FILE = "model.json"
#: The classes a model may be loaded into (the descriptor names one; nothing else is instantiated).
CLASSES = ("Booster", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


def log_model(xgb_model: Any, artifact_path: str | None = None, *, name: str | None = None,
              input_example: Any = None, signature: dict[str, Any] | None = None,
              registered_model_name: str | None = None, pip_requirements: list[str] | None = None,
              **_: Any) -> ModelInfo:
    """Save a Booster or an XGBoost scikit-learn model into the active run under ``artifacts/<name>/``."""
    kind = type(xgb_model).__name__
    if kind not in CLASSES:
        raise TypeError(f"gx.xgboost.log_model takes one of {', '.join(CLASSES)}, not {kind}")
    data = bytes(xgb_model.save_raw("json")) if kind == "Booster" else _wrapper_json(xgb_model)
    predict = getattr(xgb_model, "predict", None) if kind != "Booster" else _booster_predict(xgb_model)
    return _log_model(FLAVOR, "xgboost", {MODEL_FILE: data}, MODEL_FILE, "xgboost-json", kind, name,
                      artifact_path, input_example, signature, predict, ("numpy",), pip_requirements,
                      registered_model_name)


def _wrapper_json(model: Any) -> bytes:
    """A scikit-learn wrapper's JSON, through ``save_model``: it adds the wrapper's own attributes
    (its estimator type, classes) that the Booster's ``save_raw`` leaves out."""
    with tempfile.TemporaryDirectory(prefix="gx-xgb-") as tmp:
        path = os.path.join(tmp, MODEL_FILE)
        model.save_model(path)
        with open(path, "rb") as fh:
            return fh.read()


def _booster_predict(booster: Any) -> Callable[[Any], Any]:
    def predict(data: Any) -> Any:
        import xgboost

        return booster.predict(xgboost.DMatrix(data))

    return predict


def load(read: Callable[[str], bytes | None], desc: Descriptor) -> Any:
    import xgboost

    if desc.model_class not in CLASSES:
        raise BadRecord(f"model.yaml names model class {desc.model_class[:60]!r}; gx loads {', '.join(CLASSES)}")
    model = getattr(xgboost, desc.model_class)()
    model.load_model(bytearray(model_bytes(read, desc)))
    return model


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The XGBoost object itself (a Booster or the scikit-learn class it was logged as)."""
    return load_native(model_uri, FLAVOR)[0]


def predictor(model: Any) -> Callable[[Any], Any]:
    """What ``pyfunc`` calls: a Booster needs a DMatrix, the scikit-learn classes do not."""
    return _booster_predict(model) if type(model).__name__ == "Booster" else model.predict
