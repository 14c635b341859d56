"""``gx.data.from_numpy``: arrays (or dicts of named arrays) as a dataset, numpy never imported here."""

from __future__ import annotations

from typing import Any

from gx.data.dataset import Dataset, check_name
from gx.data.digest import arrays_digest
from gx.data.schema import arrays_profile, arrays_schema
from gx.data.source import DatasetSource, resolve_source
from gx.errors import BadValue


def _check_arrays(data: Any, what: str) -> None:
    items = data.values() if isinstance(data, dict) else [data]
    for item in items:
        if type(item).__module__ != "numpy" or not hasattr(item, "dtype") or not hasattr(item, "shape"):
            raise BadValue(f"from_numpy takes numpy arrays (or a dict of them) as {what}, "
                           f"not a {type(item).__name__}")


class NumpyDataset(Dataset):
    """Features and optional targets, each a numpy array or a dict of named arrays."""

    def __init__(self, features: Any, source: DatasetSource, targets: Any = None, name: str | None = None,
                 digest: str | None = None) -> None:
        _check_arrays(features, "features")
        if targets is not None:
            _check_arrays(targets, "targets")
        self._features, self._targets = features, targets
        super().__init__(source, check_name(name), digest)

    def _compute_digest(self) -> str:
        return arrays_digest(self._features, self._targets)

    @property
    def features(self) -> Any:
        return self._features

    @property
    def targets(self) -> Any:
        return self._targets

    @property
    def schema(self) -> dict[str, Any]:
        return arrays_schema(self._features, self._targets)

    @property
    def profile(self) -> dict[str, Any]:
        return arrays_profile(self._features, self._targets)


def from_numpy(features: Any, source: Any = None, targets: Any = None, name: str | None = None,
               digest: str | None = None) -> NumpyDataset:
    """A dataset for numpy features (and targets); ``source`` as in ``from_pandas``."""
    _check_arrays(features, "features")
    return NumpyDataset(features, resolve_source(source), targets=targets, name=name, digest=digest)
