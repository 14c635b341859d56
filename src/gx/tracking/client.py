"""``MlflowClient``: MLflow's client object. The registry methods are here (issue 11); each imports
``gx.models.client`` only when called, so a training process that never touches the registry loads
none of it. Tracking methods (issue 10) belong in this class too."""

from __future__ import annotations

from typing import Any


def _registry() -> Any:
    from gx.models import client  # the one declared upward import of gx.tracking (pyproject.toml)

    return client


class MlflowClient:
    """MLflow's client over this repository (``tracking_uri``/``registry_uri`` are accepted and unused:
    the registry is the repository's git tags)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        self._registry_uri = registry_uri

    # -- registered models ----------------------------------------------------------------
    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None, **kwargs: Any) -> Any:
        return _registry().create_registered_model(name, tags, description)

    def get_registered_model(self, name: str) -> Any:
        return _registry().get_registered_model(name)

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: list[str] | None = None, page_token: str | None = None) -> list[Any]:
        return _registry().search_registered_models(filter_string, max_results, order_by)

    def update_registered_model(self, name: str, description: str | None = None, **kwargs: Any) -> Any:
        return _registry().update_registered_model(name, description)

    def rename_registered_model(self, name: str, new_name: str) -> Any:
        return _registry().rename_registered_model(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        _registry().delete_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        _registry().set_registered_model_tag(name, key, value)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[Any]:
        return _registry().get_latest_versions(name, stages)

    # -- versions -------------------------------------------------------------------------
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, **kwargs: Any) -> Any:
        if not str(source).startswith("runs:/") and run_id:
            source = f"runs:/{run_id}/{str(source).rstrip('/').rsplit('/', 1)[-1]}"
        return _registry().register_model(source, name, tags, description or "")

    def get_model_version(self, name: str, version: str | int) -> Any:
        return _registry().get_model_version(name, version)

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000,
                              order_by: list[str] | None = None, page_token: str | None = None) -> list[Any]:
        return _registry().search_model_versions(filter_string, max_results, order_by)

    def update_model_version(self, name: str, version: str | int, description: str | None = None) -> Any:
        return _registry().update_model_version(name, version, description)

    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> Any:
        return _registry().transition_model_version_stage(name, version, stage, archive_existing_versions)

    def delete_model_version(self, name: str, version: str | int) -> None:
        _registry().delete_model_version(name, version)

    def set_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                              value: Any = None, stage: str | None = None) -> None:
        _registry().set_model_version_tag(name, version, key, value)

    def delete_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                                 stage: str | None = None) -> None:
        _registry().delete_model_version_tag(name, version, key)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return f"models:/{name}/{int(version)}"

    # -- aliases --------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        _registry().set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        _registry().delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        return _registry().get_model_version_by_alias(name, alias)
