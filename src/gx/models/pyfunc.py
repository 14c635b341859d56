"""The common predict interface: ``gx.pyfunc.load_model(uri).predict(data)`` for every flavor, and
``gx.pyfunc.log_model(python_model=...)`` for any Python object with a ``predict`` method."""

from __future__ import annotations

import pickle
from typing import Any, Callable

from gx.models import signature as sig
from gx.models.descriptor import Descriptor
from gx.models.flavor import ModelInfo, load_native, model_bytes
from gx.models.flavor import log_model as _log_model

FLAVOR = "pyfunc"


class PythonModel:
    """MLflow's base class for custom models: override ``predict(context, model_input, params=None)``
    (and ``load_context(context)`` for set-up after loading)."""

    def load_context(self, context: Any) -> None:
        """Called once after loading."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError


class PythonModelContext:
    """What ``PythonModel`` methods receive; gx models carry no extra artifacts, so it is empty."""

    artifacts: dict[str, str] = {}
    model_config: dict[str, Any] = {}


def _dumps(obj: Any) -> tuple[bytes, str]:
    """cloudpickle when installed (classes defined in a notebook or script survive), else pickle."""
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=4), "pickle"
    return cloudpickle.dumps(obj, protocol=4), "cloudpickle"


def log_model(artifact_path: str | None = None, *, python_model: Any = None, name: str | None = None,
              input_example: Any = None, signature: dict[str, Any] | None = None,
              registered_model_name: str | None = None, pip_requirements: list[str] | None = None,
              **_: Any) -> ModelInfo:
    """Save any object with ``predict`` (a ``PythonModel`` or a plain one) into the active run."""
    if python_model is None or not callable(getattr(python_model, "predict", None)):
        raise TypeError("gx.pyfunc.log_model needs python_model=<an object with a predict method>")
    data, serialization = _dumps(python_model)
    kind = type(python_model)
    library = "cloudpickle" if serialization == "cloudpickle" else "gx"
    return _log_model(FLAVOR, library, {"python_model.pkl": data}, "python_model.pkl", serialization,
                      f"{kind.__module__}.{kind.__qualname__}", name, artifact_path, input_example, signature,
                      _predictor(python_model), ("numpy",), pip_requirements, registered_model_name)


def load(read: Callable[[str], bytes | None], desc: Descriptor) -> Any:
    """Unpickle the Python model (this runs code from the file: load only models you trust)."""
    model = pickle.loads(model_bytes(read, desc))
    if isinstance(model, PythonModel):
        model.load_context(PythonModelContext())
    return model


def _predictor(model: Any) -> Callable[[Any], Any]:
    if isinstance(model, PythonModel):
        context = PythonModelContext()
        return lambda data: model.predict(context, data)
    return model.predict


class PyFuncModel:
    """A loaded model of any flavor behind one ``predict``: the input is checked against the signature
    (a missing column is a clear error) and turned into what the model takes."""

    def __init__(self, native: Any, descriptor: Descriptor) -> None:
        self._native = native
        self.metadata = descriptor
        if descriptor.flavor == "xgboost":
            from gx.models.xgboost import predictor

            self._predict = predictor(native)
        else:
            self._predict = _predictor(native)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(sig.prepare_input(self.metadata.signature, data))

    def unwrap_python_model(self) -> Any:
        return self._native

    def get_raw_model(self) -> Any:
        return self._native

    def __repr__(self) -> str:
        return f"PyFuncModel(flavor={self.metadata.flavor!r}, model_class={self.metadata.model_class!r})"


def load_model(model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None) -> PyFuncModel:
    """Any gx model behind ``.predict(DataFrame | ndarray | list)``, by ``runs:/`` or ``models:/`` URI."""
    native, desc = load_native(model_uri)
    return PyFuncModel(native, desc)
