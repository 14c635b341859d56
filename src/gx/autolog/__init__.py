"""Framework autologging: ``gx.autolog()`` and one module per library (``sklearn``, ``xgboost``,
``lightgbm``), all built on one patching helper (``patch``). A patched call logs its run through
``gx.tracking`` like user code; importing this package imports no framework.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Integration module -> the import name of the library it patches.
INTEGRATIONS = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True, log_models: bool = True,
            log_datasets: bool = False, log_traces: bool = False, disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            extra_tags: dict[str, Any] | None = None, exclude_flavors: list[str] | None = None) -> None:
    """Turn on (or, with ``disable=True``, off) every integration: each patches its library when the
    program imports it (at once if it already has), so this call imports none of them."""
    from gx.errors import BadValue

    if log_traces:
        raise BadValue("gx.autolog: log_traces=True is not supported: gx records no traces")
    unknown = sorted(set(exclude_flavors or ()) - set(INTEGRATIONS))
    if unknown:
        raise BadValue(f"gx.autolog: exclude_flavors names no integration: {', '.join(unknown)} "
                       f"(gx has {', '.join(INTEGRATIONS)})")
    for module in INTEGRATIONS:
        if module in (exclude_flavors or ()):
            continue
        integration = importlib.import_module(f"gx.autolog.{module}")
        integration.autolog(log_input_examples=log_input_examples, log_model_signatures=log_model_signatures,
                            log_models=log_models, log_datasets=log_datasets, disable=disable, exclusive=exclusive,
                            silent=silent, extra_tags=extra_tags,
                            disable_for_unsupported_versions=disable_for_unsupported_versions)


class _CallableModule(types.ModuleType):
    """``gx.autolog`` is this package (Python binds a package to its parent's attribute on import),
    so the package itself is callable: ``gx.autolog()`` is :func:`autolog`, as in MLflow."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
