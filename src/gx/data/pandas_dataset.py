"""``gx.data.from_pandas``: a DataFrame as a dataset. pandas is never imported here: a caller that
has a DataFrame has pandas loaded already, and a training process that has none pays nothing."""

from __future__ import annotations

import sys
from typing import Any

from gx.data.dataset import Dataset, check_name
from gx.data.digest import frame_digest
from gx.data.schema import frame_schema
from gx.data.source import DatasetSource, resolve_source
from gx.errors import BadValue


def _pandas_of(df: Any) -> Any:
    """The pandas module ``df`` belongs to; BadValue when ``df`` is not a DataFrame."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(df, pandas.DataFrame):
        kind = type(df).__module__.split(".")[0] + "." + type(df).__name__
        raise BadValue(f"from_pandas takes a pandas DataFrame, not a {kind.removeprefix('builtins.')}")
    return pandas


class PandasDataset(Dataset):
    """A DataFrame with its source, optional target and prediction columns (MLflow's names)."""

    def __init__(self, df: Any, source: DatasetSource, targets: str | None = None, name: str | None = None,
                 digest: str | None = None, predictions: str | None = None) -> None:
        self._pandas = _pandas_of(df)
        for what, column in (("targets", targets), ("predictions", predictions)):
            if column is not None and column not in df.columns:
                raise BadValue(f"the DataFrame has no {what} column {column!r}")
        self._df, self._targets, self._predictions = df, targets, predictions
        super().__init__(source, check_name(name), digest)

    def _compute_digest(self) -> str:
        return frame_digest(self._df, self._pandas)

    @property
    def df(self) -> Any:
        return self._df

    @property
    def targets(self) -> str | None:
        return self._targets

    @property
    def predictions(self) -> str | None:
        return self._predictions

    @property
    def schema(self) -> dict[str, Any]:
        return frame_schema(self._df)

    @property
    def profile(self) -> dict[str, Any]:
        return {"num_rows": len(self._df), "num_elements": int(self._df.size)}


def from_pandas(df: Any, source: Any = None, targets: str | None = None, name: str | None = None,
                digest: str | None = None, predictions: str | None = None) -> PandasDataset:
    """A dataset for ``df``; ``source`` is where it came from (a path or URI; default: this script)."""
    _pandas_of(df)  # the type error first, before anything about the other arguments
    return PandasDataset(df, resolve_source(source), targets=targets, name=name, digest=digest,
                         predictions=predictions)
