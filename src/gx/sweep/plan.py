"""Which params trial N gets: grid (every combination, in order), random (drawn from a seed and the
trial's number, so a resumed sweep draws the same), TPE (Optuna's sampler, told every finished trial)."""

from __future__ import annotations

import contextlib
import itertools
import random
from typing import Any, Callable

from gx.errors import GxError
from gx.sweep.space import Dimension, Uniform, grid_values, sample

METHODS = ("grid", "random", "tpe")


def grid_size(space: dict[str, Dimension]) -> int:
    size = 1
    for name, dim in space.items():
        size *= len(grid_values(name, dim))
    return size


class Planner:
    """``params(n)`` for trial ``n``; ``tell(n, value)`` when a trial's metric is known (TPE learns)."""

    def __init__(self, space: dict[str, Dimension], method: str, seed: int, goal: str) -> None:
        self.space, self.method, self.seed, self.goal = space, method, seed, goal
        self._grid = list(itertools.product(*(grid_values(n, d) for n, d in space.items()))) if method == "grid" else []
        self._study: Any = None
        self._asked: dict[int, Any] = {}
        if method == "tpe":
            self._study = _optuna_study(seed, goal)

    def params(self, n: int) -> dict[str, Any]:
        if self.method == "grid":
            return dict(zip(self.space, self._grid[n]))
        if self.method == "random":
            rng = random.Random(f"{self.seed}:{n}")
            return {name: sample(dim, rng) for name, dim in self.space.items()}
        trial = self._study.ask(_distributions(self.space))
        self._asked[n] = trial
        return dict(trial.params)

    def tell(self, n: int, params: dict[str, Any], value: float | None) -> None:
        """Teach TPE a finished trial (one of this process's, or a recorded one when resuming)."""
        if self._study is None:
            return
        import optuna

        trial = self._asked.pop(n, None)
        state = optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL
        if trial is not None:
            self._study.tell(trial, value if value is not None else None, state=state)
            return
        if value is not None:
            with contextlib.suppress(ValueError):  # a recorded trial outside the current space teaches nothing
                self._study.add_trial(optuna.trial.create_trial(
                    params=params, distributions=_distributions(self.space), value=value))


def _optuna_study(seed: int, goal: str) -> Any:
    try:
        import optuna
    except ImportError:
        raise GxError("--method tpe needs Optuna: pip install optuna (grid and random need nothing)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize" if goal == "min" else "maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed))


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
