"""Which params trial N gets: grid (every combination, in order), random (drawn from a seed and the
trial's number, so a resumed sweep draws the same), TPE (Optuna's sampler, told every finished trial)."""

from __future__ import annotations

import contextlib
import itertools
import random
from typing import Any, Callable

from gx.errors import GxError
from gx.sweep.pruners import make_pruner
from gx.sweep.space import Dimension, Uniform, grid_values, sample

METHODS = ("grid", "random", "tpe")


def grid_size(space: dict[str, Dimension]) -> int:
    size = 1
    for name, dim in space.items():
        size *= len(grid_values(name, dim))
    return size


class Planner:
    """``params(n)`` for trial ``n``; ``tell(n, value)`` when a trial's metric is known (TPE learns)."""

    def __init__(self, space: dict[str, Dimension], method: str, seed: int, goal: str,
                 storage: str | None = None, study_name: str | None = None, pruner: str | None = None) -> None:
        self.space, self.method, self.seed, self.goal = space, method, seed, goal
        self._grid = list(itertools.product(*(grid_values(n, d) for n, d in space.items()))) if method == "grid" else []
        self._study: Any = None
        self._asked: dict[int, Any] = {}
        self.shared = storage is not None
        if method == "tpe" or self.shared:
            self._study = _optuna_study(seed, goal, method, storage, study_name, pruner)

    @property
    def uses_optuna(self) -> bool:
        """Whether trials come from an Optuna study (whose pruner then judges them)."""
        return self._study is not None

    def asked(self, n: int) -> Any:
        """The Optuna trial asked for trial ``n`` and not told yet, else None."""
        return self._asked.get(n)

    def take(self, n: int) -> tuple[int, dict[str, Any]]:
        """The next trial's number and params: ``n`` itself, or with a shared study the number the
        study gives (unique across every machine working on it)."""
        if not self.shared:
            return n, self.params(n)
        trial = self._study.ask(_distributions(self.space))
        self._asked[trial.number] = trial
        return trial.number, dict(trial.params)

    def params(self, n: int) -> dict[str, Any]:
        if self.method == "grid":
            return dict(zip(self.space, self._grid[n]))
        if self.method == "random":
            rng = random.Random(f"{self.seed}:{n}")
            return {name: sample(dim, rng) for name, dim in self.space.items()}
        trial = self._study.ask(_distributions(self.space))
        self._asked[n] = trial
        return dict(trial.params)

    def tell(self, n: int, params: dict[str, Any], value: float | None, pruned: bool = False,
             intermediate: dict[int, float] | None = None) -> None:
        """Teach TPE a finished trial (one of this process's, or a recorded one when resuming, with its
        ``intermediate`` values so the study's pruner compares against it)."""
        if self._study is None:
            return
        import optuna

        trial = self._asked.pop(n, None)
        state = optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL
        if pruned:
            state = optuna.trial.TrialState.PRUNED
        if trial is not None:
            self._study.tell(trial, value if value is not None else None, state=state)
            return
        if value is not None:
            with contextlib.suppress(ValueError):  # a recorded trial outside the current space teaches nothing
                self._study.add_trial(optuna.trial.create_trial(
                    params=params, distributions=_distributions(self.space), value=value,
                    intermediate_values={s: v for s, v in (intermediate or {}).items() if s >= 0}))


def _optuna_study(seed: int, goal: str, method: str, storage: str | None, study_name: str | None,
                  pruner_name: str | None) -> Any:
    try:
        import optuna
    except ImportError:
        raise GxError("--method tpe and --storage need Optuna: pip install optuna (grid and random need nothing)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed) if method == "tpe" else optuna.samplers.RandomSampler(seed=seed)
    direction = "minimize" if goal == "min" else "maximize"
    pruner = make_pruner(pruner_name) if pruner_name else optuna.pruners.NopPruner()
    if storage is None:
        return optuna.create_study(direction=direction, sampler=sampler, pruner=pruner)
    try:
        return optuna.create_study(study_name=study_name, storage=open_storage(storage), load_if_exists=True,
                                   direction=direction, sampler=sampler, pruner=pruner)
    except ValueError as exc:  # e.g. the study exists with another direction
        raise GxError(f"--storage: {exc}") from None


def open_storage(url: str) -> Any:
    """``journal:PATH`` (or a path ending in ``.log``) is Optuna's journal file, shared through a
    common file system; anything else is an RDB URL Optuna opens (``sqlite:///...``, ``postgresql://...``)."""
    import optuna

    path = url[len("journal:"):] if url.startswith("journal:") else url if url.endswith(".log") else None
    if path is None:
        return url
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(path))


def _distributions(space: dict[str, Dimension]) -> dict[str, Any]:
    import optuna.distributions as od

    def one(dim: Dimension) -> Any:
        if isinstance(dim, Uniform):
            return od.FloatDistribution(dim.low, dim.high, log=dim.log)
        if hasattr(dim, "values"):
            return od.CategoricalDistribution(dim.values)  # type: ignore[union-attr]
        return od.IntDistribution(dim.low, dim.high)  # type: ignore[union-attr]

    return {name: one(dim) for name, dim in space.items()}


Goal = Callable[[float, float], bool]


def better(goal: str) -> Goal:
    return (lambda a, b: a < b) if goal == "min" else (lambda a, b: a > b)
