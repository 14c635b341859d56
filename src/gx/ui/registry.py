"""The registry page's JSON: models, their versions, aliases and stages, and every assignment event,
computed by gx.models from the registry's tags (the same reading ``gx models ls``/``history`` does)."""

from __future__ import annotations

import warnings
from typing import Any

from gx.models.state import STAGES, read_registry
from gx.store.repo import Store

#: Events listed per model (newest first).
MAX_EVENTS = 200


def registry_json(store: Store) -> dict[str, Any]:
    with warnings.catch_warnings():  # a bad tag is left out here; gx models ls names it
        warnings.simplefilter("ignore")
        models = read_registry(store, warn=False)
    out = []
    for name, model in models.items():
        versions = [{"version": v.version, "run_id": v.registration.run_id, "experiment": v.registration.experiment,
                     "path": v.registration.path, "stage": STAGES.get(v.stage or "", None), "aliases": sorted(v.aliases),
                     "registered": v.registration.time, "by": v.registration.who, "active": v.active,
                     "description": v.registration.description}
                    for _, v in sorted(model.versions.items(), reverse=True)]
        events = [{"time": e.time, "who": e.who, "kind": e.name.kind, "version": e.version, "alias": e.name.alias}
                  for e in reversed(model.events[-MAX_EVENTS:])]
        latest = model.latest
        out.append({"name": name, "deprecated": model.deprecated, "latest": latest.version if latest else None,
                    "aliases": dict(sorted(model.aliases.items())), "versions": versions, "events": events})
    return {"models": out}
