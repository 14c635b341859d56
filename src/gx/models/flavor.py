"""What every flavor shares: logging a model into the active run, and loading one back by URI.

A flavor module gives ``save(model) -> (files, serialization, model_class)`` and
``load(read, descriptor) -> native model``. Logging writes the files, ``model.yaml``, the input
example and ``requirements.txt`` through the run's ordinary artifact path; loading reads only the
model's own files from the run commit. Loading unpickles, which runs code: only ever on request.
"""

from __future__ import annotations

import functools
import importlib
import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

from gx.errors import BadRecord, GxError, GxWarning
from gx.models import signature as sig
from gx.models.descriptor import DESCRIPTOR_FILE, Descriptor, parse_descriptor
from gx.records import format_time

EXAMPLE_FILE = "input_example.json"
REQUIREMENTS_FILE = "requirements.txt"
_warned: set[tuple[str, str, str]] = set()


@dataclass
class ModelInfo:
    """What ``log_model`` returns (MLflow's names): where the model is, how to load it."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    run_id: str
    signature: dict[str, Any] | None = None
    utc_time_created: str = ""
    registered_model_version: int | None = None
    files: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.artifact_path


#: Distributions that install the same module under another name.
_SAME_MODULE = {"xgboost": ("xgboost", "xgboost-cpu", "xgboost-cu12", "xgboost-cu13")}


@functools.lru_cache(maxsize=64)
def installed_version(distribution: str) -> str | None:
    """The distribution's version, looked up once per process (a lookup scans ``sys.path``: ~2 ms,
    three per logged model; a library upgraded under a running process stays the one it imported)."""
    for name in _SAME_MODULE.get(distribution, (distribution,)):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def requirements(*distributions: str) -> list[str]:
    out = []
    for dist in distributions:
        version = installed_version(dist)
        if version is not None:
            out.append(f"{dist}=={version}")
    return out


def log_model(flavor: str, library: str, files: dict[str, bytes], model_file: str, serialization: str,
              model_class: str, name: str | None, artifact_path: str | None, input_example: Any,
              signature: dict[str, Any] | None, predict: Callable[[Any], Any] | None,
              extra_requirements: tuple[str, ...] = (), pip_requirements: list[str] | None = None,
              registered_model_name: str | None = None) -> ModelInfo:
    """Write one model into the active run (starting one, as MLflow does, if none is active)."""
    from gx.store.packs import prepare_blob
    from gx.tracking import fluent
    from gx.tracking.contents import log_contents

    prepare_blob(files[model_file])  # a large model is deflated for its pack while the rest is prepared
    path = (name or artifact_path or "model").strip("/")
    if signature is None and input_example is not None:
        signature = sig.infer_signature(input_example)
        if signature is not None and predict is not None:
            try:
                signature.update(sig.output_signature(predict(input_example)) or {})
            except Exception as exc:  # the user's model decides what it accepts; the signature is optional
                warnings.warn(f"gx: could not infer the model's output signature ({exc})", GxWarning, stacklevel=3)
    example = sig.example_json(input_example)
    desc = Descriptor(flavor=flavor, model_file=model_file, serialization=serialization, library=library,
                      library_version=installed_version(library), model_class=model_class,
                      created=format_time(time.time()) or "", signature=signature,
                      input_example=EXAMPLE_FILE if example is not None else None,
                      requirements=pip_requirements or requirements(library, *extra_requirements))
    all_files = dict(files)
    if example is not None:
        all_files[EXAMPLE_FILE] = example
    all_files[REQUIREMENTS_FILE] = ("\n".join(desc.requirements) + "\n").encode()
    run = fluent.active_run()
    if run is None:
        _check_sizes(path, all_files)  # refused before a run is started for it
        run = fluent.start_run()
    desc.run_id = run.info.run_id
    all_files[DESCRIPTOR_FILE] = desc.to_yaml().encode()
    log_contents(all_files, path)
    info = ModelInfo(path, {flavor: {"model_file": model_file, "serialization": serialization}},
                     f"runs:/{run.info.run_id}/{path}", run.info.run_id, signature, desc.created,
                     files={k: len(v) for k, v in all_files.items()})
    if registered_model_name is not None:
        from gx.models.client import register_when_recorded

        register_when_recorded(info, registered_model_name)
    return info


def _check_sizes(path: str, files: dict[str, bytes]) -> None:
    """Refuse a model file over the large-file cap before anything is logged (larger than the LFS
    threshold is fine: it goes to Git LFS)."""
    from gx.lfs.config import check_cap, settings
    from gx.paths import find_repo

    try:
        cap = settings(find_repo().worktree).max_bytes
    except GxError:
        return  # outside a repository: logging says so
    for file, content in files.items():
        check_cap(f"{path}/{file}", len(content), cap)


# -- loading ------------------------------------------------------------------------------
def open_model(uri: str) -> tuple[Descriptor, Callable[[str], bytes | None], Any]:
    """The descriptor and a file reader for ``uri``'s model (nothing unpickled yet)."""
    from gx.models.uri import resolve_model_uri

    location_store = None
    if str(uri).startswith(("runs:/", "models:/")):
        from gx.query.runs import open_store

        location_store = open_store()
    try:
        location = resolve_model_uri(location_store, str(os.fspath(uri)))
        raw = location.read(DESCRIPTOR_FILE)
        if raw is None:
            raise GxError(f"{uri} holds no model: there is no {location.path}/{DESCRIPTOR_FILE} in that run "
                          "(log one with gx.sklearn.log_model(...))")
        try:
            desc = parse_descriptor(raw)
        except BadRecord as exc:
            raise BadRecord(f"cannot load {uri}: {exc}") from None
        files: dict[str, bytes | None] = {}

        def read(name: str) -> bytes | None:
            if name not in files:
                files[name] = location.read(name)
            return files[name]

        read(desc.model_file)  # read now: the store closes below
        if desc.input_example:
            read(desc.input_example)
        return desc, read, location
    finally:
        if location_store is not None:
            location_store.close()


def model_bytes(read: Callable[[str], bytes | None], desc: Descriptor) -> bytes:
    data = read(desc.model_file)
    if data is None:
        raise BadRecord(f"the model's file {desc.model_file!r} is missing beside {DESCRIPTOR_FILE}")
    return data


def check_library(desc: Descriptor) -> None:
    """Warn once when the installed library differs from the one the model was saved with."""
    have = installed_version(desc.library)
    key = (desc.library, str(desc.library_version), str(have))
    if have is None:
        raise GxError(f"this model needs {desc.library}=={desc.library_version}; install it (pip install "
                      f"{desc.library})")
    if desc.library_version and have != desc.library_version and key not in _warned:
        _warned.add(key)
        warnings.warn(f"gx: the model was saved with {desc.library} {desc.library_version}; {have} is installed "
                      "(predictions may differ)", GxWarning, stacklevel=3)
    if desc.python_version and desc.python_version.split(".")[:2] != platform.python_version().split(".")[:2]:
        key = ("python", desc.python_version, platform.python_version())
        if key not in _warned:
            _warned.add(key)
            warnings.warn(f"gx: the model was saved with Python {desc.python_version}; this is "
                          f"{platform.python_version()}", GxWarning, stacklevel=3)


def load_native(uri: str, expected: str | None = None) -> tuple[Any, Descriptor]:
    """The flavor's own object for ``uri`` (``expected`` flavor, when given, must match)."""
    desc, read, _ = open_model(uri)
    if expected is not None and desc.flavor != expected:
        raise GxError(f"{uri} is a {desc.flavor} model; load it with gx.{desc.flavor}.load_model or "
                      "gx.pyfunc.load_model")
    check_library(desc)
    module = importlib.import_module(f"gx.models.{desc.flavor}")
    return module.load(read, desc), desc
