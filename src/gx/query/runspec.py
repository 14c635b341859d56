"""Run specs: a run id, unique prefix or name, an experiment name (its latest run), or ``exp~N``.

``lasso`` is the newest non-deleted run of experiment ``lasso``; ``lasso~2`` the third newest,
counting like git's ``~`` along the experiment's history (the order of ``gx log lasso``).
A spec that names an existing experiment always means the experiment, even when a run name or
an id prefix would also match; write more of the id to reach such a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gx.errors import UnknownRun
from gx.query.runs import (
    RunRef,
    experiment_names,
    history_runs,
    load_record,
    open_store,
    resolve_run,
)
from gx.records import RunRecord
from gx.store.repo import Store

_ANCESTRY = re.compile(r"(?P<base>.+?)~(?P<count>[0-9]*)\Z")


def split_spec(spec: str) -> tuple[str, int | None]:
    """``"lasso~2"`` -> ``("lasso", 2)``; ``"lasso~"`` counts as ``~1``; no ``~N`` -> ``(spec, None)``."""
    m = _ANCESTRY.match(spec)
    if m is None:
        return spec, None
    count = m.group("count")
    return m.group("base"), int(count) if count else 1


def experiment_run(store: Store, experiment: str, back: int = 0) -> RunRef:
    """The ``back``-th run before the newest non-deleted run of ``experiment`` (0 = newest)."""
    live = [RunRef(r.experiment, r.run_id, (r.commit or "").encode(), False) for r in history_runs(store, experiment)]
    if not live:
        raise UnknownRun(
            f"experiment {experiment!r} has no runs (deleted runs are skipped); "
            "record one, or name a run by id (see 'gx ls --deleted')"
        )
    if back >= len(live):
        oldest = f"{experiment}~{len(live) - 1}" if len(live) > 1 else experiment
        count = f"{len(live)} run" + ("" if len(live) == 1 else "s")
        raise UnknownRun(
            f"{experiment}~{back} goes past the start: experiment {experiment!r} has {count}; "
            f"the oldest is {oldest} (see 'gx log {experiment}')"
        )
    return live[back]


def resolve_spec(store: Store, spec: str) -> RunRef:
    """The run a spec names: an experiment (``lasso``, ``lasso~2``) first, else an id/prefix/name."""
    spec = spec.strip()
    if not spec:
        raise UnknownRun("empty run spec; give a run id, a unique prefix, a run name or an experiment")
    experiments = experiment_names(store)
    if spec in experiments:
        return experiment_run(store, spec)
    base, back = split_spec(spec)
    if back is not None and base in experiments:
        return experiment_run(store, base, back)
    try:
        return resolve_run(store, spec)
    except UnknownRun:
        if back is not None:
            raise UnknownRun(
                f"no experiment named {base!r} for {spec!r}: '~N' counts back from an experiment's "
                "newest run (see 'gx experiments')"
            ) from None
        raise UnknownRun(
            f"no run or experiment matches {spec!r}; give a run id, a unique prefix of one, a run "
            "name or an experiment name (see 'gx ls --all' and 'gx experiments')"
        ) from None


def resolve_specs(store: Store, specs: Iterable[str]) -> list[RunRef]:
    """Resolve several specs in order against one store."""
    return [resolve_spec(store, spec) for spec in specs]


def load_specs(specs: Sequence[str], store: Store | None = None) -> list[RunRecord]:
    """Full records of the runs the specs name, in the order given."""
    own = store is None
    store = store or open_store()
    try:
        return [load_record(store, ref) for ref in resolve_specs(store, specs)]
    finally:
        if own:
            store.close()


def get_spec_record(spec: str) -> RunRecord:
    """The full record of one run spec."""
    return load_specs([spec])[0]


__all__ = ["experiment_run", "get_spec_record", "load_specs", "resolve_spec", "resolve_specs", "split_spec"]
