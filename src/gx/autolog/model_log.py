"""Logging an autologged model with MLflow's switches: ``log_input_examples`` (the first rows of the
training data), ``log_model_signatures`` (inputs from those rows, outputs from the model's predictions
on them) and ``registered_model_name`` (the model registered once the run is recorded)."""

from __future__ import annotations

from typing import Any, Callable

from gx.autolog import patch

EXAMPLE_ROWS = 5


def log_model(integration: str, log: Callable[..., Any], model: Any, name: str, rows: Any,
              predict: Callable[[Any], Any] | None = None) -> None:
    """``log(model, name=..., ...)`` (a flavor's ``log_model``) with ``rows``, the first training rows
    (None when the data gave none), as example and signature as the switches ask."""
    options = patch.settings[integration]
    signature = None
    if rows is not None and options.log_model_signatures:
        signature = patch.safely(integration, "infer the model signature", infer_signature, rows, predict)
    elif not options.log_model_signatures:
        signature = {}  # no signature; None would make the flavor infer one from the example
    patch.safely(integration, f"log the model {name!r}", log, model, name=name,
                 input_example=rows if options.log_input_examples else None, signature=signature,
                 registered_model_name=options.registered_model_name if name == "model" else None)


def infer_signature(rows: Any, predict: Callable[[Any], Any] | None) -> dict[str, Any] | None:
    from gx.models import signature as sig

    found = sig.infer_signature(rows)
    if found is not None and predict is not None:
        found.update(sig.output_signature(predict(rows)) or {})
    return found


def wanted(integration: str) -> bool:
    """Whether the training rows are needed at all (reading them costs a copy)."""
    options = patch.settings[integration]
    return options.log_models and (options.log_input_examples or options.log_model_signatures)


def head(data: Any) -> Any:
    """The first rows of an array or a DataFrame; None for anything else (a file path, a sparse matrix)."""
    if hasattr(data, "iloc") and hasattr(data, "columns"):
        return data.iloc[:EXAMPLE_ROWS]
    if hasattr(data, "shape") and hasattr(data, "dtype") and len(getattr(data, "shape", ())) == 2:
        return data[:EXAMPLE_ROWS]
    if isinstance(data, list) and data and isinstance(data[0], (list, tuple)):
        return data[:EXAMPLE_ROWS]
    return None


def dmatrix_head(dmatrix: Any) -> Any:
    """An XGBoost DMatrix's first rows, dense, NaN where a value is missing (absent from the matrix),
    as a DataFrame when the matrix has feature names."""
    import numpy as np

    # slice first: get_data() copies the whole matrix, a slice only the rows asked for
    part = dmatrix.slice(list(range(min(EXAMPLE_ROWS, dmatrix.num_row())))).get_data().tocoo()
    dense = np.full(part.shape, np.nan)
    dense[part.row, part.col] = part.data
    names = dmatrix.feature_names
    if names:
        import pandas

        return pandas.DataFrame(dense, columns=list(names))
    return dense
