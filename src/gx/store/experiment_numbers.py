"""MLflow's numeric experiment ids (``experiment_ids='1'``) as aliases of gx's experiments.

A number is either claimed — the experiment tag ``gx.mlflow_id``, written by ``create_experiment``
and by ``gx import mlflow`` (which keeps MLflow's own id when it is free) — or derived: experiments
that claim none take the smallest numbers nobody claims, in order of creation (the time of their
first commit after the root, then name). ``default`` is ``0``, as in MLflow. When two clones claimed
the same number independently, the earlier claim (then the smaller name) keeps it and the other
experiment is numbered like an unclaimed one, so every clone holding both agrees (docs/mlflow.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from gx.store.experiment_tags import ExperimentState, experiment_states
from gx.store.refs import DEFAULT_EXPERIMENT
from gx.store.repo import Store

#: The experiment tag holding an experiment's claimed MLflow number.
NUMBER_TAG = "gx.mlflow_id"
_NUMBER = re.compile(r"[1-9][0-9]{0,17}\Z")


def experiment_numbers(store: Store, states: Mapping[str, ExperimentState] | None = None) -> dict[str, str]:
    """Every experiment's MLflow number, by name (experiments local or fetched from a remote);
    ``states`` are ``experiment_states``'s, when the caller has them already."""
    states = experiment_states(store) if states is None else states
    names = sorted(states)
    claims: dict[str, list[tuple[float, str]]] = {}
    for name, state in states.items():
        claim = state.tags.get(NUMBER_TAG, "")
        if name != DEFAULT_EXPERIMENT and _NUMBER.match(claim):
            claims.setdefault(claim, []).append((state.tag_times.get(NUMBER_TAG, 0.0), name))
    out = {DEFAULT_EXPERIMENT: "0"} if DEFAULT_EXPERIMENT in states else {}
    for number, claimants in claims.items():
        out[min(claimants)[1]] = number
    unclaimed = sorted((n for n in names if n not in out),
                       key=lambda n: (states[n].created if states[n].created is not None else math.inf, n))
    taken = {int(n) for n in claims}
    candidate = 1
    for name in unclaimed:
        while candidate in taken:
            candidate += 1
        out[name] = str(candidate)
        candidate += 1
    return out


def next_free_number(store: Store, wanted: str | None = None) -> str:
    """``wanted`` when no experiment has that number, else one more than the highest in use."""
    used = {int(n) for n in experiment_numbers(store).values()}
    if wanted is not None and _NUMBER.match(wanted) and int(wanted) not in used:
        return wanted
    return str(max(used, default=0) + 1)


def experiment_by_number(store: Store, text: str) -> str | None:
    """The experiment numbered ``text``, or None."""
    if not text.isdigit():
        return None
    return next((name for name, number in experiment_numbers(store).items() if number == text), None)
