"""MLflow's dataset inputs (MLflow 2.4+) to and from gx's run inputs. MLflow keeps a dataset's source,
schema and profile as JSON text; gx keeps the source's URI (or the script, for a ``code`` source)
and the schema and profile as mappings, so the conversion is the inverse of ``gx.tracking.entities``'s
``dataset_input``."""

from __future__ import annotations

import json
from typing import Any

from gx.errors import BadValue
from gx.runinputs import MAX_DESCRIPTION_CHARS, MAX_SOURCE, RunInput, check_input


def _json(text: Any, what: str) -> Any:
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION_CHARS:
        raise BadValue(f"the dataset's {what} is not JSON text of at most {MAX_DESCRIPTION_CHARS:,} characters")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadValue(f"the dataset's {what} is not JSON") from None


def _source(source_type: str, text: Any) -> str:
    """The URI a dataset's source JSON names (the script's name for a ``code`` source)."""
    value = _json(text, "source")
    if not isinstance(value, dict):
        return ""
    if source_type == "code":
        tags = value.get("tags")
        name = tags.get("mlflow.source.name") if isinstance(tags, dict) else None
        return name if isinstance(name, str) and len(name) <= MAX_SOURCE else ""
    uri = value.get("url") if source_type == "http" else value.get("uri")
    return uri if isinstance(uri, str) else ""


def input_from_mlflow(dataset: dict[str, Any], tags: dict[str, str]) -> RunInput:
    """A checked gx input from an MLflow dataset's fields (``name``, ``digest``, ``source_type``,
    ``source``, ``schema``, ``profile``, as both stores hold them) and its input tags."""
    source_type = dataset.get("source_type")
    return check_input({"name": dataset.get("name"), "digest": dataset.get("digest"), "source_type": source_type,
                        "source": _source(str(source_type), dataset.get("source")), "tags": tags,
                        "schema": _json(dataset.get("schema"), "schema"),
                        "profile": _json(dataset.get("profile"), "profile")})


def mlflow_dataset_inputs(inputs: list[RunInput]) -> list[Any]:
    """The inputs as the mlflow package's ``DatasetInput`` entities, for ``client.log_inputs``."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    from gx.tracking.entities import dataset_input

    out = []
    for inp in inputs:
        mine = dataset_input(inp)
        d = mine.dataset
        out.append(DatasetInput(Dataset(d.name, d.digest, d.source_type, d.source, d.schema, d.profile),
                                [InputTag(t.key, t.value) for t in mine.tags]))
    return out
