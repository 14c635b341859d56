"""Digests: 8 hex digits that are the same every time for the same data.

A DataFrame's digest is MLflow's (``mlflow.data.digest_utils.compute_pandas_digest``): md5 over
pandas' row hashes of the first ``MAX_ROWS`` rows of its string and number columns, then the row count
and the column names. Bounded work for any size, and a filter copied from MLflow finds the same data;
the price is MLflow's blind spot: an edit past row 10,000 that keeps the row count is not seen (files
given to ``gx run --input`` are hashed whole). An array's digest is gx's own (MLflow's needs pandas):
md5 over dtype, shape, and the bytes of the first ``MAX_ROWS`` elements.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

#: Rows (elements, for arrays) a digest reads, as MLflow.
MAX_ROWS = 10_000


def _md5_8(parts: list[Any]) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    for part in parts:
        md5.update(part)
    return md5.hexdigest()[:8]


def frame_digest(df: Any, pandas: Any) -> str:
    """MLflow's digest of a DataFrame; ``pandas`` is the module the frame came from."""
    numpy = sys.modules["numpy"]  # pandas imports it
    trimmed = df.head(MAX_ROWS)
    elementwise = trimmed.map if hasattr(trimmed, "map") else trimmed.applymap  # pandas < 2.1: applymap
    strings = trimmed.columns[elementwise(lambda v: type(v) is str).all(axis=0)]
    numbers = trimmed.select_dtypes(include=[numpy.number]).columns
    trimmed = trimmed[strings.union(numbers)]
    return _md5_8([pandas.util.hash_pandas_object(trimmed).values, numpy.int64(len(df)),
                   *(str(c).encode() for c in df.columns)])


def _array_parts(array: Any) -> list[bytes]:
    flat = array.reshape(-1)[:MAX_ROWS]
    if flat.dtype.kind == "O":  # Python objects: their text, not their addresses
        body = "\x1f".join(map(repr, flat.tolist())).encode("utf-8", "surrogatepass")
    else:
        body = flat.tobytes()
    return [str(array.dtype).encode(), repr(tuple(map(int, array.shape))).encode(), body]


def arrays_digest(features: Any, targets: Any = None) -> str:
    """gx's digest of features and targets, each an array or a dict of named arrays (keys sorted)."""
    parts: list[bytes] = []
    for item in (features, targets):
        if item is None:
            continue
        if isinstance(item, dict):
            for key in sorted(item):
                parts.append(str(key).encode())
                parts.extend(_array_parts(item[key]))
        else:
            parts.extend(_array_parts(item))
    return _md5_8(parts)
