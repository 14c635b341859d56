"""Signatures: what a model takes, inferred from an input example, and checked when it predicts.

A column signature (from a DataFrame, a dict or a list of dicts) names each column with MLflow's
type names; a tensor signature (from an array) records dtype and shape, ``-1`` for the batch size.
pandas and numpy are never imported here unless the caller's data is already one of theirs.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from gx.data.schema import column_type as _column_type
from gx.errors import GxError


class SignatureError(GxError):
    """Input that does not fit the signature the model was logged with."""


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.startswith("pandas") and hasattr(data, "columns")


def _is_array(data: Any) -> bool:
    return type(data).__module__ == "numpy" and hasattr(data, "dtype") and hasattr(data, "shape")


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "binary" if isinstance(value, bytes) else "string"


def infer_signature(example: Any) -> dict[str, Any] | None:
    """The input part of a signature for an example, or None when its shape says nothing useful."""
    if example is None:
        return None
    if _is_pandas(example):
        return {"inputs": [{"name": str(c), "type": _column_type(t)} for c, t in example.dtypes.items()]}
    if _is_array(example):
        return {"inputs": {"tensor": {"dtype": str(example.dtype), "shape": [-1, *example.shape[1:]]}}}
    if isinstance(example, dict):
        return {"inputs": [{"name": str(k), "type": _value_type(v[0] if isinstance(v, list) and v else v)}
                           for k, v in example.items()]}
    if isinstance(example, list) and example and all(isinstance(r, dict) for r in example):
        return {"inputs": [{"name": str(k), "type": _value_type(v)} for k, v in example[0].items()]}
    if isinstance(example, list) and "numpy" in sys.modules:
        import numpy as np

        return infer_signature(np.asarray(example))
    return None


def output_signature(prediction: Any) -> dict[str, Any] | None:
    sig = infer_signature(prediction)
    return {"outputs": sig["inputs"]} if sig else None


def columns(signature: dict[str, Any] | None) -> list[str] | None:
    inputs = (signature or {}).get("inputs")
    if isinstance(inputs, list) and all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in inputs):
        return [c["name"] for c in inputs]
    return None


def _tensor_shape(signature: dict[str, Any] | None) -> list[int] | None:
    inputs = (signature or {}).get("inputs")
    tensor = inputs.get("tensor") if isinstance(inputs, dict) else None
    shape = tensor.get("shape") if isinstance(tensor, dict) else None
    return shape if isinstance(shape, list) and all(isinstance(d, int) for d in shape) else None


def prepare_input(signature: dict[str, Any] | None, data: Any) -> Any:
    """``data`` (DataFrame, array, list, dict) in the form the model takes, checked against the
    signature: a missing column is a one-line error naming it; extra columns are dropped."""
    names = columns(signature)
    if isinstance(data, dict) or (isinstance(data, list) and data and isinstance(data[0], dict)):
        import pandas as pd

        data = pd.DataFrame(data if isinstance(data, list) else {k: v if isinstance(v, list) else [v]
                                                                  for k, v in data.items()})
    elif isinstance(data, list):
        import numpy as np

        data = np.asarray(data)
        if names is not None and data.ndim == 2 and data.shape[1] == len(names):
            import pandas as pd

            data = pd.DataFrame(data, columns=names)
    if names is not None and _is_array(data) and data.ndim == 2 and data.shape[1] == len(names):
        import pandas as pd

        data = pd.DataFrame(data, columns=names)
    if names is not None and _is_pandas(data):
        missing = [n for n in names if n not in data.columns]
        if missing:
            raise SignatureError(
                f"the input has no column {missing[0]!r}" + (f" (and {len(missing) - 1} more missing)" if len(missing) > 1
                                                             else "") + f"; the model takes columns: {', '.join(names)}")
        data = data[names]
    shape = _tensor_shape(signature)
    if shape is not None and _is_array(data):
        got = list(data.shape)
        if len(got) != len(shape) or any(w != -1 and w != g for w, g in zip(shape, got)):
            raise SignatureError(f"the input has shape {tuple(got)}; the model takes shape {tuple(shape)} "
                                 "(-1: any size)")
    return data


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def example_json(example: Any) -> bytes | None:
    """The input example as JSON (pandas' 'split' layout for tables), or None if it has no JSON form."""
    if example is None:
        return None
    if _is_pandas(example):
        data = {"columns": [str(c) for c in example.columns],
                "data": [[_jsonable(v) for v in row] for row in example.itertuples(index=False)]}
    elif _is_array(example):
        data = {"inputs": example.tolist()}
    elif isinstance(example, (dict, list)):
        data = example
    else:
        return None
    try:
        return (json.dumps(data, default=_jsonable, ensure_ascii=False) + "\n").encode()
    except (TypeError, ValueError):
        return None
