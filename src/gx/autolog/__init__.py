"""Framework autologging: ``gx.autolog()`` and one module per library (``sklearn``, ``xgboost``,
``lightgbm``), all built on one patching helper (``patch``). A patched call logs its run through
``gx.tracking`` like user code; importing this package imports no framework.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

#: Integration module -> the import name of the library it patches.
INTEGRATIONS = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            disable: bool = False, exclusive: bool = False, silent: bool = False, **_: Any) -> None:
    """Turn on (or, with ``disable=True``, off) every integration whose library is installed."""
    for module, library in INTEGRATIONS.items():
        if importlib.util.find_spec(library) is None:
            continue
        integration = importlib.import_module(f"gx.autolog.{module}")
        integration.autolog(log_input_examples=log_input_examples, log_model_signatures=log_model_signatures,
                            log_models=log_models, disable=disable, exclusive=exclusive, silent=silent)


class _CallableModule(types.ModuleType):
    """``gx.autolog`` is this package (Python binds a package to its parent's attribute on import),
    so the package itself is callable: ``gx.autolog()`` is :func:`autolog`, as in MLflow."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
