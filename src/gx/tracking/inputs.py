"""``gx.log_input`` (MLflow's ``mlflow.log_input``): record a dataset the active run reads, and files
``gx run --input`` names."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gx.errors import BadValue
from gx.runinputs import CONTEXT_TAG, RunInput, check_input


def _mlflow_dataset_input(dataset: Any, context: str | None, tags: Mapping[str, str] | None) -> RunInput:
    """An input for a dataset built by MLflow's own ``mlflow.data`` (its ``to_dict`` holds JSON text)."""
    fields = dataset.to_dict()
    try:
        source = json.loads(fields.get("source") or "{}")
        schema = json.loads(fields["schema"]) if fields.get("schema") else None
        profile = json.loads(fields["profile"]) if fields.get("profile") else None
    except (TypeError, ValueError):
        raise BadValue("the dataset's source, schema or profile is not JSON") from None
    uri = (source.get("uri") or source.get("url") or "") if isinstance(source, dict) else ""
    all_tags = {**(tags or {}), **({CONTEXT_TAG: context} if context is not None else {})}
    return check_input({"name": fields.get("name"), "digest": fields.get("digest"),
                        "source_type": fields.get("source_type"), "source": uri, "tags": all_tags,
                        "schema": schema, "profile": profile})


def dataset_run_input(dataset: Any, context: str | None = None, tags: Mapping[str, str] | None = None) -> RunInput:
    """The checked input for a dataset of ``gx.data`` (or of ``mlflow.data``); BadValue for anything else."""
    if tags is not None and not isinstance(tags, Mapping):
        raise BadValue(f"tags must be a mapping of strings, not a {type(tags).__name__}")
    if context is not None and not isinstance(context, str):
        raise BadValue(f"context must be a string such as 'training', not {context!r}")
    if hasattr(dataset, "run_input"):
        return dataset.run_input(context, dict(tags or {}))
    if callable(getattr(dataset, "to_dict", None)) and hasattr(dataset, "digest") and hasattr(dataset, "source"):
        return _mlflow_dataset_input(dataset, context, tags)
    raise BadValue(f"log_input takes a dataset from gx.data.from_pandas or from_numpy, not a {type(dataset).__name__}")


def log_input(dataset: Any = None, context: str | None = None, tags: Mapping[str, str] | None = None,
              model: Any = None) -> None:
    """Record ``dataset`` as an input of the active run (one is started if none is), with its context
    (``"training"``, ``"validation"``...) as MLflow's ``mlflow.data.context`` tag."""
    from gx.tracking.fluent import _live

    if dataset is None:
        if model is not None:
            raise BadValue("gx records datasets as inputs; logging a model as an input is not supported")
        raise BadValue("log_input needs a dataset: gx.log_input(gx.data.from_pandas(df), context='training')")
    run_input = dataset_run_input(dataset, context, tags)  # checked before a run is started for it
    _live().log_input(run_input)


def file_inputs(patterns: Sequence[str], context: str | None = None) -> list[RunInput]:
    """The inputs for files named by paths or globs, hashed now; BadFile names the first bad one."""
    from gx.data.files import expand, file_input
    from gx.errors import GxError
    from gx.paths import find_repo

    try:
        paths = find_repo()
    except GxError:
        paths = None
    return [file_input(path, paths, context) for path in expand(list(patterns))]
