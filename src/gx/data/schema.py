"""Schemas and profiles of tables and arrays, in MLflow's shapes, read off the objects themselves:
neither pandas nor numpy is imported here (the caller's data is already one of theirs)."""

from __future__ import annotations

from typing import Any

#: numpy dtype kinds -> MLflow's column type names (``gx.models.signature`` uses the same ones).
_KIND_TYPES = {"b": "boolean", "i": "long", "u": "long", "f": "double", "O": "string", "U": "string",
               "S": "binary", "M": "datetime"}


def column_type(dtype: Any) -> str:
    """MLflow's type name for a pandas or numpy dtype: ``long``, ``double``, ``string``…"""
    if str(dtype) in ("float32",):
        return "float"
    if str(dtype) in ("int32", "int16", "int8"):
        return "integer"
    return _KIND_TYPES.get(getattr(dtype, "kind", "O"), "string")


def frame_schema(df: Any) -> dict[str, Any]:
    """MLflow's column spec of a DataFrame: ``{"mlflow_colspec": [{"type", "name", "required"}]}``."""
    columns = [{"type": column_type(dtype), "name": str(name), "required": bool(df[name].notna().all())
                if df[name].ndim == 1 else True} for name, dtype in df.dtypes.items()]
    return {"mlflow_colspec": columns}


def tensor_spec(array: Any) -> dict[str, Any]:
    """One array as MLflow's tensor spec: dtype, and the shape with -1 for the batch dimension."""
    shape = [-1, *map(int, array.shape[1:])] if array.ndim else []
    return {"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": shape}}


def arrays_schema(features: Any, targets: Any = None) -> dict[str, Any]:
    """MLflow's tensor schema of features (an array or a dict of named arrays) and targets."""

    def spec(data: Any) -> list[dict[str, Any]]:
        if isinstance(data, dict):
            return [{"name": str(k), **tensor_spec(v)} for k, v in data.items()]
        return [tensor_spec(data)]

    schema = {"features": spec(features)}
    if targets is not None:
        schema["targets"] = spec(targets)
    return {"mlflow_tensorspec": schema}


def arrays_profile(features: Any, targets: Any = None) -> dict[str, Any]:
    """MLflow's NumPy profile: shape, size and bytes of features (and targets), per name for dicts."""

    def facts(data: Any, attr: str) -> Any:
        def one(array: Any) -> Any:
            value = getattr(array, attr)
            return list(map(int, value)) if attr == "shape" else int(value)

        return {str(k): one(v) for k, v in data.items()} if isinstance(data, dict) else one(data)

    profile = {f"features_{attr}": facts(features, attr) for attr in ("shape", "size", "nbytes")}
    if targets is not None:
        profile.update({f"targets_{attr}": facts(targets, attr) for attr in ("shape", "size", "nbytes")})
    return profile
