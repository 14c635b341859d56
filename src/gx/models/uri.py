"""Model URIs -> where the model's files are: a run commit and a path under its ``artifacts/``.

``runs:/<run id, unique prefix or name>/<path>``, ``models:/<name>/<version>``, ``models:/<name>@<alias>``,
``models:/<name>/<Stage>`` (MLflow's stage names) and ``models:/<name>/latest``; a local directory
holding a ``model.yaml`` works too (a model copied out of a run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gx import limits
from gx.errors import BadName
from gx.lfs.content import read_content, tree_artifact
from gx.models.descriptor import DESCRIPTOR_FILE
from gx.models.registry import UnknownModel, get_version, load_model_state
from gx.models.state import STAGES, VersionState
from gx.store.repo import Store
from gx.store.tagnames import validate_alias
from gx.values import check_artifact_path


@dataclass
class ModelLocation:
    """Where a model is, and a reader for the files of its directory."""

    uri: str
    path: str
    read: Callable[[str], bytes | None]
    commit: str | None = None
    run_id: str | None = None
    experiment: str | None = None
    version: VersionState | None = None


def split_models_uri(uri: str) -> tuple[str, str | None, str | None]:
    """``models:/name@alias`` -> (name, None, alias); ``models:/name/3`` -> (name, "3", None)."""
    rest = uri[len("models:/"):].lstrip("/")
    if "@" in rest:
        name, alias = rest.rsplit("@", 1)
        return name, None, validate_alias(alias)
    name, _, ref = rest.rpartition("/")
    if not name or not ref:
        raise BadName(f"bad model URI {uri!r}: write models:/NAME/VERSION, models:/NAME@ALIAS, "
                      "models:/NAME/Production or models:/NAME/latest")
    return name, ref, None


def resolve_version(store: Store, name: str, ref: str | None, alias: str | None) -> VersionState:
    """The version a ``models:/`` URI names."""
    model = load_model_state(store, name)
    if alias is not None:
        if alias.lower() in STAGES:
            ref = STAGES[alias.lower()]
        elif alias not in model.aliases:
            known = ", ".join(sorted(model.aliases)) or "none"
            raise UnknownModel(f"model {name!r} has no alias {alias!r}; its aliases: {known}")
        else:
            return model.versions[model.aliases[alias]]
    assert ref is not None
    if ref.lower() == "latest":
        if model.latest is None:
            raise UnknownModel(f"model {name!r} has no versions")
        return model.latest
    if ref.lower() in STAGES or ref in STAGES.values():
        key = ref.lower()
        in_stage = [v for v in model.active_versions if v.stage == key]
        if not in_stage:
            raise UnknownModel(f"model {name!r} has no version in stage {STAGES[key]}")
        return in_stage[-1]
    return get_version(model, ref)


def _tree_reader(store: Store, commit: str, path: str) -> Callable[[str], bytes | None]:
    tree = store.commit(commit.encode()).tree

    def read(name: str) -> bytes | None:
        blob = tree_artifact(store, tree, f"{path}/{name}")  # a large model file is in Git LFS
        return None if blob is None else read_content(store, blob, f"model file {path}/{name}")

    return read


def _dir_reader(root: Path) -> Callable[[str], bytes | None]:
    def read(name: str) -> bytes | None:
        target = root / name
        return limits.read_regular_file(target, limits.MAX_ARTIFACT_BYTES, "model file") if target.is_file() else None

    return read


def resolve_model_uri(store: Store | None, uri: str) -> ModelLocation:
    """Where ``uri``'s model is; ``store`` may be None only for a local directory."""
    uri = str(os.fspath(uri))
    if uri.startswith("runs:/"):
        from gx.query.runs import resolve_run

        spec, _, path = uri[len("runs:/"):].lstrip("/").partition("/")
        path = path.strip("/")
        if not spec or not path:
            raise BadName(f"bad model URI {uri!r}: write runs:/RUN_ID/PATH, e.g. runs:/3f2a9c/model")
        check_artifact_path(path)
        assert store is not None
        ref = resolve_run(store, spec)
        commit = ref.commit.decode()
        return ModelLocation(uri, path, _tree_reader(store, commit, path), commit, ref.run_id, ref.experiment)
    if uri.startswith("models:/"):
        assert store is not None
        version = resolve_version(store, *split_models_uri(uri))
        reg = version.registration
        return ModelLocation(uri, reg.path, _tree_reader(store, version.commit, reg.path), version.commit,
                             reg.run_id, reg.experiment, version)
    root = Path(uri)
    if (root / DESCRIPTOR_FILE).is_file():
        return ModelLocation(uri, root.name, _dir_reader(root))
    raise BadName(f"cannot load {uri!r}: give runs:/RUN/PATH, models:/NAME/VERSION, models:/NAME@ALIAS "
                  f"or a directory holding {DESCRIPTOR_FILE}")
