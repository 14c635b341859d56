"""Datasets as run inputs (MLflow's ``mlflow.data``): ``from_pandas``/``from_numpy`` build a dataset
(name, digest, source, schema, profile) that ``gx.log_input`` records; ``files`` hashes the files
``gx run --input`` names, reusing what git, Git LFS and DVC already know (``dvc``).

Below ``gx.tracking`` (a training process uses it) and as light: pandas and numpy are never imported,
only read off the objects the caller passes.
"""

from gx.data.dataset import Dataset
from gx.data.numpy_dataset import NumpyDataset, from_numpy
from gx.data.pandas_dataset import PandasDataset, from_pandas
from gx.data.source import DatasetSource

__all__ = ["Dataset", "DatasetSource", "NumpyDataset", "PandasDataset", "from_numpy", "from_pandas"]
