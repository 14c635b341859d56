"""The XGBoost flavor: saved in XGBoost's own format, UBJSON (``model.ubj``, MLflow's default
``model_format`` too) or JSON (``model.json``); no pickle, so loading runs no model code."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any, Callable

from gx.errors import BadRecord, BadValue

if TYPE_CHECKING:  # the flavor machinery (PyYAML, signatures) loads when a model is logged or loaded,
    # not when gx.xgboost.autolog() checks its model_format
    from gx.models.descriptor import Descriptor
    from gx.models.flavor import ModelInfo

FLAVOR = "xgboost"
#: ``model_format`` -> (the model file, the descriptor's ``serialization``).
FORMATS = {"ubj": ("model.ubj", "xgboost-ubj"), "json": ("model.json", "xgboost-json")}
DEFAULT_FORMAT = "ubj"
#: The classes a model may be loaded into (the descriptor names one; nothing else is instantiated).
CLASSES = ("Booster", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


def log_model(xgb_model: Any, artifact_path: str | None = None, *, name: str | None = None,
              input_example: Any = None, signature: dict[str, Any] | None = None,
              registered_model_name: str | None = None, pip_requirements: list[str] | None = None,
              model_format: str = DEFAULT_FORMAT, **_: Any) -> ModelInfo:
    """Save a Booster or an XGBoost scikit-learn model into the active run under ``artifacts/<name>/``,
    as ``model_format`` says: ``"ubj"`` (UBJSON, the default) or ``"json"``."""
    from gx.models.flavor import log_model as _log_model

    model_file, serialization = check_format(model_format, "gx.xgboost.log_model")
    kind = type(xgb_model).__name__
    if kind not in CLASSES:
        raise TypeError(f"gx.xgboost.log_model takes one of {', '.join(CLASSES)}, not {kind}")
    data = bytes(xgb_model.save_raw(model_format)) if kind == "Booster" else _wrapper_bytes(xgb_model, model_file)
    predict = getattr(xgb_model, "predict", None) if kind != "Booster" else _booster_predict(xgb_model)
    return _log_model(FLAVOR, "xgboost", {model_file: data}, model_file, serialization, kind, name,
                      artifact_path, input_example, signature, predict, ("numpy",), pip_requirements,
                      registered_model_name)


def check_format(model_format: Any, caller: str) -> tuple[str, str]:
    """The model file and serialization for ``model_format``, or a one-line error naming the choices."""
    if model_format not in FORMATS:
        old = " (XGBoost's deprecated binary format)" if model_format in ("xgb", "deprecated") else ""
        raise BadValue(f"{caller}: model_format={model_format!r}{old} is not supported; use 'ubj' "
                       "(UBJSON, the default) or 'json'")
    return FORMATS[model_format]


def _wrapper_bytes(model: Any, model_file: str) -> bytes:
    """A scikit-learn wrapper's model, through ``save_model`` (which picks the format from the file's
    extension): it adds the wrapper's own attributes (its estimator type, classes) that the
    Booster's ``save_raw`` leaves out."""
    with tempfile.TemporaryDirectory(prefix="gx-xgb-") as tmp:
        path = os.path.join(tmp, model_file)
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

    from gx.models.flavor import model_bytes

    if desc.model_class not in CLASSES:
        raise BadRecord(f"model.yaml names model class {desc.model_class[:60]!r}; gx loads {', '.join(CLASSES)}")
    model = getattr(xgboost, desc.model_class)()
    model.load_model(bytearray(model_bytes(read, desc)))
    return model


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The XGBoost object itself (a Booster or the scikit-learn class it was logged as)."""
    from gx.models.flavor import load_native

    return load_native(model_uri, FLAVOR)[0]


def predictor(model: Any) -> Callable[[Any], Any]:
    """What ``pyfunc`` calls: a Booster needs a DMatrix, the scikit-learn classes do not."""
    return _booster_predict(model) if type(model).__name__ == "Booster" else model.predict
